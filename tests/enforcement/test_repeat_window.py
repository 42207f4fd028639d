"""Repeats numbered across quota periods: the rules' repeat window reaches back before the period.

Rules version 1 from 1 Jan 2026 (Europe/London): 3 referrals a calendar month, weighted: given 0.5,
contacted 1, meeting held 1.5, won 2; £5 per missed month; repeats counted over 60 days. Ann gives:

     5 Jan  inside business to Cat, given
    20 Jan  to Bob, prospect p1, contacted
    25 Jan  to Cat, prospect p1 again, contacted
    10 Feb  to Bob, prospect p1 a third time, meeting held     1.5 × ¼ = 0.375 (3rd of p1 since 3 Dec 2025)
    11 Feb  to Bob, prospect p2, contacted                     1
    12 Feb  inside business to Cat again, given                0.5 × ½ = 0.25 (2nd since 3 Dec 2025)
    13 Feb  to Bob, prospect p3, contacted                     1
                                                               2.625 of 3: short by 0.375 → £5

Numbered within February only (a window of 0 days, what versions made before the window say), February is
worth 1.5 + 1 + 0.5 + 1 = 4: no fine. With a window of 20 days (from 12 Jan) the inside referral of 5 Jan
is too old to number the one of 12 Feb: 0.375 + 1 + 0.5 + 1 = 2.875.
"""

from datetime import UTC, date, datetime

import pytest

from enforcement.evaluation import chapter_evaluate
from enforcement.models import ChapterRules, Fine
from referrals.models import Referral
from tests.enforcement.conftest import D, World
from tests.enforcement.factories import ReferralFactory
from tests.factories import ChapterFactory

MON_2_MAR = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _world(window: int) -> World:
    w = World(ChapterFactory(slug=f"repeats-{window}", timezone="Europe/London", currency="GBP"))
    ann, bob, cat = w.member("Ann"), w.member("Bob"), w.member("Cat")
    w.rules(effective_from=date(2026, 1, 1), absences_allowed=9, referral_quota=3, fine_quota=D("5.00"),
            quota_period=ChapterRules.QuotaPeriod.MONTH, quota_counts=ChapterRules.QuotaCounts.WEIGHTED,
            weight_given=D("0.5"), weight_contacted=D("1"), weight_meeting=D("1.5"), weight_won=D("2"),
            repeat_window_days=window)

    def give(receiver, day, status, email="", kind=Referral.Kind.OUTSIDE):
        return ReferralFactory(giver=ann, receiver=receiver, at=w.at(day), status=status, kind=kind,
                               prospect_email=email, prospect_phone="" if email else "+44 7700 900000")

    give(cat, date(2026, 1, 5), "given", kind=Referral.Kind.INSIDE)
    give(bob, date(2026, 1, 20), "contacted", "p1@example.com")
    give(cat, date(2026, 1, 25), "contacted", "P1@example.com ")
    give(bob, date(2026, 2, 10), "meeting", "p1@example.com")
    give(bob, date(2026, 2, 11), "contacted", "p2@example.com")
    give(cat, date(2026, 2, 12), "given", kind=Referral.Kind.INSIDE)
    give(bob, date(2026, 2, 13), "contacted", "p3@example.com")
    for n in range(3):  # Bob and Cat meet their quotas: only Ann is judged here
        ReferralFactory(giver=bob, receiver=ann, at=w.at(date(2026, 1, 10 + n)), status="won",
                        prospect_email=f"b{n}@example.com")
        ReferralFactory(giver=bob, receiver=ann, at=w.at(date(2026, 2, 10 + n)), status="won",
                        prospect_email=f"c{n}@example.com")
        ReferralFactory(giver=cat, receiver=ann, at=w.at(date(2026, 1, 10 + n)), status="won",
                        prospect_email=f"d{n}@example.com")
        ReferralFactory(giver=cat, receiver=ann, at=w.at(date(2026, 2, 10 + n)), status="won",
                        prospect_email=f"e{n}@example.com")
    return w


@pytest.fixture
def at_2_march(db, time_machine):
    time_machine.move_to(MON_2_MAR, tick=False)


def _february(w: World):
    findings = chapter_evaluate(chapter=w.chapter, today=date(2026, 3, 2)).findings
    return [f for f in findings if f.kind == Fine.Kind.QUOTA and f.period.start == date(2026, 2, 1)]


def test_repeats_before_the_period_lower_its_weights(at_2_march):
    (ann,) = _february(_world(60))
    assert ann.membership.user.full_name == "Ann" and ann.amount == D("5.00")
    assert [(r["date"], r["weight"]) for r in ann.evidence["counted"]] == [
        ("2026-02-10", "0.3750"), ("2026-02-11", "1.0000"), ("2026-02-12", "0.2500"), ("2026-02-13", "1.0000")]
    assert ann.evidence["weighted_total"] == "2.6250"
    why = ann.evidence["counted"][0]["why"]
    assert (why["repeat"], why["repeat_of"], why["since"]) == (3, "prospect", "2025-12-03")


def test_the_explanation_says_since_when_a_repeat_is_numbered(at_2_march):
    (ann,) = _february(_world(60))
    text = ann.explanation
    assert ("Tue, 10 Feb 2026: to Bob: worth 0.375 (meeting held, 1.5; referral no. 3 of the same prospect since "
            "3 Dec 2025: 1/4)") in text
    assert ("Thu, 12 Feb 2026: to Cat: worth 0.25 (given, 0.5; inside referral no. 2 to the same member since "
            "3 Dec 2025: 1/2)") in text
    assert "Wed, 11 Feb 2026: to Bob: worth 1 (contacted, 1)" in text  # p2: no repeat
    assert "Worth 2.625 of 3: short by 0.375." in text


def test_a_window_of_no_days_numbers_repeats_within_the_period_only(at_2_march):
    assert _february(_world(0)) == []  # 4 of 3


def test_referrals_older_than_the_window_number_nothing(at_2_march):
    (ann,) = _february(_world(20))  # from 12 Jan: p1's two January referrals count, 5 Jan's inside one not
    assert [(r["date"], r["weight"]) for r in ann.evidence["counted"]] == [
        ("2026-02-10", "0.3750"), ("2026-02-11", "1.0000"), ("2026-02-12", "0.5000"), ("2026-02-13", "1.0000")]
    assert ann.evidence["weighted_total"] == "2.8750"
    assert "repeat" not in ann.evidence["counted"][2]["why"]


def test_the_standing_page_numbers_repeats_as_the_evaluation_does(db, time_machine):
    from enforcement.selectors import member_standings

    time_machine.move_to(datetime(2026, 2, 20, 12, tzinfo=UTC), tick=False)
    w = _world(60)
    standings = member_standings(chapter=w.chapter, memberships=[w.members["Ann"]], today=date(2026, 2, 20))
    assert standings[w.members["Ann"].pk].referrals == D("2.625")


def test_the_rules_page_states_the_repeat_window(at_2_march, client):
    from members.models import Membership

    w = _world(60)
    client.force_login(w.member("Pia", role=Membership.Role.PRESIDENT).user)
    page = client.get(f"/c/{w.chapter.slug}/rules/").content.decode()
    assert ("counts ½, ¼ … when the earlier referral was given in the same period or up to 60 days before it."
            in page)


def test_leadership_sets_the_repeat_window_within_the_organisations_limit(client, db):
    from tests.enforcement.test_views import _form
    from tests.factories import MembershipFactory

    chapter = ChapterFactory(slug="window", timezone="Europe/London", currency="GBP")
    president = MembershipFactory(chapter=chapter, role="president")
    client.force_login(president.user)
    form = client.get(f"/c/{chapter.slug}/rules/change/").content.decode()
    assert 'name="repeat_window_days"' in form and 'value="365"' in form
    refused = client.post(f"/c/{chapter.slug}/rules/change/", _form(chapter, repeat_window_days=800))
    assert refused.status_code == 200 and "Your organisation allows at most 730 days." in refused.content.decode()
    assert client.post(f"/c/{chapter.slug}/rules/change/", _form(
        chapter, referral_quota=2, quota_counts="weighted", repeat_window_days=90)).status_code == 302
    assert ChapterRules.objects.get(chapter=chapter).repeat_window_days == 90
