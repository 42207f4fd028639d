from tests.access_matrix import LEADERSHIP, MEMBERS, OVERSIGHT, Route

ROUTES = {
    "enforcement:rules": Route(MEMBERS),
    "enforcement:rules-edit": Route(LEADERSHIP),
    "enforcement:preview": Route(LEADERSHIP),
    "enforcement:fines": Route(LEADERSHIP),
    "enforcement:my-fines": Route(MEMBERS),
    # The member's own fine and case: the member, leadership and overseers may open them.
    "enforcement:fine-detail": Route(MEMBERS, kwargs=lambda p: {"fine_id": _fine(p).pk}),
    "enforcement:fine-resolve": Route(
        LEADERSHIP, method="post", kwargs=lambda p: {"fine_id": _fine(p).pk},
        data=lambda p: {"status": "waived", "reason": "First offence"},
    ),
    # A paid fine the evidence no longer supports: the president and the secretary-treasurer (the money)
    # and overseers decide on the refund; the vice-president does not.
    "enforcement:fine-refund": Route(
        frozenset({"president", "treasurer"}) | OVERSIGHT, method="post", kwargs=lambda p: {"fine_id": _flagged(p).pk},
        data=lambda p: {"decision": "refund", "reason": ""},
    ),
    # Leave is recorded by whoever manages the seat (a plain member's: leadership).
    "enforcement:leave": Route(LEADERSHIP, kwargs=lambda p: {"membership_id": p.member.pk}),
    "enforcement:leave-edit": Route(LEADERSHIP, kwargs=lambda p: {"membership_id": p.member.pk,
                                                                  "leave_id": _leave(p).pk}),
    "enforcement:cases": Route(LEADERSHIP),
    "enforcement:case-detail": Route(MEMBERS, kwargs=lambda p: {"case_id": _case(p).pk}),
    # The case is about `member`: only the president recommends, only the member appeals or waives,
    # only overseers decide (the member waived, so the decision may be made at once).
    "enforcement:case-recommend": Route(
        frozenset({"president"}), method="post", kwargs=lambda p: {"case_id": _case(p).pk},
        data=lambda p: {"recommendation": "probation", "note": "Missed meetings while ill."},
    ),
    "enforcement:case-appeal": Route(
        frozenset({"member"}), method="post", kwargs=lambda p: {"case_id": _case(p).pk},
        data=lambda p: {"text": "I was in hospital."},
    ),
    "enforcement:case-waive": Route(frozenset({"member"}), method="post", kwargs=lambda p: {"case_id": _case(p).pk}),
    "enforcement:case-decide": Route(
        OVERSIGHT, method="post", kwargs=lambda p: {"case_id": _waived_case(p).pk},
        data=lambda p: {"decision": "dismiss", "reason": "The absences were medical."},
    ),
    "enforcement:standing": Route(MEMBERS),
    "enforcement:standing-member": Route(LEADERSHIP, kwargs=lambda p: {"membership_id": p.member2.pk}),
    # The review queue spans chapters: org admins see all, region staff their regions (the other
    # region's staff see an empty queue); everyone else is refused.
    "case-queue": Route(OVERSIGHT | {"other_region_staff"}, chapter_scoped=False),
    # The member's own case, readable even without a seat; everyone else gets 404.
    "my-case": Route(frozenset({"member"}), chapter_scoped=False, kwargs=lambda p: {"case_id": _case(p).pk}),
}


def _fine(p):
    from tests.enforcement.factories import FineFactory

    return FineFactory(membership=p.member)


def _case(p):
    from tests.enforcement.factories import ExpulsionCaseFactory

    return ExpulsionCaseFactory(membership=p.member)


def _waived_case(p):
    from django.utils import timezone

    from tests.enforcement.factories import ExpulsionCaseFactory

    return ExpulsionCaseFactory(membership=p.member, appeal_waived_at=timezone.now())


def _flagged(p):
    from django.utils import timezone

    from enforcement.models import Fine
    from tests.enforcement.factories import FineFactory

    return FineFactory(membership=p.member, status=Fine.Status.PAID, refund_flagged_at=timezone.now(),
                       refund_flag_reason="The mark was corrected.")


def _leave(p):
    from datetime import date

    from enforcement.models import Leave

    return Leave.objects.create(chapter=p.chapter, membership=p.member, starts_on=date(2026, 1, 5), reason="Surgery")
