"""A quality-weighted quota, recomputed by hand.

Rules version 1 from 1 Feb 2026 (Europe/London): 3 referrals a calendar month, weighted: given 0.5,
contacted 1, meeting held 1.5, won 2; £5 per missed month. February 2026:

    Ann  10 Feb  to Bob, prospect p1, meeting held            1.5
         11 Feb  to Cat, prospect p1 again, contacted         1 × ½ = 0.5  (2nd referral of p1)
         12 Feb  to Bob, prospect p2, meeting, "not a lead"   0
         13 Feb  inside business to Cat, given                0.5
         14 Feb  inside business to Cat again, given          0.5 × ½ = 0.25
                                                              2.75 of 3: short by 0.25 → £5
    Bob  three prospects contacted, to Ann                    1 + 1 + 1 = 3: not short (a near miss)

Then Bob rates the 12 Feb referral a real lead after all: 1.5 more, 4.25 ≥ 3, the fine is withdrawn.
"""

from datetime import UTC, date, datetime

import pytest
from django.utils import translation

from enforcement import services
from enforcement.evaluation import chapter_evaluate
from enforcement.models import ChapterRules, Fine
from referrals import services as referral_services
from referrals.models import Referral
from tests.enforcement.conftest import D, World
from tests.enforcement.factories import ReferralFactory
from tests.factories import ChapterFactory

MON_2_MAR = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def weighted(db, time_machine):
    time_machine.move_to(MON_2_MAR, tick=False)
    w = World(ChapterFactory(slug="weighted", timezone="Europe/London", currency="GBP"))
    ann, bob, cat = w.member("Ann"), w.member("Bob"), w.member("Cat")
    w.rules(effective_from=date(2026, 2, 1), absences_allowed=9, referral_quota=3, fine_quota=D("5.00"),
            quota_period=ChapterRules.QuotaPeriod.MONTH, quota_counts=ChapterRules.QuotaCounts.WEIGHTED,
            weight_given=D("0.5"), weight_contacted=D("1"), weight_meeting=D("1.5"), weight_won=D("2"))

    def give(giver, receiver, day, status, email="", kind=Referral.Kind.OUTSIDE):
        return ReferralFactory(giver=giver, receiver=receiver, at=w.at(date(2026, 2, day)), status=status,
                               kind=kind, prospect_email=email, prospect_phone="" if email else "+44 7700 900000")

    give(ann, bob, 10, "meeting", "p1@example.com")
    give(ann, cat, 11, "contacted", " P1@Example.com")  # the same prospect, typed otherwise
    w.not_a_lead = give(ann, bob, 12, "meeting", "p2@example.com")
    referral_services.referral_rate(referral=w.not_a_lead, by=bob, rating=Referral.Rating.NOT_LEAD)
    give(ann, cat, 13, "given", kind=Referral.Kind.INSIDE)
    give(ann, cat, 14, "given", kind=Referral.Kind.INSIDE)
    for day, n in ((10, 3), (11, 4), (12, 5)):
        give(bob, ann, day, "contacted", f"p{n}@example.com")
    give(cat, ann, 10, "won", "p6@example.com")
    give(cat, bob, 11, "won", "p7@example.com")
    return w


def _quota(findings, name):
    return [f for f in findings if f.kind == Fine.Kind.QUOTA and f.membership.user.full_name == name]


def test_the_weighted_sum_matches_the_hand_count(weighted):
    findings = chapter_evaluate(chapter=weighted.chapter, today=date(2026, 3, 2)).findings
    (ann,) = _quota(findings, "Ann")
    assert ann.amount == D("5.00") and ann.period.start == date(2026, 2, 1)
    assert ann.evidence["weighted_total"] == "2.7500"
    weights = [(r["date"], r["weight"]) for r in ann.evidence["counted"]]
    assert weights == [("2026-02-10", "1.5000"), ("2026-02-11", "0.5000"), ("2026-02-13", "0.5000"),
                       ("2026-02-14", "0.2500")]
    (nothing,) = ann.evidence["not_counted_referrals"]
    assert (nothing["date"], nothing["weight"], nothing["why"]["rating"]) == ("2026-02-12", "0.0000", "not_lead")
    assert _quota(findings, "Bob") == []  # 3 of 3: a near miss is no fine
    assert _quota(findings, "Cat") == []  # 2 + 2 won


def test_the_explanation_lists_each_weight_and_why(weighted):
    (ann,) = _quota(chapter_evaluate(chapter=weighted.chapter, today=date(2026, 3, 2)).findings, "Ann")
    text = ann.explanation
    assert "each referral counts by how far it went" in text
    assert "Tue, 10 Feb 2026: to Bob: worth 1.5 (meeting held, 1.5)" in text
    assert ("Wed, 11 Feb 2026: to Cat: worth 0.5 (contacted, 1; referral no. 2 of the same prospect this "
            "period: 1/2)") in text
    assert "Thu, 12 Feb 2026: to Bob: worth nothing (meeting held, 1.5; rated not a lead)" in text
    assert ("Sat, 14 Feb 2026: to Cat: worth 0.25 (given, 0.5; inside referral no. 2 to the same member this "
            "period: 1/2)") in text
    assert "Worth 2.75 of 3: short by 0.25." in text
    with translation.override("de"):
        german = ann.explained
    assert "Wert 2,75 von 3: es fehlen 0,25." in german and "als kein Lead bewertet" in german


def test_a_changed_rating_withdraws_the_fine(weighted, django_capture_on_commit_callbacks):
    services.chapter_enforce(chapter=weighted.chapter, now=MON_2_MAR)
    fine = Fine.objects.get(kind=Fine.Kind.QUOTA, membership=weighted.members["Ann"])
    assert fine.status == Fine.Status.OPEN

    with django_capture_on_commit_callbacks(execute=True):  # the chapter is marked to be judged again
        referral_services.referral_rate(referral=weighted.not_a_lead, by=weighted.members["Bob"],
                                        rating=Referral.Rating.REAL)
    services.chapter_enforce(chapter=weighted.chapter, now=MON_2_MAR)

    fine.refresh_from_db()
    assert fine.status == Fine.Status.WITHDRAWN
    assert not Fine.objects.filter(kind=Fine.Kind.QUOTA, membership=weighted.members["Ann"]).exclude(
        status=Fine.Status.WITHDRAWN).exists()


def test_the_standing_page_weighs_as_the_evaluation_does(weighted, time_machine):
    from enforcement.selectors import member_standings

    time_machine.move_to(datetime(2026, 2, 20, 12, tzinfo=UTC), tick=False)
    members = [weighted.members[name] for name in ("Ann", "Bob")]
    standings = member_standings(chapter=weighted.chapter, memberships=members, today=date(2026, 2, 20))
    assert standings[weighted.members["Ann"].pk].referrals == D("2.75")
    assert standings[weighted.members["Bob"].pk].referrals == 3


def test_the_rules_page_states_the_weights(weighted, client):
    from members.models import Membership

    president = weighted.member("Pia", role=Membership.Role.PRESIDENT)
    client.force_login(president.user)
    page = client.get(f"/c/{weighted.chapter.slug}/rules/").content.decode()
    assert "each referral counts by how far it went" in page
    assert "A referral given (or accepted) counts 0.5, contacted 1, with a meeting held 1.5, won 2." in page


def test_leadership_chooses_a_weighted_quota_and_sets_its_weights(client, db):
    from tests.enforcement.test_views import _form
    from tests.factories import MembershipFactory

    chapter = ChapterFactory(slug="choosing", timezone="Europe/London", currency="GBP")
    president = MembershipFactory(chapter=chapter, role="president")
    client.force_login(president.user)
    form = client.get(f"/c/{chapter.slug}/rules/change/").content.decode()
    assert 'name="weight_meeting"' in form and 'value="weighted"' in form
    response = client.post(f"/c/{chapter.slug}/rules/change/", _form(
        chapter, referral_quota=2, quota_counts="weighted", weight_given="0.25", weight_won="3"))
    assert response.status_code == 302
    rules = ChapterRules.objects.get(chapter=chapter)
    assert (rules.quota_counts, rules.weight_given, rules.weight_contacted, rules.weight_won) == (
        "weighted", D("0.25"), D("1.00"), D("3.00"))
