"""Rule arithmetic: windows, weights, allowances, grace, leave, versions and timezones."""

from datetime import UTC, date, datetime

import pytest

from enforcement.models import ChapterRules, Fine
from enforcement.services import chapter_enforce
from members.models import Membership
from referrals.models import Referral
from tests.enforcement.conftest import D, amounts
from tests.enforcement.factories import FineFactory, ReferralFactory

ABS = Fine.Kind.ABSENCE
JAN7 = date(2026, 1, 7)  # a Wednesday


def test_the_absence_over_the_limit_is_fined_and_explains_itself(world):
    world.member("Ann")
    world.rules(absences_allowed=3, window_months=6, fine_absence=D("10.00"))
    world.weekly(JAN7, ["A", "P", "A", "A", "A"])
    evaluation = world.evaluate(date(2026, 2, 10))
    assert amounts(evaluation) == [("Ann", ABS, date(2026, 2, 4), D("10.00"))]
    text = evaluation.findings[0].explanation
    for line in ["Wed, 7 Jan 2026: absent = 1", "Wed, 4 Feb 2026: absent = 1 ← this meeting",
                 "Total 4 against 3 allowed", "1 × £10.00 = £10.00", "Window: 5 Aug 2025 – 4 Feb 2026"]:
        assert line in text
    assert "14 Jan" not in text  # present: not evidence
    assert evaluation.findings[0].evidence["total"] == "4"


def test_rolling_window_forgets_absences_older_than_the_window(world):
    world.member("Ann")
    world.rules(absences_allowed=3, window_months=6)
    for day in [date(2025, 6, 4), date(2025, 7, 2), date(2025, 8, 6), date(2025, 9, 3), date(2026, 1, 14)]:
        world.meeting(day, {"Ann": "absent"})
    # 3 Sep: Jun, Jul, Aug, Sep = 4 in the window; 14 Jan: only Aug, Sep, Jan = 3.
    assert [f[2] for f in amounts(world.evaluate(date(2026, 1, 20)))] == [date(2025, 9, 3)]


def test_fixed_quarters_start_afresh(world):
    world.member("Ann")
    world.rules(absences_allowed=2, absence_window=ChapterRules.Window.QUARTER)
    for day in [date(2026, 3, 4), date(2026, 3, 18), date(2026, 3, 25), date(2026, 4, 1), date(2026, 4, 8)]:
        world.meeting(day, {"Ann": "absent"})
    assert [f[2] for f in amounts(world.evaluate(date(2026, 4, 20)))] == [date(2026, 3, 25)]


@pytest.mark.parametrize("start_month,fined", [(1, True), (4, False)])
def test_fixed_halves_follow_their_start_month(world, start_month, fined):
    world.member("Ann")
    world.rules(absences_allowed=1, absence_window=ChapterRules.Window.HALF, fixed_start_month=start_month)
    world.meeting(date(2025, 9, 24), {"Ann": "absent"})
    world.meeting(date(2025, 10, 1), {"Ann": "absent"})  # Oct starts a new Oct–Mar half when halves start in April
    assert bool(world.evaluate(date(2025, 10, 20)).findings) is fined


def test_bi_weekly_cadence_counts_the_meetings_held(world):
    world.chapter.cadence = world.chapter.Cadence.BIWEEKLY
    world.chapter.save()
    world.member("Ann")
    world.rules(absences_allowed=2, window_months=3)
    world.weekly(JAN7, ["A", "A", "A", "A"], step=14)
    assert [f[2] for f in amounts(world.evaluate(date(2026, 3, 1)))] == [date(2026, 2, 4), date(2026, 2, 18)]


def test_per_meeting_quota_on_a_bi_weekly_chapter_spans_two_weeks(world):
    world.chapter.cadence = world.chapter.Cadence.BIWEEKLY
    world.chapter.save()
    ann = world.member("Ann")
    world.member("Bob")
    world.rules(effective_from=date(2026, 1, 1), absences_allowed=9, referral_quota=1,
                quota_period=ChapterRules.QuotaPeriod.MEETING, fine_quota=D("3.00"))
    world.weekly(JAN7, ["P", "P"], step=14)
    ReferralFactory(giver=ann, receiver=world.members["Bob"], at=world.at(date(2026, 1, 10)))
    findings = [f for f in world.evaluate(date(2026, 1, 22)).findings if f.membership == ann]
    assert [(f.period.start, f.period.end) for f in findings] == [(date(2025, 12, 25), date(2026, 1, 7))]
    assert "0 of 1: short by 1" in findings[0].explanation and "£3.00" in findings[0].explanation


def test_new_members_are_not_held_to_the_rules_during_their_grace_period(world):
    world.member("Ann", joined_on=date(2026, 1, 1))
    world.rules(absences_allowed=3, grace_days=30)
    world.weekly(JAN7, ["A"] * 8)  # 7 Jan – 25 Feb; grace ends 31 Jan
    assert [f[2] for f in amounts(world.evaluate(date(2026, 3, 1)))] == [date(2026, 2, 25)]


@pytest.mark.parametrize("exempt,fined", [(True, False), (False, True)])
def test_members_on_leave_are_exempt_when_the_rules_say_so(world, exempt, fined):
    world.member("Ann", status=Membership.Status.ON_LEAVE)
    world.leave("Ann", date(2026, 1, 1))  # leave is judged by its recorded dates, not by the status alone
    world.rules(absences_allowed=1, exempt_on_leave=exempt)
    world.weekly(JAN7, ["A", "A"])
    assert bool(world.evaluate(date(2026, 2, 1)).findings) is fined


def test_cancelled_meetings_count_for_nobody(world):
    world.member("Ann")
    world.rules(absences_allowed=3)
    world.weekly(JAN7, ["A", "A", "A"])
    world.meeting(date(2026, 1, 28), {"Ann": "absent"}, status="cancelled")
    world.meeting(date(2026, 2, 4), {"Ann": "absent"}, status="scheduled")  # not closed: provisional
    assert world.evaluate(date(2026, 2, 10)).findings == []


def test_late_counts_as_a_fraction_and_is_fined_by_that_fraction(world):
    world.member("Ann")
    world.rules(absences_allowed=1, late_weight=D("0.5"), fine_absence=D("10.00"))
    world.weekly(JAN7, ["L", "L", "L", "L"])
    evaluation = world.evaluate(date(2026, 2, 10))
    assert [(f[2], f[3]) for f in amounts(evaluation)] == [(date(2026, 1, 21), D("5.00")), (date(2026, 1, 28), D("5.00"))]
    assert "0.5 × £10.00 = £5.00" in evaluation.findings[0].explanation
    assert "Total 1.5 against 1 allowed" in evaluation.findings[0].explanation


def test_a_fee_per_late_arrival_is_a_separate_fine(world):
    world.member("Ann")
    world.rules(absences_allowed=5, late_weight=D("0"), fine_late=D("2.00"))
    world.weekly(JAN7, ["L", "P", "L"])
    assert amounts(world.evaluate(date(2026, 2, 1))) == [
        ("Ann", Fine.Kind.LATE, JAN7, D("2.00")), ("Ann", Fine.Kind.LATE, date(2026, 1, 21), D("2.00"))
    ]


def test_substitutes_beyond_their_allowance_count_as_absences(world):
    world.member("Ann")
    world.rules(absences_allowed=1, substitutes_allowed=2, substitute_weight=D("0"))
    world.weekly(JAN7, ["S", "S", "S", "S"])
    evaluation = world.evaluate(date(2026, 2, 10))
    assert [f[2] for f in amounts(evaluation)] == [date(2026, 1, 28)]
    assert "substitute 4 of 2 allowed: a full absence" in evaluation.findings[0].explanation


def test_medical_beyond_its_allowance_counts_as_absence(world):
    world.member("Ann")
    world.rules(absences_allowed=0, medical_allowed=2, medical_weight=D("0"))
    world.weekly(JAN7, ["M", "M", "M"])
    assert [f[2] for f in amounts(world.evaluate(date(2026, 2, 10)))] == [date(2026, 1, 21)]


def test_a_rules_change_mid_window_judges_later_meetings_by_the_new_version(world):
    world.member("Ann")
    world.rules(effective_from=date(2025, 1, 1), absences_allowed=3, fine_absence=D("10.00"))
    world.rules(effective_from=date(2026, 2, 1), absences_allowed=2, fine_absence=D("20.00"))
    world.weekly(JAN7, ["A", "A", "P", "P", "A"])  # 7 Jan, 14 Jan, 4 Feb
    evaluation = world.evaluate(date(2026, 2, 10))
    [finding] = evaluation.findings
    assert (finding.period.start, finding.amount, finding.rules.number) == (date(2026, 2, 4), D("20.00"), 2)
    assert "version 2" in finding.explanation


def test_each_mark_is_weighed_by_the_version_in_force_on_its_day(world):
    world.member("Ann")
    world.rules(effective_from=date(2025, 1, 1), absences_allowed=1, late_weight=D("0"))
    world.rules(effective_from=date(2026, 2, 1), absences_allowed=1, late_weight=D("1"))
    world.meeting(JAN7, {"Ann": "late"})  # weighed 0: lateness did not count then
    world.meeting(date(2026, 2, 4), {"Ann": "absent"})
    assert world.evaluate(date(2026, 2, 10)).findings == []
    world.meeting(date(2026, 2, 11), {"Ann": "late"})  # weighed 1 now
    assert [f[2] for f in amounts(world.evaluate(date(2026, 2, 20)))] == [date(2026, 2, 11)]


def test_meetings_before_the_first_rules_are_not_judged(world):
    world.member("Ann")
    world.rules(effective_from=date(2026, 2, 1), absences_allowed=1)
    world.weekly(JAN7, ["A", "A", "A", "P", "A"])
    assert world.evaluate(date(2026, 2, 10)).findings == []


def test_month_quota_counts_by_the_chapter_timezone(db):
    from tests.enforcement.conftest import World
    from tests.factories import ChapterFactory

    w = World(ChapterFactory(timezone="America/New_York", currency="USD"))
    ann, bob = w.member("Ann"), w.member("Bob")
    w.rules(effective_from=date(2026, 2, 1), absences_allowed=9, referral_quota=1, fine_quota=D("5.00"))
    # 03:00 UTC on 1 March is 22:00 on 28 February in New York: a February referral.
    ReferralFactory(giver=ann, receiver=bob, at=datetime(2026, 3, 1, 3, 0, tzinfo=UTC))
    ReferralFactory(giver=bob, receiver=ann, at=datetime(2026, 2, 10, 15, 0, tzinfo=UTC))
    ReferralFactory(giver=bob, receiver=ann, at=datetime(2026, 3, 10, 15, 0, tzinfo=UTC))
    evaluation = chapter_enforce(chapter=w.chapter, now=datetime(2026, 4, 2, 12, tzinfo=UTC), dry_run=True)
    assert [(f.membership.user.full_name, f.period.start) for f in evaluation.evaluation.findings] == [
        ("Ann", date(2026, 3, 1))
    ]
    assert "$5.00" in evaluation.evaluation.findings[0].explanation


def test_a_period_ends_at_midnight_chapter_time_not_utc(db):
    from tests.enforcement.conftest import World
    from tests.factories import ChapterFactory

    w = World(ChapterFactory(timezone="America/New_York"))
    w.member("Ann")
    w.rules(effective_from=date(2026, 3, 1), absences_allowed=9, referral_quota=1)
    # 02:00 UTC on 1 April is still 31 March in New York: March has not ended there.
    before = chapter_enforce(chapter=w.chapter, now=datetime(2026, 4, 1, 2, tzinfo=UTC), dry_run=True)
    after = chapter_enforce(chapter=w.chapter, now=datetime(2026, 4, 1, 5, tzinfo=UTC), dry_run=True)
    assert before.evaluation.findings == []
    assert [f.period.start for f in after.evaluation.findings] == [date(2026, 3, 1)]


@pytest.mark.parametrize(
    "counts,short",
    [("all", False), ("consented", True), ("meeting", True), ("won", True)],
)
def test_quota_counts_only_what_the_rules_say(world, counts, short):
    ann, bob = world.member("Ann"), world.member("Bob")
    world.rules(effective_from=date(2026, 2, 1), absences_allowed=9, referral_quota=3, quota_counts=counts)
    day = world.at(date(2026, 2, 10))
    ReferralFactory(giver=ann, receiver=bob, at=day, consent=Referral.Consent.NOT_ASKED)
    ReferralFactory(giver=ann, receiver=bob, at=day, consent=Referral.Consent.CONFIRMED, status="meeting")
    ReferralFactory(giver=ann, receiver=bob, at=day, consent=Referral.Consent.STATED, status="won")
    findings = [f for f in world.evaluate(date(2026, 3, 5)).findings if f.membership == ann]
    assert bool(findings) is short
    if counts == "won":
        assert "1 of 3: short by 2" in findings[0].explanation
        text = findings[0].explanation
        assert "2 other referrals given in the period did not count:" in text
        assert "Tue, 10 Feb 2026: to Bob (won)" in text
        # Which referrals did not count, and what they lacked, so the member can check the arithmetic.
        assert "Tue, 10 Feb 2026: to Bob (given; consent not asked)" in text
        assert "Tue, 10 Feb 2026: to Bob (meeting held; consent confirmed by the prospect)" in text
        assert len(findings[0].evidence["not_counted_referrals"]) == 2


def test_week_quota_judges_only_whole_weeks_under_a_version(world):
    world.member("Ann")
    world.rules(effective_from=date(2026, 2, 4), absences_allowed=9, referral_quota=1,
                quota_period=ChapterRules.QuotaPeriod.WEEK)
    # Version from Wednesday 4 Feb: the first whole week is 9–15 Feb; 16–22 Feb has not ended on the 22nd.
    assert [f.period.start for f in world.evaluate(date(2026, 2, 22)).findings] == [date(2026, 2, 9)]


def test_expulsion_candidate_after_enough_violations_not_waived(world):
    ann = world.member("Ann")
    world.rules(absences_allowed=1, expulsion_violations=3, expulsion_months=6)
    world.weekly(JAN7, ["A", "A", "A"])
    evaluation = world.evaluate(date(2026, 2, 1))
    assert evaluation.cases == []  # two violations
    # A third absence over the limit. (A hand-made fine with no evidence behind it would now be withdrawn by
    # reconciliation, so the third violation is a real one.)
    jan28 = world.meeting(date(2026, 1, 28), {"Ann": "absent"})
    evaluation = world.evaluate(date(2026, 2, 1))
    assert [c.membership for c in evaluation.cases] == [ann]
    assert "3 violations ≥ 3" in evaluation.cases[0].explanation
    # The 28 Jan fine was issued and waived: a waived violation does not count.
    FineFactory(membership=ann, rules=ann.chapter.rules_versions.get(), period_start=date(2026, 1, 28),
                meeting=jan28, status=Fine.Status.WAIVED)
    assert world.evaluate(date(2026, 2, 1)).cases == []


def test_current_quota_period_is_the_one_the_evaluation_judges(world):
    from enforcement.evaluation import RulesBook, current_quota_period

    world.member("Ann")
    weekly = world.rules(effective_from=date(2026, 1, 1), referral_quota=1, quota_period=ChapterRules.QuotaPeriod.WEEK)
    world.rules(effective_from=date(2026, 2, 4), referral_quota=3, quota_period=ChapterRules.QuotaPeriod.MONTH)
    book = RulesBook(list(world.chapter.rules_versions.all()))
    # Thu 5 Feb: February began under the weekly version, so no month is judged; the week of 2 Feb is (at 1).
    running = current_quota_period(book=book, today=date(2026, 2, 5), meeting_period=None)
    assert (running.period.start, running.rules) == (date(2026, 2, 2), weekly)
    assert date(2026, 2, 2) in [f.period.start for f in world.evaluate(date(2026, 2, 9)).findings]
    # In March the monthly version judges its first whole month.
    running = current_quota_period(book=book, today=date(2026, 3, 5), meeting_period=None)
    assert (running.period.start, running.rules.referral_quota) == (date(2026, 3, 1), 3)


def test_explanations_pluralise_counts_of_one(world):
    world.member("Ann")
    world.rules(absences_allowed=1, window_months=1, expulsion_violations=1, expulsion_months=1)
    world.weekly(JAN7, ["A", "A"])
    evaluation = world.evaluate(date(2026, 1, 20))
    [fine] = evaluation.findings
    assert "allows 1 absence in any rolling 1 month." in fine.explanation
    [case] = evaluation.cases
    assert "1 violation within 1 month makes a member" in case.explanation and "1 violation ≥ 1" in case.explanation
    assert "absences" not in fine.explanation.split("\n")[0] and "violations" not in case.explanation.split("\n")[0]


def test_plain_numbers_in_evidence():
    """Numbers in stored evidence and logs are plain (no locale): worded in the reader's locale when shown."""
    from leadsgroups.formats import plain_number

    assert [plain_number(1), plain_number(D("0.50")), plain_number(D("2.25")), plain_number(D("1.00")),
            plain_number(0)] == ["1", "0.5", "2.25", "1", "0"]


def test_per_meeting_quota_with_two_meetings_on_one_day_judges_that_day_once(world):
    """A one-off meeting the evening of a regular one does not make an empty period (starting after it ends)
    that nobody could meet: the day's meetings close one period."""
    ann, bob = world.member("Ann"), world.member("Bob")
    world.rules(effective_from=date(2026, 1, 1), absences_allowed=9, referral_quota=1,
                quota_period=ChapterRules.QuotaPeriod.MEETING, fine_quota=D("3.00"))
    world.meeting(JAN7)
    world.meeting(date(2026, 1, 14))
    world.meeting(date(2026, 1, 14), kind="one_off", starts_at=datetime(2026, 1, 14, 19, tzinfo=UTC))
    ReferralFactory(giver=ann, receiver=bob, at=world.at(date(2026, 1, 10)))
    ReferralFactory(giver=bob, receiver=ann, at=world.at(date(2026, 1, 5)))
    periods = sorted((f.membership.user.full_name, f.period.start, f.period.end)
                     for f in world.evaluate(date(2026, 1, 20)).findings)
    assert periods == [("Ann", date(2026, 1, 1), date(2026, 1, 7)), ("Bob", date(2026, 1, 8), date(2026, 1, 14))]
