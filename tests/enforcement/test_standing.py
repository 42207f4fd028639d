"""The member standing page: the figures the enforcement works with, for the member, leadership and admins."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from enforcement import services
from enforcement.evaluation import chapter_evaluate
from enforcement.models import ChapterRules, Fine
from leadsgroups.formats import format_date
from meetings.models import Attendance
from members.models import Membership
from referrals.models import Referral
from tests.enforcement.factories import (
    AttendanceFactory,
    ChapterRulesFactory,
    ExpulsionCaseFactory,
    MeetingFactory,
    ReferralFactory,
)

FEB_28 = datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
MAR_1 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MARKS = {date(2026, 1, 7): "absent", date(2026, 1, 14): "absent", date(2026, 1, 21): "late", date(2026, 2, 4): "absent"}


@pytest.fixture
def history(personas, time_machine):
    """Mona: 3 absences and a late arrival (3.5 against 2 allowed), 1 counted referral in January and 1 in
    February against a quota of 2 consented a month; 4 violations make an expulsion candidate."""
    time_machine.move_to(FEB_28)
    Membership.objects.filter(chapter=personas.chapter).update(joined_on=date(2024, 1, 1))
    ChapterRulesFactory(
        chapter=personas.chapter, effective_from=date(2026, 1, 1), absences_allowed=2, late_weight=Decimal("0.5"),
        fine_absence=Decimal("10.00"),
        referral_quota=2, quota_period=ChapterRules.QuotaPeriod.MONTH, quota_counts=ChapterRules.QuotaCounts.CONSENTED,
        fine_quota=Decimal("5.00"), expulsion_violations=4, expulsion_months=6,
        consent_grace_days=0,  # February is judged on 1 March (the grace has its own tests)
    )
    for i in range(8):
        day = date(2026, 1, 7) + timedelta(days=7 * i)
        meeting = MeetingFactory(chapter=personas.chapter, local_date=day)
        AttendanceFactory(meeting=meeting, membership=personas.member, status=MARKS.get(day, Attendance.Status.PRESENT))
        AttendanceFactory(meeting=meeting, membership=personas.member2)
    give = dict(giver=personas.member, receiver=personas.member2)
    ReferralFactory(**give, at=datetime(2026, 1, 12, 9, tzinfo=UTC))
    ReferralFactory(**give, at=datetime(2026, 2, 10, 9, tzinfo=UTC))
    ReferralFactory(**give, consent=Referral.Consent.NOT_ASKED, at=datetime(2026, 2, 11, 9, tzinfo=UTC))
    for i in range(2):  # Max meets the quota
        ReferralFactory(giver=personas.member2, receiver=personas.member, at=datetime(2026, 1, 5 + i, tzinfo=UTC))
        ReferralFactory(giver=personas.member2, receiver=personas.member, at=datetime(2026, 2, 5 + i, tzinfo=UTC))
    result = services.chapter_enforce(chapter=personas.chapter, now=FEB_28)
    quota_jan = next(f for f in result.fines if f.kind == Fine.Kind.QUOTA and f.membership == personas.member)
    services.fine_resolve(fine=quota_jan, by=personas.treasurer.user, status=Fine.Status.PAID)
    return result


def page(client, personas, who="member", membership=None):
    personas.login(client, who)
    url = personas.url("enforcement:standing-member", membership.pk) if membership else personas.url("enforcement:standing")
    response = client.get(url)
    assert response.status_code == 200
    return response


def test_standing_figures_equal_the_enforcements(client, personas, history):
    response = page(client, personas)
    s, p = response.context["s"], response.context["page"]
    fines = {(f.kind, f.period_start): f for f in history.fines}
    # Absences: the total the last absence fine was computed from (nothing has happened since).
    last_absence = fines[(Fine.Kind.ABSENCE, date(2026, 2, 4))]
    assert s.absences == Decimal(last_absence.evidence["total"]) == Decimal("3.5")
    assert s.absences_allowed == last_absence.evidence["allowed"] == 2
    # Referrals this month: what the evaluation counts for February once it has ended.
    feb = next(f for f in chapter_evaluate(chapter=personas.chapter, today=date(2026, 3, 1)).findings
               if f.kind == Fine.Kind.QUOTA and f.membership == personas.member)
    assert s.referrals == len(feb.evidence["counted"]) == 1 and s.quota == feb.evidence["quota"] == 2
    # Balance: the unpaid fines enforcement issued (January's quota fine was paid).
    unpaid = sum(f.amount for f in history.fines if f.membership == personas.member) - Decimal("5.00")
    assert s.open_fines == unpaid == Decimal("15.00") and s.open_fines_count == 2
    # Violations: the very ones the evaluation weighs for a case once February's quota fine is added.
    mine = sorted((f for f in history.fines if f.membership == personas.member and f.kind in Fine.VIOLATION_KINDS),
                  key=lambda f: f.period_start)
    assert [v["fine_id"] for v in p.violations] == [f.pk for f in mine]
    assert p.violations_threshold == 4
    [candidate] = [c for c in chapter_evaluate(chapter=personas.chapter, today=date(2026, 3, 1)).cases
                   if c.membership == personas.member]
    assert [v["fine_id"] for v in candidate.violations if v["fine_id"]] == [v["fine_id"] for v in p.violations]
    assert len(candidate.violations) == len(p.violations) + 1 == 4


def test_standing_page_shows_the_figures_and_warnings(client, personas, history):
    html = page(client, personas).content.decode()
    assert "3.5 / 2" in html and "1 / 2" in html and "£15.00" in html and "3 / 4" in html
    assert "1.5 over the limit of 2" in html
    assert "1 more referral needed by 28 Feb 2026 (1 day left)" in html
    assert "3 violations of 4 within 6 months: one more opens an expulsion case" in html


def test_an_open_case_shows_with_its_deadline(client, personas, history, time_machine):
    time_machine.move_to(MAR_1)
    result = services.chapter_enforce(chapter=personas.chapter, now=MAR_1)
    [case] = [c for c in result.cases if c.membership_id == personas.member.pk]
    html = page(client, personas).content.decode()
    deadline = case.appeal_deadline.astimezone(personas.chapter.tz)
    assert 'id="standing-case"' in html and f"{deadline:%-d %b %Y}" in html
    assert "An expulsion case is open" in html


def test_a_member_with_no_data_sees_no_warnings_but_their_figures(client, personas):
    html = page(client, personas, "member2").content.decode()
    assert "No attendance rule yet." in html and "No rules in force yet." in html


@pytest.mark.parametrize("who", ["president", "vice_president", "treasurer", "region_staff", "org_admin"])
def test_leadership_and_admins_see_a_members_standing(client, personas, history, who):
    response = page(client, personas, who, membership=personas.member)
    assert response.context["s"].absences == Decimal("3.5")
    assert "Standing: Mona Member" in response.content.decode()


def test_a_member_cannot_see_another_members_standing(client, personas):
    personas.login(client, "member2")
    assert client.get(personas.url("enforcement:standing-member", personas.member.pk)).status_code == 403


def test_a_member_may_open_their_own_standing_by_id(client, personas):
    response = page(client, personas, "member", membership=personas.member)
    assert "My standing" in response.content.decode()


def test_overseers_without_a_seat_get_a_pointer_not_an_error(client, personas):
    personas.login(client, "org_admin")
    response = client.get(personas.url("enforcement:standing"))
    assert response.status_code == 200 and "no seat" in response.content.decode()


def test_another_chapters_member_is_not_reachable(client, personas):
    personas.login(client, "president")
    assert client.get(personas.url("enforcement:standing-member", personas.outsider.pk)).status_code == 404


def test_standing_query_count_does_not_grow(client, personas, history, django_assert_max_num_queries):
    personas.login(client, "president")
    url = personas.url("enforcement:standing-member", personas.member.pk)
    with django_assert_max_num_queries(40) as small:
        client.get(url)
    meetings = []
    for i in range(10):
        meetings.append(MeetingFactory(chapter=personas.chapter, local_date=date(2025, 10, 1) + timedelta(days=7 * i)))
        AttendanceFactory(meeting=meetings[-1], membership=personas.member, status=Attendance.Status.ABSENT)
        ReferralFactory(giver=personas.member, receiver=personas.member2, at=timezone.now() - timedelta(hours=i + 1))
        ExpulsionCaseFactory(membership=personas.member, rules=history.fines[0].rules, status="decided",
                             decision="dismiss")
    services.chapter_enforce(chapter=personas.chapter, now=FEB_28)
    with django_assert_max_num_queries(40) as large:
        client.get(url)
    assert len(large.captured_queries) == len(small.captured_queries)


# The quota period on the standing page is the one the enforcement judges ------------------------

NOV_27 = datetime(2025, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
def quota_from_25_nov(personas, time_machine):
    """No quota until a version with 2 a month comes into force on 25 Nov; Mona gives 1 referral on 26 Nov."""
    time_machine.move_to(NOV_27)
    Membership.objects.filter(chapter=personas.chapter).update(joined_on=date(2024, 1, 1))
    ChapterRulesFactory(chapter=personas.chapter, number=1, effective_from=date(2025, 1, 1))
    ChapterRulesFactory(chapter=personas.chapter, number=2, effective_from=date(2025, 11, 25), referral_quota=2,
                        quota_period=ChapterRules.QuotaPeriod.MONTH, fine_quota=Decimal("5.00"))
    ReferralFactory(giver=personas.member, receiver=personas.member2, at=datetime(2025, 11, 26, 9, tzinfo=UTC))


def test_a_quota_from_mid_month_is_not_shown_for_the_month_it_does_not_judge(client, personas, quota_from_25_nov):
    html = page(client, personas).content.decode()
    assert "1 referral given (1 Nov 2025 – 30 Nov 2025); no quota this period." in html
    assert "of 2 referrals" not in html and "more referral" not in html
    # The enforcement agrees: November is not judged once it has ended.
    evaluation = chapter_evaluate(chapter=personas.chapter, today=date(2025, 12, 1))
    assert not [f for f in evaluation.findings if f.kind == Fine.Kind.QUOTA]


def test_the_first_whole_month_under_the_new_version_shows_its_quota(client, personas, quota_from_25_nov,
                                                                     time_machine):
    time_machine.move_to(datetime(2025, 12, 3, 12, 0, tzinfo=UTC))
    html = page(client, personas).content.decode()
    assert "0 of 2 referrals (1 Dec 2025 – 31 Dec 2025)" in html
    assert "2 more referrals needed by 31 Dec 2025" in html


def test_reminders_carry_the_same_quota_figures(personas, quota_from_25_nov):
    from enforcement.selectors import reminder_contexts

    meeting = MeetingFactory(chapter=personas.chapter, local_date=date(2025, 11, 28), status="scheduled")
    context = reminder_contexts(meeting=meeting, memberships=[personas.member], today=date(2025, 11, 27))
    assert context[personas.member.pk]["standing"].referrals_text == (
        "1 referral given (1 Nov 2025 – 30 Nov 2025); no quota this period."
    )


def test_a_quota_period_begun_under_the_old_version_keeps_its_quota(client, personas, time_machine):
    """2 a month until a version without a quota starts on 25 Nov: November is still judged, at 2."""
    time_machine.move_to(NOV_27)
    Membership.objects.filter(chapter=personas.chapter).update(joined_on=date(2024, 1, 1))
    ChapterRulesFactory(chapter=personas.chapter, number=1, effective_from=date(2025, 1, 1), referral_quota=2,
                        quota_period=ChapterRules.QuotaPeriod.MONTH)
    ChapterRulesFactory(chapter=personas.chapter, number=2, effective_from=date(2025, 11, 25), referral_quota=0)
    html = page(client, personas).content.decode()
    assert "0 of 2 referrals (1 Nov 2025 – 30 Nov 2025)" in html
    evaluation = chapter_evaluate(chapter=personas.chapter, today=date(2025, 12, 1))
    assert {(f.membership, f.period.start) for f in evaluation.findings if f.kind == Fine.Kind.QUOTA} >= {
        (personas.member, date(2025, 11, 1))
    }


def test_standing_and_case_name_the_same_first_day_of_violations(client, personas, history, time_machine):
    time_machine.move_to(MAR_1)
    [case] = [c for c in services.chapter_enforce(chapter=personas.chapter, now=MAR_1).cases
              if c.membership_id == personas.member.pk]
    # 6 months back from 1 Mar 2026 is 1 Sep 2025; violations after it count, so the first day is 2 Sep.
    # en-GB's abbreviation of September is "Sept" (CLDR), in the explanation and on the page alike.
    assert "Violations since 2 Sept 2025 (" in case.explanation
    html = page(client, personas).content.decode()
    assert "since 2 Sept 2025, not waived" in html and "since 1 Sept 2025" not in html


def test_a_per_meeting_quota_runs_to_the_next_meeting(client, personas, time_machine):
    time_machine.move_to(datetime(2026, 1, 9, 12, 0, tzinfo=UTC))  # Friday; met Wed 7 Jan, meets again Wed 14 Jan
    Membership.objects.filter(chapter=personas.chapter).update(joined_on=date(2024, 1, 1))
    ChapterRulesFactory(chapter=personas.chapter, effective_from=date(2026, 1, 1), referral_quota=1,
                        quota_period=ChapterRules.QuotaPeriod.MEETING)
    MeetingFactory(chapter=personas.chapter, local_date=date(2026, 1, 7))
    MeetingFactory(chapter=personas.chapter, local_date=date(2026, 1, 14), status="scheduled")
    html = page(client, personas).content.decode()
    assert "0 of 1 referral (8 Jan 2026 – 14 Jan 2026)" in html
    assert "1 more referral needed by 14 Jan 2026 (6 days left)" in html


def test_probation_shows_its_last_day_and_conditions(client, personas):
    from enforcement import review

    case = ExpulsionCaseFactory(membership=personas.member)
    review.case_appeal_waive(case=case, by=personas.member.user)
    until = timezone.now().date() + timedelta(days=60)
    review.case_decide(case=case, by=personas.org_admin, decision="probation", reason="A first slip.",
                       probation_until=until, conditions="Attend every meeting in person.")
    for who in ("member", "president"):
        html = page(client, personas, who, membership=personas.member).content.decode()
        assert 'id="standing-probation"' in html, who
        assert format_date(until) in html and "Attend every meeting in person." in html  # "3 Sept 2027" in en-gb


def test_an_open_case_says_its_violations_are_not_counted_again(client, personas, history, time_machine):
    time_machine.move_to(MAR_1)
    services.chapter_enforce(chapter=personas.chapter, now=MAR_1)
    html = page(client, personas).content.decode()
    assert "in the open case are not counted again" in html


def test_overseers_without_a_seat_are_pointed_at_pages_that_link_to_standings(client, personas):
    personas.login(client, "org_admin")
    html = client.get(personas.url("enforcement:standing")).content.decode()
    assert personas.url("chapters:members") in html and personas.url("enforcement:cases") in html
