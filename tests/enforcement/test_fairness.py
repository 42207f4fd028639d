"""Fairness rules made explicit: each mark judged by the version of its own day, a late fee stacking
with the late's share of an absence only when the rules say so (each fine naming the other), wording
that names lates where lates were counted, and consent-only quotas with a grace. Hand counts in each."""

from datetime import UTC, date, datetime, timedelta

import pytest

from enforcement import services
from enforcement.models import ChapterRules, Fine, RulesLimits
from enforcement.review_selectors import queue_rows
from enforcement.selectors import member_standings, rules_plain_language
from referrals.models import ConsentRequest, Referral
from tests.enforcement.conftest import D, World, amounts
from tests.enforcement.factories import ReferralFactory
from tests.factories import ChapterFactory

ABS, LATE, QUOTA = Fine.Kind.ABSENCE, Fine.Kind.LATE, Fine.Kind.QUOTA
JAN7 = date(2026, 1, 7)


def test_a_substitute_within_its_days_allowance_is_not_rejudged_by_a_later_version(world):
    """v1 (from Dec) allows 2 substitutes, v2 (from 1 Feb) none; 1 absence allowed throughout.
    Ann: S 7 Jan, S 14 Jan (both within v1's 2: weight 0), A 4 Feb, A 11 Feb, S 18 Feb (v2 counts the
    substitutes in its own window ending that day: 3 of 0 allowed → 1).
    Hand count: 4 Feb total 1 (not over 1); 11 Feb total 2 → £10; 18 Feb total 3 → £10."""
    world.member("Ann")
    world.rules(effective_from=date(2025, 12, 1), absences_allowed=1, substitutes_allowed=2, substitute_weight=D("0"))
    world.rules(effective_from=date(2026, 2, 1), absences_allowed=1, substitutes_allowed=0, substitute_weight=D("0"))
    for day, status in [(JAN7, "substitute"), (date(2026, 1, 14), "substitute"), (date(2026, 2, 4), "absent"),
                        (date(2026, 2, 11), "absent"), (date(2026, 2, 18), "substitute")]:
        world.meeting(day, {"Ann": status})
    evaluation = world.evaluate(date(2026, 2, 20))
    assert [(f[2], f[3]) for f in amounts(evaluation)] == [(date(2026, 2, 11), D("10.00")), (date(2026, 2, 18), D("10.00"))]
    text = evaluation.findings[1].explanation
    assert "Wed, 7 Jan 2026: substitute = 0" in text and "Wed, 14 Jan 2026: substitute = 0" in text
    assert "Wed, 18 Feb 2026: substitute = 1 (substitute 3 of 0 allowed: a full absence)" in text


def test_a_substitute_fine_of_the_old_arithmetic_is_withdrawn_and_explained(world):
    """A fine issued when v2 re-judged v1's substitutes (the old arithmetic) no longer stands."""
    ann = world.member("Ann")
    world.rules(effective_from=date(2025, 12, 1), absences_allowed=1, substitutes_allowed=2, substitute_weight=D("0"))
    v2 = world.rules(effective_from=date(2026, 2, 1), absences_allowed=1, substitutes_allowed=0)
    s1, s2 = world.meeting(JAN7, {"Ann": "substitute"}), world.meeting(date(2026, 1, 14), {"Ann": "substitute"})
    feb4 = world.meeting(date(2026, 2, 4), {"Ann": "absent"})
    old = Fine.objects.create(
        chapter=world.chapter, membership=ann, rules=v2, kind=ABS, period_start=feb4.local_date,
        period_end=feb4.local_date, meeting=feb4, amount=D("20.00"), currency="GBP", explanation="old",
        evidence={"marks": [
            {"meeting_id": s1.pk, "date": "2026-01-07", "status": "substitute", "weight": "1"},
            {"meeting_id": s2.pk, "date": "2026-01-14", "status": "substitute", "weight": "1"},
            {"meeting_id": feb4.pk, "date": "2026-02-04", "status": "absent", "weight": "1"},
        ]},
    )
    services.chapter_enforce(chapter=world.chapter, now=datetime(2026, 2, 10, 12, tzinfo=UTC))
    old.refresh_from_db()
    assert old.status == Fine.Status.WITHDRAWN and old.withdrawn_cause["kind"] == "recalculated"
    assert "Wed, 7 Jan 2026: substitute now counts 0 (was 1)" in old.withdrawn_reason


@pytest.fixture
def late_world(world):
    """Ann: absent 7 Jan, late 14 Jan; 1 absence allowed, a late counts 0.5, £10 an absence, £2 a late.
    Hand count at 14 Jan: 1 + 0.5 = 1.5, 0.5 over the limit → £5 if stacked; the late fee £2 either way."""
    world.member("Ann")
    world.meeting(JAN7, {"Ann": "absent"})
    world.meeting(date(2026, 1, 14), {"Ann": "late"})
    return world


@pytest.mark.parametrize("stacks,absence_amount", [(True, D("5.00")), (False, D("0.00"))])
def test_a_late_fee_stacks_with_the_lates_share_of_an_absence_only_if_the_rules_say_so(
    late_world, client, stacks, absence_amount
):
    w = late_world
    w.rules(absences_allowed=1, late_weight=D("0.5"), fine_absence=D("10.00"), fine_late=D("2.00"),
            late_fee_stacks_with_absence=stacks)
    result = services.chapter_enforce(chapter=w.chapter, now=datetime(2026, 1, 20, 12, tzinfo=UTC))
    fines = {f.kind: f for f in result.fines}
    assert set(fines) == {LATE, ABS}
    assert (fines[LATE].amount, fines[ABS].amount) == (D("2.00"), absence_amount)
    # Each names the other.
    assert "late fee of £2.00" in fines[ABS].explanation and "“Late arrival”, same meeting" in fines[ABS].explanation
    assert "puts you over the absence limit: see “Lates and absences over the limit” for this meeting" in fines[LATE].explanation
    if stacks:
        assert "charges both" in fines[ABS].explanation and "The rules charge both." in fines[LATE].explanation
    else:
        assert "does not charge a late twice" in fines[ABS].explanation
        assert "It is not charged twice." in fines[LATE].explanation
    client.force_login(w.members["Ann"].user)
    html = client.get(fines[LATE].get_absolute_url()).content.decode()
    assert 'id="fine-other"' in html and fines[ABS].get_absolute_url() in html
    html = client.get(fines[ABS].get_absolute_url()).content.decode()
    assert fines[LATE].get_absolute_url() in html


@pytest.mark.parametrize("stacks,words", [(True, "the two stack"), (False, "is not charged again")])
def test_the_rules_page_states_the_stacking_choice(world, stacks, words):
    rules = world.rules(late_weight=D("0.5"), fine_late=D("2.00"), fine_absence=D("10.00"),
                        late_fee_stacks_with_absence=stacks)
    text = dict(rules_plain_language(rules))["Late arrival"]
    assert words in text


def test_rules_page_states_leave_consent_grace_and_meeting_timing(world):
    consented = world.rules(referral_quota=2, quota_counts=ChapterRules.QuotaCounts.CONSENTED, consent_grace_days=5)
    plain = dict(rules_plain_language(consented))
    assert "up to 5 days after the period still counts" in plain["Referrals"]
    assert "excused in full, not pro rata" in plain["Leave"]
    per_meeting = world.rules(referral_quota=1, quota_period=ChapterRules.QuotaPeriod.MEETING)
    assert "judged once the meeting's day is over" in dict(rules_plain_language(per_meeting))["Referrals"]
    assert "first day" not in dict(rules_plain_language(per_meeting))["Referrals"]


@pytest.mark.parametrize("period,unit", [(ChapterRules.QuotaPeriod.MONTH, "month"), (ChapterRules.QuotaPeriod.WEEK, "week")])
def test_rules_page_says_which_version_judges_a_week_or_month(world, period, unit):
    rules = world.rules(referral_quota=2, quota_period=period)
    text = dict(rules_plain_language(rules))["Referrals"]
    assert (f"Each {unit} is judged by the version in force on its first day: a version that comes into force "
            f"mid-{unit} first judges the next whole {unit}.") in text


def test_a_member_with_only_lates_is_never_told_absences_over_the_limit(world):
    """Bob: late 7, 14, 21 Jan; 1 allowed, late 0.5: 1.5 at 21 Jan → 0.5 over; 1 violation opens a case."""
    bob = world.member("Bob")
    world.rules(absences_allowed=1, late_weight=D("0.5"), fine_absence=D("10.00"), expulsion_violations=1)
    world.weekly(JAN7, ["L", "L", "L"], who="Bob")
    result = services.chapter_enforce(chapter=world.chapter, now=datetime(2026, 1, 25, 12, tzinfo=UTC))
    [fine] = result.fines
    assert (fine.period_start, fine.amount) == (date(2026, 1, 21), D("5.00"))
    assert fine.title == "Lates over the limit"
    [case] = result.cases
    assert "absences over the limit" not in case.explanation and "absence over the limit" not in case.explanation
    assert "lates over the limit" in case.explanation
    assert "absence" not in queue_rows([case], now=datetime(2026, 1, 25, tzinfo=UTC))[0]["violations"]
    standing = member_standings(chapter=world.chapter, memberships=[bob], today=date(2026, 1, 25))[bob.pk]
    assert standing.absences_label == "Lates and absences" and "absences" not in standing.absences_text


def test_absences_and_lates_together_are_named_so_in_the_case(world):
    world.member("Ann")
    world.rules(absences_allowed=1, late_weight=D("0.5"), expulsion_violations=1)
    world.weekly(JAN7, ["A", "L"])
    [case] = world.evaluate(date(2026, 1, 20)).cases
    assert "lates and absences over the limit" in case.explanation


def _consent_world(grace):
    w = World(ChapterFactory(timezone="Europe/London"))
    ann, bob = w.member("Ann"), w.member("Bob")
    w.rules(effective_from=date(2026, 2, 1), absences_allowed=9, referral_quota=1, fine_quota=D("5.00"),
            quota_counts=ChapterRules.QuotaCounts.CONSENTED, consent_grace_days=grace)
    ReferralFactory(giver=bob, receiver=ann, at=w.at(date(2026, 2, 3)), consent=Referral.Consent.STATED)
    referral = ReferralFactory(giver=ann, receiver=bob, at=w.at(date(2026, 2, 25)), consent=Referral.Consent.NOT_ASKED)
    return w, ann, referral


def _confirm(referral, at):
    ConsentRequest.objects.create(referral=referral, token_hash=f"h{referral.pk}", created_at=at - timedelta(days=1),
                                  expires_at=at + timedelta(days=10), answered_at=at,
                                  outcome=ConsentRequest.Outcome.CONFIRMED)
    Referral.objects.filter(pk=referral.pk).update(consent=Referral.Consent.CONFIRMED)


@pytest.mark.parametrize("confirmed_at,fined", [
    (datetime(2026, 3, 3, 23, 30, tzinfo=UTC), False),  # 23:30 on the grace's last day (London = UTC in March)
    (datetime(2026, 3, 4, 0, 30, tzinfo=UTC), True),  # after the grace
])
def test_consent_given_within_the_grace_counts(db, confirmed_at, fined):
    """February, 1 consented referral asked; grace 3 days: consent up to Tue 3 Mar counts; judged on 4 Mar."""
    w, ann, referral = _consent_world(grace=3)
    _confirm(referral, confirmed_at)
    assert services.chapter_enforce(chapter=w.chapter, now=datetime(2026, 3, 3, 23, 59, tzinfo=UTC)).fines == []
    result = services.chapter_enforce(chapter=w.chapter, now=datetime(2026, 3, 4, 12, tzinfo=UTC))
    assert [(f.membership, f.period_start) for f in result.fines] == ([(ann, date(2026, 2, 1))] if fined else [])
    if fined:
        text = result.fines[0].explanation
        assert "Consent given up to Tue, 3 Mar 2026 counts (3 days after the period)." in text
        assert "confirmed 4 Mar 2026: after the grace" in text


def test_consent_grace_is_bounded_by_the_organisations_limits(world):
    RulesLimits.objects.create(consent_grace_days_max=7)
    data = {k: getattr(world.rules(), k) for k in ChapterRules.RULE_FIELDS} | {"consent_grace_days": 8}
    with pytest.raises(Exception) as refused:
        services.rules_create(chapter=world.chapter, by=None, data=data, effective_from=date(2026, 1, 1),
                              allow_backdate=True)
    assert "at most 7 days" in str(refused.value)


def test_a_week_quota_across_the_spring_dst_change_in_berlin(db):
    """Week Mon 23 – Sun 29 Mar 2026 (clocks forward on the 29th). It ends at midnight CEST, 22:00 UTC.
    Ann's referral at 23:30 CEST on Sunday counts; Bob's at 00:30 CEST on Monday is the next week's."""
    w = World(ChapterFactory(timezone="Europe/Berlin", currency="EUR"))
    ann, bob = w.member("Ann"), w.member("Bob")
    w.rules(effective_from=date(2026, 3, 1), absences_allowed=9, referral_quota=1,
            quota_period=ChapterRules.QuotaPeriod.WEEK, fine_quota=D("2.00"))
    for day in (date(2026, 3, 3), date(2026, 3, 10), date(2026, 3, 17)):
        ReferralFactory(giver=ann, receiver=bob, at=w.at(day))
        ReferralFactory(giver=bob, receiver=ann, at=w.at(day))
    ReferralFactory(giver=ann, receiver=bob, at=datetime(2026, 3, 29, 23, 30, tzinfo=w.chapter.tz))
    ReferralFactory(giver=bob, receiver=ann, at=datetime(2026, 3, 30, 0, 30, tzinfo=w.chapter.tz))
    before = services.chapter_enforce(chapter=w.chapter, now=datetime(2026, 3, 29, 21, 59, tzinfo=UTC))
    assert [f for f in before.fines if f.period_start == date(2026, 3, 23)] == []
    after = services.chapter_enforce(chapter=w.chapter, now=datetime(2026, 3, 29, 22, 1, tzinfo=UTC))
    assert [(f.membership, f.period_start) for f in after.fines] == [(bob, date(2026, 3, 23))]
