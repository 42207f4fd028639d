"""The API in the permission matrix: every operation of /api/v1/, who may call it, and how.

`API_ROUTES` is walked by tests/test_access_walk.py with a token of each persona (read and write):
the allowed get a 2xx, everyone else 403 or 404, outsiders 404 for anything of the chapter, a
request without a token 401, and a read-only token 403 on every write. The matrix's objects are
those of the chapter pages' matrix: the referral is given by `member` to `president`, the fine and
the case are `member`'s.
"""

from datetime import timedelta

from tests.access_matrix import LEADERSHIP, MEMBERS, OVERSIGHT, SIGNED_IN, ApiRoute, Route

SEATED = MEMBERS - OVERSIGHT

# The token page (a page of the site, signed in with a session like the profile).
ROUTES = {
    "api:tokens": Route(SIGNED_IN, chapter_scoped=False),
    # Only the token's owner revokes it (the matrix's token is `member`'s); anyone else gets 404.
    "api:token-revoke": Route(
        frozenset({"member"}), chapter_scoped=False, method="post", kwargs=lambda p: {"token_id": _token(p).pk}
    ),
}


def _token(p):
    from api.services import api_token_create

    return api_token_create(user=p.member.user, name="Spreadsheet", scope="read", days=30)[0]


def _referral(p):
    from tests.referrals.factories import ReferralFactory

    return ReferralFactory(giver=p.member, receiver=p.president, consent="not_asked")


def _meeting(p, *, starts_in: timedelta = timedelta(minutes=30), **extra):
    """A one-off meeting of the chapter starting `starts_in` from now (its roll call is open from 2 hours before)."""
    from django.utils import timezone

    from tests.meetings.factories import MeetingFactory

    starts = timezone.now() + starts_in
    return MeetingFactory(chapter=p.chapter, kind="one_off", starts_at=starts,
                          local_date=timezone.localdate(starts, timezone=p.chapter.tz), **extra)


def _closed_meeting_with_a_mark(p):
    from django.utils import timezone

    from tests.meetings.factories import AttendanceFactory

    meeting = _meeting(p, starts_in=-timedelta(days=2), status="closed", closed_at=timezone.now())
    AttendanceFactory(meeting=meeting, membership=p.member, status="present")
    return meeting


def _fine(p):
    from tests.enforcement.factories import FineFactory

    return FineFactory(membership=p.member)


def _case(p):
    from tests.enforcement.factories import ExpulsionCaseFactory

    return ExpulsionCaseFactory(membership=p.member)


def _yesterday(p) -> str:
    from django.utils import timezone

    return (timezone.localdate(timezone=p.chapter.tz) - timedelta(days=1)).isoformat()


API_ROUTES = {
    # The caller and their own things: anyone with a token.
    "api-v1:me": ApiRoute(SIGNED_IN, chapter_scoped=False),
    "api-v1:chapter_list": ApiRoute(SIGNED_IN, chapter_scoped=False),
    "api-v1:notification_list": ApiRoute(SIGNED_IN, chapter_scoped=False),
    # The review queue, as its page: org admins see all, region staff their regions (the other region's staff
    # an empty queue); everyone else is refused.
    "api-v1:case_queue": ApiRoute(OVERSIGHT | {"other_region_staff"}, chapter_scoped=False),
    "api-v1:chapter_detail": ApiRoute(MEMBERS),
    "api-v1:member_list": ApiRoute(MEMBERS),
    "api-v1:member_detail": ApiRoute(MEMBERS, kwargs=lambda p: {"membership_id": p.member2.pk}),
    "api-v1:meeting_list": ApiRoute(MEMBERS),
    "api-v1:meeting_detail": ApiRoute(MEMBERS, kwargs=lambda p: {"meeting_id": _meeting(p).pk}),
    # The roll call with everyone's marks, and marking it: leadership (as the meeting page).
    "api-v1:meeting_attendance": ApiRoute(LEADERSHIP, kwargs=lambda p: {"meeting_id": _meeting(p).pk}),
    "api-v1:attendance_mark": ApiRoute(
        LEADERSHIP, method="put", kwargs=lambda p: {"meeting_id": _meeting(p).pk, "membership_id": p.member.pk},
        body=lambda p: {"status": "present"},
    ),
    "api-v1:attendance_correct": ApiRoute(
        LEADERSHIP, method="post",
        kwargs=lambda p: {"meeting_id": _closed_meeting_with_a_mark(p).pk, "membership_id": p.member.pk},
        body=lambda p: {"status": "late", "reason": "Arrived at 7:20, after the pitches"},
    ),
    "api-v1:referral_list": ApiRoute(MEMBERS),
    "api-v1:referral_detail": ApiRoute(MEMBERS, kwargs=lambda p: {"referral_id": _referral(p).pk}),
    # Giving and meeting need a seat: oversight without one cannot (403, as the pages).
    "api-v1:referral_create": ApiRoute(
        SEATED, method="post", body=lambda p: {"receiver_id": p.member2.pk, "kind": "inside", "temperature": 4}
    ),
    # Only the receiver moves a referral (the matrix's is `president`'s).
    "api-v1:referral_move": ApiRoute(
        frozenset({"president"}), method="post", kwargs=lambda p: {"referral_id": _referral(p).pk},
        body=lambda p: {"to": "accepted"},
    ),
    "api-v1:thank_you_list": ApiRoute(MEMBERS),
    "api-v1:one_to_one_list": ApiRoute(SEATED),
    "api-v1:one_to_one_create": ApiRoute(
        SEATED, method="post", body=lambda p: {"other_id": p.member2.pk, "met_on": _yesterday(p)}
    ),
    # Fines and cases as their pages: the chapter's for leadership (and overseers), one's own for the member.
    "api-v1:fine_list": ApiRoute(LEADERSHIP),
    "api-v1:fine_mine": ApiRoute(MEMBERS),
    "api-v1:fine_detail": ApiRoute(MEMBERS, kwargs=lambda p: {"fine_id": _fine(p).pk}),
    "api-v1:case_list": ApiRoute(LEADERSHIP),
    "api-v1:case_detail": ApiRoute(MEMBERS, kwargs=lambda p: {"case_id": _case(p).pk}),
}
