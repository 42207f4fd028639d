from tests.access_matrix import LEADERSHIP, OVERSIGHT, Route

ROUTES = {
    # Integrity flags are for the chapter's leadership and its overseers; members never see them.
    "integrity:flags": Route(LEADERSHIP),
    "integrity:rules": Route(LEADERSHIP),
    "integrity:detail": Route(LEADERSHIP, kwargs=lambda p: {"flag_id": _flag(p).pk}),
    # The flag names `member` and `member2`: every leader may review it (none of them is named).
    "integrity:review": Route(
        LEADERSHIP, method="post", kwargs=lambda p: {"flag_id": _flag(p).pk},
        data=lambda p: {"outcome": "warned", "note": "Spoke to both at the meeting."},
    ),
    # Across chapters: organisation admins (every chapter) and region staff (their regions', so staff of
    # another region see an empty list); everyone else is refused.
    "integrity-queue": Route(OVERSIGHT | {"other_region_staff"}, chapter_scoped=False),
}


def _flag(p):
    from integrity.models import IntegrityFlag

    flag = IntegrityFlag.objects.create(
        chapter=p.chapter, kind=IntegrityFlag.Kind.RING, key=f"{p.member.pk}-{p.member2.pk}",
        figures={"members": [{"id": p.member.pk, "inside": 4, "given": 5}, {"id": p.member2.pk, "inside": 3,
                                                                            "given": 4}],
                 "total": 7, "min_referrals": 6, "min_share": 60, "days": 180},
    )
    flag.memberships.set([p.member, p.member2])
    return flag
