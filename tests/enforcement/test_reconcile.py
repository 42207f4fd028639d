"""Reconciliation on a chapter built by hand: fines equal a hand count before and after each change of
evidence (a correction, back-dated leave, a rules version, a consent answer), and a rerun changes nothing.

The chapter (Europe/London), rules version 1 from 1 Jan 2026: 2 absences allowed in a rolling 6 months,
a late counts 0.5, 1 substitute allowed (weight 0), £10 per absence over the limit; a quota of 1 referral
a calendar month (every referral counts), £5 per missed month; 3 violations in 6 months make a case.

Eight Wednesday meetings, 7 Jan – 25 Feb 2026 (P present, A absent, L late, S substitute):

    Ann  A A P A A P P P   absences 7, 14, 28 Jan, 4 Feb: 3rd and 4th over the limit → £10 on 28 Jan, £10 on 4 Feb
    Bob  P L L A P P P P   0.5 + 0.5 + 1 = 2, not over 2 → nothing
    Cat  S S P P P P P P   1st substitute within the allowance (0), 2nd beyond it (1) → 1, nothing

Referrals given: Ann 1 in January, none in February → £5 for February; Bob 1 each month → nothing;
Cat none in January, 1 in February → £5 for January. Officers give 1 each month.

Hand count on Mon 2 Mar 2026: Ann 28 Jan £10, Ann 4 Feb £10, Ann Feb £5, Cat Jan £5; Ann's 3 violations
open a case.
"""

from datetime import UTC, date, datetime, time, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enforcement import services
from enforcement.evaluation import chapter_evaluate, expulsion_since, violations_on_record
from enforcement.leave import leave_record
from enforcement.models import ChapterRules, ExpulsionCase, Fine
from meetings.models import Attendance
from meetings.services import attendance_correct
from members.models import AuditEvent, Membership, Notification
from referrals import services as referral_services
from referrals.models import Referral
from tests.enforcement.conftest import D, World
from tests.enforcement.factories import ReferralFactory
from tests.factories import ChapterFactory, UserFactory

MON_2_MAR = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
WEDS = [date(2026, 1, 7) + timedelta(days=7 * i) for i in range(8)]
MARKS = {"Ann": "AAPAAPPP", "Bob": "PLLAPPPP", "Cat": "SSPPPPPP"}
ABS, LATE, QUOTA = Fine.Kind.ABSENCE, Fine.Kind.LATE, Fine.Kind.QUOTA
STATUS = {"P": "present", "A": "absent", "L": "late", "S": "substitute"}

HAND_COUNT = {
    ("Ann", ABS, date(2026, 1, 28), D("10.00")),
    ("Ann", ABS, date(2026, 2, 4), D("10.00")),
    ("Ann", QUOTA, date(2026, 2, 1), D("5.00")),
    ("Cat", QUOTA, date(2026, 1, 1), D("5.00")),
}


def standing_fines(world) -> set:
    """The fines that stand (not withdrawn), as (name, kind, period start, amount)."""
    return {
        (f.membership.user.full_name, f.kind, f.period_start, f.amount)
        for f in Fine.objects.filter(chapter=world.chapter).exclude(status=Fine.Status.WITHDRAWN)
        .select_related("membership__user")
    }


def enforce(world, now=MON_2_MAR):
    return services.chapter_enforce(chapter=world.chapter, now=now)


@pytest.fixture
def hand(db, time_machine):
    time_machine.move_to(MON_2_MAR, tick=False)
    w = World(ChapterFactory(slug="by-hand", timezone="Europe/London", currency="GBP"))
    for name in ("Ann", "Bob", "Cat"):
        w.member(name)
    w.member("Pres", role=Membership.Role.PRESIDENT)
    w.member("Tess", role=Membership.Role.SECRETARY_TREASURER)
    w.admin = UserFactory(is_org_admin=True, full_name="Olga Admin")  # decides cases (the chapter has no region)
    w.rules(effective_from=date(2026, 1, 1), absences_allowed=2, window_months=6, late_weight=D("0.5"),
            substitutes_allowed=1, substitute_weight=D("0"), medical_weight=D("0"), medical_allowed=8,
            fine_absence=D("10.00"), referral_quota=1, quota_period=ChapterRules.QuotaPeriod.MONTH,
            fine_quota=D("5.00"), expulsion_violations=3, expulsion_months=6)
    w.meetings = {}
    for i, day in enumerate(WEDS):
        w.meetings[day] = w.meeting(day, {name: STATUS[marks[i]] for name, marks in MARKS.items()})
    gives = {"Ann": [(2026, 1)], "Bob": [(2026, 1), (2026, 2)], "Cat": [(2026, 2)],
             "Pres": [(2026, 1), (2026, 2)], "Tess": [(2026, 1), (2026, 2)]}
    for name, months in gives.items():
        to = w.members["Pres" if name != "Pres" else "Tess"]
        for year, month in months:
            ReferralFactory(giver=w.members[name], receiver=to, at=w.at(date(year, month, 12)))
    return w


def test_fines_equal_the_hand_count_and_a_case_opens(hand):
    result = enforce(hand)
    assert standing_fines(hand) == HAND_COUNT
    [case] = result.cases
    assert case.membership == hand.members["Ann"] and case.fines.count() == 3


def test_reconciling_twice_changes_nothing(hand):
    enforce(hand)
    before = (Fine.objects.count(), ExpulsionCase.objects.count(), Notification.objects.count(),
              AuditEvent.objects.count())
    again = enforce(hand)
    assert again.fines == again.withdrawn == again.refund_flagged == again.cases == [] and not again.case_flags
    assert not again.evaluation.changes_anything
    assert (Fine.objects.count(), ExpulsionCase.objects.count(), Notification.objects.count(),
            AuditEvent.objects.count()) == before


def test_a_correction_withdraws_the_fine_tells_the_member_and_flags_the_case(hand, django_capture_on_commit_callbacks):
    enforce(hand)
    jan28 = Fine.objects.get(membership=hand.members["Ann"], kind=ABS, period_start=date(2026, 1, 28))
    case = ExpulsionCase.objects.get(membership=hand.members["Ann"])
    with mock.patch("enforcement.tasks.chapter_enforce_task.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            attendance_correct(meeting=hand.meetings[date(2026, 1, 14)], membership=hand.members["Ann"],
                               status=Attendance.Status.MEDICAL, by=hand.members["Pres"].user,
                               reason="Hospital letter for 14 January")
    delay.assert_called_once_with(hand.chapter.pk)  # the correction queues the reconciliation
    result = enforce(hand)
    # Hand count: Ann's counted absences are now 7 Jan, 28 Jan, 4 Feb (14 Jan medical = 0): only 4 Feb is over 2.
    assert standing_fines(hand) == HAND_COUNT - {("Ann", ABS, date(2026, 1, 28), D("10.00"))}
    jan28.refresh_from_db()
    assert jan28.status == Fine.Status.WITHDRAWN and jan28.withdrawn_at is not None
    assert "The mark of Wed, 14 Jan 2026 was corrected from absent to medical" in jan28.withdrawn_reason
    assert "Hospital letter for 14 January" in jan28.withdrawn_reason
    assert jan28.withdrawn_cause["kind"] == "correction"
    assert jan28.withdrawn_cause["changes"][0]["to"] == "medical"
    # 4 Feb still over the limit, but its evidence listed 14 Jan as absent: withdrawn and re-issued.
    feb4 = Fine.objects.get(membership=hand.members["Ann"], kind=ABS, period_start=date(2026, 2, 4),
                            status=Fine.Status.OPEN)
    assert "Wed, 14 Jan 2026: medical = 0" in feb4.explanation
    assert Fine.objects.get(replaced_by=feb4).status == Fine.Status.WITHDRAWN
    assert AuditEvent.objects.filter(action="fine.withdrawn", target_id=str(jan28.pk)).exists()
    ann = hand.members["Ann"].user
    assert Notification.objects.filter(user=ann, dedupe_key=f"fine-withdrawn:{jan28.pk}").exists()
    # No longer counts toward expulsion; the case (3 violations) now stands on 2: flagged to its deciders.
    since = expulsion_since(hand.chapter.rules_versions.get(), date(2026, 3, 2))
    assert jan28.pk not in {v["fine_id"] for v in violations_on_record(chapter=hand.chapter, since=since)[ann.pk]}
    case.refresh_from_db()
    assert case.below_threshold_at is not None and "Only 2 violations" in case.below_threshold_note
    assert [f.case_id for f in result.case_flags] == [case.pk]
    assert Notification.objects.filter(user=hand.admin, kind="case", title__contains="below its threshold").exists()


def test_a_withdrawal_names_what_a_mark_the_fine_did_not_count_was_before_its_correction(hand):
    enforce(hand)
    jan28 = Fine.objects.get(membership=hand.members["Ann"], kind=ABS, period_start=date(2026, 1, 28))
    attendance_correct(meeting=hand.meetings[date(2026, 1, 21)], membership=hand.members["Ann"],
                       status=Attendance.Status.ABSENT, by=hand.members["Pres"].user, reason="Left before it began")
    enforce(hand)
    jan28.refresh_from_db()
    # 21 Jan was present, so the 28 Jan fine's evidence never listed it: the reason still says what it was.
    assert jan28.status == Fine.Status.WITHDRAWN
    assert "The mark of Wed, 21 Jan 2026 was corrected from present to absent" in jan28.withdrawn_reason
    assert "unmarked" not in jan28.withdrawn_reason
    assert jan28.withdrawn_cause["changes"][0]["from"] == "present"


def test_the_case_page_shows_the_flag_and_the_fine_pages_the_withdrawal(hand, client):
    enforce(hand)
    attendance_correct(meeting=hand.meetings[date(2026, 1, 14)], membership=hand.members["Ann"],
                       status=Attendance.Status.MEDICAL, by=hand.members["Pres"].user, reason="Hospital letter")
    enforce(hand)
    case = ExpulsionCase.objects.get(membership=hand.members["Ann"])
    client.force_login(hand.admin)
    html = client.get(case.get_absolute_url()).content.decode()
    assert 'id="case-below-threshold"' in html and "Dismissing the case may be due" in html
    client.force_login(hand.members["Ann"].user)
    mine = client.get(f"/c/{hand.chapter.slug}/fines/mine/").content.decode()
    assert "Withdrawn" in mine and "was corrected from absent to medical" in mine
    jan28 = Fine.objects.get(membership=hand.members["Ann"], kind=ABS, period_start=date(2026, 1, 28))
    page = client.get(jan28.get_absolute_url()).content.decode()
    assert 'id="fine-withdrawn"' in page and "does not count toward expulsion" in page


def test_a_paid_fine_is_flagged_for_a_refund_not_withdrawn(hand, client):
    enforce(hand)
    jan28 = Fine.objects.get(membership=hand.members["Ann"], kind=ABS, period_start=date(2026, 1, 28))
    services.fine_resolve(fine=jan28, by=hand.members["Tess"].user, status=Fine.Status.PAID)
    attendance_correct(meeting=hand.meetings[date(2026, 1, 14)], membership=hand.members["Ann"],
                       status=Attendance.Status.MEDICAL, by=hand.members["Pres"].user, reason="Hospital letter")
    result = enforce(hand)
    jan28.refresh_from_db()
    assert jan28.status == Fine.Status.PAID and jan28.refund_pending and result.refund_flagged == [jan28]
    assert "corrected from absent to medical" in jan28.refund_flag_reason
    for leader in ("Pres", "Tess"):
        assert Notification.objects.filter(user=hand.members[leader].user, dedupe_key=f"fine-refund:{jan28.pk}").exists()
    assert enforce(hand).refund_flagged == []  # flagged once
    client.force_login(hand.members["Tess"].user)
    listing = client.get(f"/c/{hand.chapter.slug}/fines/?status=refund").content.decode()
    assert f'id="fine-{jan28.pk}"' in listing and "Refund to decide" in listing
    refused = client.post(f"/c/{hand.chapter.slug}/fines/{jan28.pk}/refund/", {"decision": "keep", "reason": "no"})
    assert refused.status_code == 422 and "why the fine is kept" in refused.content.decode()
    client.post(f"/c/{hand.chapter.slug}/fines/{jan28.pk}/refund/", {"decision": "refund", "reason": ""})
    jan28.refresh_from_db()
    assert jan28.status == Fine.Status.REFUNDED and jan28.refund_decided_by == hand.members["Tess"].user
    assert AuditEvent.objects.filter(action="fine.refund_refund", target_id=str(jan28.pk)).exists()


def test_only_the_president_or_treasurer_decide_refunds(hand, client):
    enforce(hand)
    jan28 = Fine.objects.get(membership=hand.members["Ann"], kind=ABS, period_start=date(2026, 1, 28))
    services.fine_resolve(fine=jan28, by=hand.members["Tess"].user, status=Fine.Status.PAID)
    attendance_correct(meeting=hand.meetings[date(2026, 1, 14)], membership=hand.members["Ann"],
                       status=Attendance.Status.MEDICAL, by=hand.members["Pres"].user, reason="Hospital letter")
    enforce(hand)
    vp = hand.member("Vic", role=Membership.Role.VICE_PRESIDENT)
    client.force_login(vp.user)
    assert client.post(f"/c/{hand.chapter.slug}/fines/{jan28.pk}/refund/", {"decision": "refund"}).status_code == 403


def test_back_dated_leave_withdraws_the_fines_inside_it(hand, django_capture_on_commit_callbacks):
    """Hand count: leave 26 Jan – 8 Feb excuses 28 Jan and 4 Feb, and February (overlapping: excused in
    full); Ann's counted absences are 7 and 14 Jan only, within the limit. Cat's January fine stays."""
    enforce(hand)
    with mock.patch("enforcement.tasks.chapter_enforce_task.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            leave_record(membership=hand.members["Ann"], by=hand.members["Pres"].user, starts_on=date(2026, 1, 26),
                         ends_on=date(2026, 2, 8), reason="Hospital stay (letter dated 26 Jan)")
    delay.assert_called_once_with(hand.chapter.pk)
    enforce(hand)
    assert standing_fines(hand) == {("Cat", QUOTA, date(2026, 1, 1), D("5.00"))}
    withdrawn = Fine.objects.filter(membership=hand.members["Ann"], status=Fine.Status.WITHDRAWN)
    assert withdrawn.count() == 3
    assert {f.withdrawn_cause["kind"] for f in withdrawn} == {"leave"}
    assert all("Leave from 26 Jan 2026 to 8 Feb 2026 covers" in f.withdrawn_reason for f in withdrawn)
    hand.members["Ann"].refresh_from_db()
    assert hand.members["Ann"].status == Membership.Status.ACTIVE  # the leave has ended: not on leave today


def test_a_rules_version_in_force_from_today_rejudges_todays_meeting(hand, time_machine):
    """Wed 4 Mar: Bob absent at 07:00 → 0.5 + 0.5 + 1 + 1 = 3 > 2: £10. A version from today allowing 3 makes
    it 3 ≤ 3: the fine is withdrawn (cause: the new version)."""
    wed = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    time_machine.move_to(wed, tick=False)
    hand.meeting(date(2026, 3, 4), {"Bob": "absent"})
    enforce(hand, now=wed)
    bob_fine = Fine.objects.get(membership=hand.members["Bob"], kind=ABS)
    assert (bob_fine.period_start, bob_fine.amount) == (date(2026, 3, 4), D("10.00"))
    v1 = hand.chapter.rules_versions.get()
    data = {k: getattr(v1, k) for k in ChapterRules.RULE_FIELDS} | {"absences_allowed": 3}
    services.rules_create(chapter=hand.chapter, by=hand.members["Pres"].user, data=data,
                          effective_from=date(2026, 3, 4), reason="Three absences allowed from today")
    enforce(hand, now=wed)
    bob_fine.refresh_from_db()
    assert bob_fine.status == Fine.Status.WITHDRAWN
    assert bob_fine.withdrawn_cause == {  # everything the words need, in the reader's language later
        "v": 2, "kind": "rules", "from_version": 1, "to_version": 2, "to_from": "2026-03-04",
        "rules_id": hand.chapter.rules_versions.get(number=2).pk, "about": {"meeting": "2026-03-04"},
    }
    assert "Rules version 2 (in force from 4 Mar 2026) now judges the meeting of Wed, 4 Mar 2026" in bob_fine.withdrawn_reason


def test_a_consent_answer_within_the_grace_withdraws_a_quota_fine_issued_too_early(db, time_machine):
    """A consent-only quota fined before its grace was over (as an older release did) is withdrawn once the
    prospect's confirmation, given within the grace, is on record. Hand count: 1 of 1 → no fine."""
    time_machine.move_to(datetime(2026, 3, 1, 12, tzinfo=UTC), tick=False)
    w = World(ChapterFactory(timezone="Europe/London"))
    ann, bob = w.member("Ann"), w.member("Bob")
    rules = w.rules(effective_from=date(2026, 2, 1), absences_allowed=9, referral_quota=1, fine_quota=D("5.00"),
                    quota_counts=ChapterRules.QuotaCounts.CONSENTED, consent_grace_days=3)
    referral = ReferralFactory(giver=ann, receiver=bob, at=w.at(date(2026, 2, 20)), consent=Referral.Consent.NOT_ASKED)
    ReferralFactory(giver=bob, receiver=ann, at=w.at(date(2026, 2, 10)), consent=Referral.Consent.STATED)
    early = Fine.objects.create(
        chapter=w.chapter, membership=ann, rules=rules, kind=QUOTA, period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 28), amount=D("5.00"), currency="GBP", explanation="0 of 1: short by 1.",
        evidence={"counted": [], "quota": 1},
    )
    _, link = referral_services.consent_request_send(referral=referral, by=ann)
    time_machine.move_to(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False)
    referral_services.consent_answer(token=link.rstrip("/").split("/")[-1], answer="confirm")
    assert enforce(w, now=datetime(2026, 3, 3, 12, tzinfo=UTC)).withdrawn == []  # the grace runs to 3 Mar
    enforce(w, now=datetime(2026, 3, 4, 12, tzinfo=UTC))
    early.refresh_from_db()
    assert early.status == Fine.Status.WITHDRAWN
    assert early.withdrawn_cause == {
        "v": 2, "kind": "consent", "referral_ids": [referral.pk], "grace_until": "2026-03-03",
        "referrals": [{"referral_id": referral.pk, "receiver": "Bob", "date": "2026-02-20", "consented_on": "2026-03-02"}],
        "about": {"period": ["2026-02-01", "2026-02-28"]},
    }
    assert "confirmed consent on 2 Mar 2026, within the grace (consent given up to 3 Mar 2026 counts)" in early.withdrawn_reason
    assert not Fine.objects.exclude(status=Fine.Status.WITHDRAWN).exists()


def test_a_declined_stated_consent_issues_the_missing_quota_fine(db, time_machine):
    """The giver stated consent; weeks after the period the prospect declines through a link. Hand count:
    February now has 0 consented of 1 → £5, explained with the declined referral."""
    time_machine.move_to(datetime(2026, 3, 10, 12, tzinfo=UTC), tick=False)
    w = World(ChapterFactory(timezone="Europe/London"))
    ann, bob = w.member("Ann"), w.member("Bob")
    w.rules(effective_from=date(2026, 2, 1), absences_allowed=9, referral_quota=1, fine_quota=D("5.00"),
            quota_counts=ChapterRules.QuotaCounts.CONSENTED)
    referral = ReferralFactory(giver=ann, receiver=bob, at=w.at(date(2026, 2, 20)), consent=Referral.Consent.STATED)
    ReferralFactory(giver=bob, receiver=ann, at=w.at(date(2026, 2, 10)), consent=Referral.Consent.STATED)
    assert enforce(w, now=datetime(2026, 3, 10, 12, tzinfo=UTC)).fines == []
    _, link = referral_services.consent_request_send(referral=referral, by=ann)
    referral_services.consent_answer(token=link.rstrip("/").split("/")[-1], answer="decline")
    [fine] = enforce(w, now=datetime(2026, 3, 10, 13, tzinfo=UTC)).fines
    assert (fine.membership, fine.period_start, fine.amount) == (ann, date(2026, 2, 1), D("5.00"))
    assert "consent declined by the prospect" in fine.explanation


def test_evaluation_queries_do_not_grow_with_members(db):
    """The same history for 3 members and for 9: the same number of queries (one chapter, set-based)."""
    def build(n):
        w = World(ChapterFactory(timezone="Europe/London"))
        names = [f"M{i}" for i in range(n)]
        for name in names:
            w.member(name)
        w.rules(effective_from=date(2026, 1, 1), absences_allowed=1, late_weight=D("0.5"), fine_late=D("2.00"),
                referral_quota=1, fine_quota=D("5.00"), expulsion_violations=2)
        for i, day in enumerate(WEDS[:5]):
            w.meeting(day, {name: ["absent", "late", "substitute", "medical", "absent"][i] for name in names})
        for name in names[::2]:
            w.leave(name, date(2026, 2, 1), date(2026, 2, 7), reason="Away")
        services.chapter_enforce(chapter=w.chapter, now=MON_2_MAR)  # fines on record too
        Fine.objects.filter(chapter=w.chapter, kind=ABS).update(evidence={})  # make every fine need withdrawing
        with CaptureQueriesContext(connection) as queries:
            evaluation = chapter_evaluate(chapter=w.chapter, today=date(2026, 3, 2))
        assert evaluation.withdrawals  # the explaining queries ran as well
        return len(queries)

    assert build(3) == build(9)


@pytest.mark.parametrize("when,judged", [(time(3, 59), False), (time(4, 1), True)])
def test_per_meeting_quota_is_judged_after_the_meetings_local_day_across_dst(db, when, judged):
    """New York, Sun 8 Mar 2026 (clocks go forward at 02:00): the meeting's day ends at midnight EDT,
    04:00 UTC on 9 Mar. A referral given at 23:00 that Sunday evening counts for the meeting's period."""
    w = World(ChapterFactory(timezone="America/New_York", currency="USD"))
    ann, bob = w.member("Ann"), w.member("Bob")
    w.rules(effective_from=date(2026, 1, 1), absences_allowed=9, referral_quota=1,
            quota_period=ChapterRules.QuotaPeriod.MEETING, fine_quota=D("3.00"))
    w.meeting(date(2026, 3, 1), starts_at=datetime(2026, 3, 1, 10, tzinfo=w.chapter.tz))
    w.meeting(date(2026, 3, 8), starts_at=datetime(2026, 3, 8, 10, tzinfo=w.chapter.tz))
    ReferralFactory(giver=ann, receiver=bob, at=datetime(2026, 3, 8, 23, 0, tzinfo=w.chapter.tz))  # 03:00 UTC on 9 Mar
    ReferralFactory(giver=ann, receiver=bob, at=datetime(2026, 2, 25, 12, tzinfo=w.chapter.tz))
    ReferralFactory(giver=bob, receiver=ann, at=datetime(2026, 2, 26, 12, tzinfo=w.chapter.tz))
    result = enforce(w, now=datetime.combine(date(2026, 3, 9), when, tzinfo=UTC))
    periods = {(f.membership.user.full_name, f.period_end) for f in result.fines}
    # Hand count: 1 Mar's period (22 Feb – 1 Mar): both gave one. 8 Mar's (2 – 8 Mar): Ann gave one, Bob none.
    assert periods == ({("Bob", date(2026, 3, 8))} if judged else set())


def test_per_meeting_quota_is_not_judged_on_the_meetings_day(db):
    """The meeting closes at 08:00 (London); a referral that afternoon, inside the period, counts."""
    w = World(ChapterFactory(timezone="Europe/London"))
    ann, bob = w.member("Ann"), w.member("Bob")
    w.rules(effective_from=date(2026, 1, 1), absences_allowed=9, referral_quota=1,
            quota_period=ChapterRules.QuotaPeriod.MEETING, fine_quota=D("3.00"))
    w.meeting(date(2026, 1, 7))
    w.meeting(date(2026, 1, 14))
    for day in (date(2026, 1, 5), date(2026, 1, 6)):
        ReferralFactory(giver=ann, receiver=bob, at=w.at(day))
        ReferralFactory(giver=bob, receiver=ann, at=w.at(day))
    assert enforce(w, now=w.at(date(2026, 1, 14), 9)).fines == []  # closed, but the day is not over
    ReferralFactory(giver=ann, receiver=bob, at=w.at(date(2026, 1, 14), 15))
    [fine] = enforce(w, now=w.at(date(2026, 1, 15), 0) + timedelta(minutes=5)).fines
    assert (fine.membership, fine.period_start, fine.period_end) == (bob, date(2026, 1, 8), date(2026, 1, 14))


def test_a_broker_outage_never_fails_the_change_that_queues_a_reconciliation(hand, django_capture_on_commit_callbacks):
    with mock.patch("enforcement.tasks.chapter_enforce_task.delay", side_effect=ConnectionError("broker down")):
        with django_capture_on_commit_callbacks(execute=True):
            row = attendance_correct(meeting=hand.meetings[date(2026, 1, 14)], membership=hand.members["Ann"],
                                     status=Attendance.Status.MEDICAL, by=hand.members["Pres"].user,
                                     reason="Hospital letter")
    assert row.status == Attendance.Status.MEDICAL  # saved; the daily sweep reconciles


def test_a_rules_version_and_a_consent_answer_queue_a_reconciliation(hand, django_capture_on_commit_callbacks):
    v1 = hand.chapter.rules_versions.get()
    referral = Referral.objects.filter(giver=hand.members["Ann"]).first()
    Referral.objects.filter(pk=referral.pk).update(consent=Referral.Consent.NOT_ASKED)
    referral.refresh_from_db()
    with mock.patch("enforcement.tasks.chapter_enforce_task.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            services.rules_create(chapter=hand.chapter, by=None, effective_from=date(2026, 3, 2),
                                  data={k: getattr(v1, k) for k in ChapterRules.RULE_FIELDS} | {"fine_quota": D("6")})
        with django_capture_on_commit_callbacks(execute=True):
            _, link = referral_services.consent_request_send(referral=referral, by=hand.members["Ann"])
            referral_services.consent_answer(token=link.rstrip("/").split("/")[-1], answer="confirm")
    assert delay.call_args_list == [mock.call(hand.chapter.pk), mock.call(hand.chapter.pk)]


def test_preview_lists_what_would_be_withdrawn(hand, client):
    enforce(hand)
    attendance_correct(meeting=hand.meetings[date(2026, 1, 14)], membership=hand.members["Ann"],
                       status=Attendance.Status.MEDICAL, by=hand.members["Pres"].user, reason="Hospital letter")
    client.force_login(hand.members["Pres"].user)
    html = client.get(f"/c/{hand.chapter.slug}/rules/preview/").content.decode()
    assert 'id="preview-withdrawals"' in html and "was corrected from absent to medical" in html
    assert Fine.objects.filter(status=Fine.Status.WITHDRAWN).count() == 0  # a preview changes nothing


def test_a_replacement_of_a_fine_weighed_in_a_decided_case_does_not_open_a_new_one(hand):
    enforce(hand)
    case = ExpulsionCase.objects.get(membership=hand.members["Ann"])
    ExpulsionCase.objects.filter(pk=case.pk).update(status="decided", decision="dismiss")
    hand.chapter.rules_versions.update(expulsion_violations=2)  # two replacements alone would reach it
    # Correcting 7 Jan to late re-weighs both absence fines (4 Feb replaced: its evidence changed).
    attendance_correct(meeting=hand.meetings[date(2026, 1, 7)], membership=hand.members["Ann"],
                       status=Attendance.Status.LATE, by=hand.members["Pres"].user, reason="Arrived at 07:20")
    result = enforce(hand)
    assert result.fines and result.cases == []
    assert {f.pk for f in result.fines} <= set(case.fines.values_list("pk", flat=True))  # joins the decided case
