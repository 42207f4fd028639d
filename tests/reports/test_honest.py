"""The chapter's honest figures: chapter health and the scorecards without the activity of open or confirmed
integrity flags (a ring found by the check, a substitute flag, a one-to-one flag reviewed as a warning), while a
flag reviewed as a false alarm counts in full; the numbers below are worked out by hand."""

from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from integrity.models import IntegrityEvidence, IntegrityFlag
from integrity.selectors import flagged_activity_counts
from integrity.services import chapter_integrity_check
from reports.scorecards import scorecards
from reports.series import weekly_series
from tests.integrity.builders import NOW, Activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def world(personas, now):
    """Mona and Max pass referrals round a ring (8, one of them thanked for 750); the rest is honest.

    - ring (open, found by the check): Mona → Max 4 + 1 (the thanked one), Max → Mona 3;
    - honest: Mona → Pat 1, Pat → Mona 1 (thanked for 300), a one-to-one Mona–Pat, both present 14 days ago;
    - "Sam Standin" (an open substitute flag): Max's substitute 7 days ago;
    - a one-to-one Mona–Max, its flag reviewed as a warning (confirmed);
    - "Vera Visitor" (reviewed as a false alarm): Mona's substitute 7 days ago, which counts in full.
    """
    a = Activity(personas.chapter, now=now)
    a.members.update({"Mona": personas.member, "Max": personas.member2, "Pat": personas.president})
    a.referrals("Mona", "Max", 4, days=10)
    a.referrals("Max", "Mona", 3, days=20)
    a.referral("Mona", "Pat", days=5)
    a.thank_you("Mona", "Max", 750, given_days=30, closed_after=10)
    a.thank_you("Pat", "Mona", 300, given_days=40, closed_after=10)
    a.present("Mona", days=14)
    a.present("Max", days=14)
    chapter_integrity_check(chapter=personas.chapter)  # before the flags made by hand: it would close them
    ring = IntegrityFlag.objects.get(chapter=personas.chapter, kind=IntegrityFlag.Kind.RING)
    assert ring.evidence.count() == 8
    sub = IntegrityFlag.objects.create(chapter=personas.chapter, kind=IntegrityFlag.Kind.SUBSTITUTE, key="sam")
    IntegrityEvidence.objects.create(flag=sub, attendance=a.substitute("Max", "Sam Standin", days=7))
    warned = IntegrityFlag.objects.create(
        chapter=personas.chapter, kind=IntegrityFlag.Kind.ONE_TO_ONE_BULK, key="mona",
        status=IntegrityFlag.Status.REVIEWED, outcome=IntegrityFlag.Outcome.WARNED,
    )
    IntegrityEvidence.objects.create(flag=warned, one_to_one=a.one_to_one("Mona", "Max", met_days=8, recorded_days=8))
    a.one_to_one("Mona", "Pat", met_days=9, recorded_days=9)
    alarm = IntegrityFlag.objects.create(
        chapter=personas.chapter, kind=IntegrityFlag.Kind.SUBSTITUTE, key="vera",
        status=IntegrityFlag.Status.REVIEWED, outcome=IntegrityFlag.Outcome.FALSE_ALARM,
    )
    IntegrityEvidence.objects.create(flag=alarm, attendance=a.substitute("Mona", "Vera Visitor", days=7))
    a.warned = warned
    return a


def _totals(weeks) -> dict:
    return {
        "given": sum(w.given for w in weeks), "won": sum(w.won for w in weeks),
        "tyfcb": sum((w.tyfcb for w in weeks), Decimal(0)), "present": sum(w.present for w in weeks),
        "substitute": sum(w.substitute for w in weeks),
    }


def test_the_flagged_rows_are_counted_false_alarms_left_in(world):
    assert flagged_activity_counts(chapter=world.chapter) == {
        "referrals": 8, "thank_yous": 1, "one_to_ones": 1, "attendances": 1}


def test_the_weekly_series_leaves_out_flagged_referrals_their_tyfcb_and_marks(world):
    from integrity.selectors import flagged_activity

    start, end = world.today.replace(day=1, month=1), world.today
    every = weekly_series(chapters=[world.chapter], start=start, end=end)[world.chapter.pk]
    honest = weekly_series(chapters=[world.chapter], start=start, end=end,
                           leave_out=flagged_activity(chapter_ids=[world.chapter.pk]))[world.chapter.pk]
    # all: 4 + 1 + 3 ring, Mona → Pat, Pat → Mona; 750 + 300; two present, two substitutes
    assert _totals(every) == {"given": 10, "won": 2, "tyfcb": Decimal(1050), "present": 2, "substitute": 2}
    # without: the two honest referrals (one won), 300, and Mona's substitute (the false alarm)
    assert _totals(honest) == {"given": 2, "won": 1, "tyfcb": Decimal(300), "present": 2, "substitute": 1}


def test_the_scorecards_leave_out_flagged_activity(world):
    from integrity.selectors import flagged_activity

    mona, maxi = world.members["Mona"], world.members["Max"]
    start, end = world.today.replace(day=1, month=1), world.today

    def figures(**kwargs):
        cards = scorecards(chapter=world.chapter, memberships=[mona, maxi], start=start, end=end, **kwargs)
        return {who: (f.given, f.received, f.tyfcb_given_new, f.tyfcb_received_new, f.one_to_ones, f.present,
                      f.substitute)
                for who, f in (("mona", cards[mona.pk].figures), ("max", cards[maxi.pk].figures))}

    assert figures() == {
        "mona": (6, 4, Decimal(750), Decimal(300), 2, 1, 1),
        "max": (3, 5, Decimal(0), Decimal(750), 1, 1, 1),
    }
    assert figures(leave_out=flagged_activity(chapter_ids=[world.chapter.pk])) == {
        "mona": (1, 1, Decimal(0), Decimal(300), 1, 1, 1),
        "max": (0, 0, Decimal(0), Decimal(0), 0, 1, 0),
    }


def test_a_review_changed_to_false_alarm_counts_its_rows_in_again(world):
    IntegrityFlag.objects.filter(pk=world.warned.pk).update(outcome=IntegrityFlag.Outcome.FALSE_ALARM)
    assert flagged_activity_counts(chapter=world.chapter)["one_to_ones"] == 0


def test_the_health_page_switches_to_the_figures_without_flagged_activity(client, personas, world):
    personas.login(client, "president")
    url = reverse("reports:health", args=[personas.chapter.slug])
    every = client.get(url)
    assert _totals(every.context["weeks"])["given"] == 10
    html = every.content.decode()
    assert 'data-testid="flagged-switch"' in html and 'value="all" checked' in html
    assert "All activity, including what is evidence of an open or confirmed integrity flag: in this chapter " \
           "8 referrals, 1 TYFCB, 1 one-to-one and 1 attendance mark." in html
    honest = client.get(url, {"flagged": "exclude"})
    assert _totals(honest.context["weeks"]) == {"given": 2, "won": 1, "tyfcb": Decimal(300), "present": 2,
                                                "substitute": 1}
    html = honest.content.decode()
    assert 'value="exclude" checked' in html
    assert "Without flagged activity: the figures leave out what is evidence of an open or confirmed integrity " \
           "flag, in this chapter 8 referrals, 1 TYFCB, 1 one-to-one and 1 attendance mark" in html
    assert reverse("integrity:flags", args=[personas.chapter.slug]) + "?show=all" in html
    # the choice travels with the CSV links, the sort links and each member's scorecard
    assert all("flagged=exclude" in col["url"] for col in honest.context["columns"])
    assert "flagged=exclude" in honest.context["query"] and "flagged=exclude" in honest.context["sort_query"]
    assert "&amp;flagged=exclude" in html.split('data-testid="scorecards"')[1]
    by_name = {c.membership.pk: c for c in honest.context["cards"]}
    assert by_name[personas.member.pk].figures.given == 1


def test_the_roster_fragment_keeps_the_choice(client, personas, world):
    personas.login(client, "president")
    response = client.get(reverse("reports:health", args=[personas.chapter.slug]),
                          {"flagged": "exclude", "sort": "name"}, headers={"HX-Request": "true",
                                                                            "HX-Target": "health-roster"})
    assert response.status_code == 200
    assert all("flagged=exclude" in col["url"] for col in response.context["columns"])


@pytest.mark.parametrize("page", ["health-csv", "scorecards-csv"])
def test_the_csv_says_in_its_name_which_figures_it_holds(client, personas, world, page):
    personas.login(client, "president")
    url = reverse(f"reports:{page}", args=[personas.chapter.slug])
    assert "-without-flagged" not in client.get(url)["Content-Disposition"]
    assert "-without-flagged.csv" in client.get(url, {"flagged": "exclude"})["Content-Disposition"]


def test_the_health_csv_holds_the_honest_figures(client, personas, world):
    personas.login(client, "president")
    url = reverse("reports:health-csv", args=[personas.chapter.slug])
    rows = client.get(url, {"flagged": "exclude"}).content.decode("utf-8-sig").strip().splitlines()[1:]
    assert sum(int(row.split(",")[8]) for row in rows) == 2  # "Referrals given"


def test_leadership_sees_a_members_scorecard_without_flagged_activity(client, personas, world):
    personas.login(client, "president")
    url = reverse("reports:scorecard", args=[personas.chapter.slug, personas.member2.pk])
    assert client.get(url).context["card"].figures.given == 3
    response = client.get(url, {"flagged": "exclude"})
    assert response.context["card"].figures.given == 0
    assert 'data-testid="flagged-note"' in response.content.decode()


def test_a_member_sees_their_own_scorecard_with_all_activity_and_no_switch(client, personas, world):
    """To a member the switch would tell which of their rows were flagged: the flags are leadership's."""
    personas.login(client, "member2")
    response = client.get(reverse("reports:scorecard", args=[personas.chapter.slug, personas.member2.pk]),
                          {"flagged": "exclude"})
    html = response.content.decode()
    assert response.context["card"].figures.given == 3
    assert 'data-testid="flagged-switch"' not in html and 'data-testid="flagged-note"' not in html
