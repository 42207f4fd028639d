"""The chapter's honest figures: chapter health and scorecards with and without flagged activity (the rows of
open flags, and of flags whose review confirmed them)."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrity.models import IntegrityFlag
from integrity.selectors import flagged_activity
from integrity.services import chapter_integrity_check
from reports.scorecards import scorecards
from reports.series import weekly_series
from tests.integrity.builders import Activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def chapter(personas, now):
    """Mona and Max pass 7 referrals to each other (a ring); Mona gives one more elsewhere, and Tess one honest
    referral won for £900; Max recorded £640 of business closed the day Mona's referral was given; Victor's
    substitute also stood in for Paula and Tess (one name for three)."""
    a = Activity(personas.chapter, now=now)
    a.members.update({"Mona": personas.member, "Max": personas.member2, "Tess": personas.treasurer,
                      "Paula": personas.president, "Victor": personas.vice_president})
    a.referrals("Mona", "Max", 4)
    a.referral("Mona", "Paula", days=30)
    a.referrals("Max", "Mona", 3, days=20)
    a.thank_you("Tess", "Paula", "900.00", given_days=40)
    a.thank_you("Mona", "Max", "640.00", given_days=50, closed_after=0)  # Mona gives 6 now: 5 to Max (83 %)
    for member, days in (("Victor", 7), ("Paula", 14), ("Tess", 21)):
        a.substitute(member, "Sam Standin", days=days)
    a.present("Mona", days=7)
    chapter_integrity_check(chapter=personas.chapter)
    return a


def _cards(a, leave_out):
    start, end = a.today - timedelta(days=181), a.today
    return scorecards(chapter=a.chapter, memberships=a.chapter.memberships.all(), start=start, end=end,
                      leave_out=leave_out)


def test_the_flags_the_chapter_holds(chapter):
    assert sorted(IntegrityFlag.objects.filter(chapter=chapter.chapter).values_list("kind", flat=True)) == [
        "ring", "substitute", "tyfcb_unearned",
    ]


def test_scorecards_without_flagged_activity_leave_out_its_rows(chapter, personas):
    everything = _cards(chapter, None)
    honest = _cards(chapter, flagged_activity(chapter_ids=[chapter.chapter.pk]))
    mona, max_, tess, paula = personas.member.pk, personas.member2.pk, personas.treasurer.pk, personas.president.pk
    assert (everything[mona].figures.given, honest[mona].figures.given) == (6, 1)  # the one to Paula stays
    assert (everything[max_].figures.received, honest[max_].figures.received) == (5, 0)
    assert (everything[max_].figures.tyfcb_received, honest[max_].figures.tyfcb_received) == (640, 0)
    assert honest[tess].figures.tyfcb_given == everything[tess].figures.tyfcb_given == 900
    assert (everything[paula].figures.substitute, honest[paula].figures.substitute) == (1, 0)
    assert honest[mona].figures.present == 1


def test_a_false_alarm_counts_again_and_a_confirmed_flag_stays_out(chapter, personas):
    ring = IntegrityFlag.objects.get(chapter=chapter.chapter, kind="ring")
    IntegrityFlag.objects.filter(kind="tyfcb_unearned").update(status="closed")
    IntegrityFlag.objects.filter(pk=ring.pk).update(status="reviewed", outcome="false_alarm", note="Partners.")
    honest = _cards(chapter, flagged_activity(chapter_ids=[chapter.chapter.pk]))
    assert honest[personas.member.pk].figures.given == 6
    IntegrityFlag.objects.filter(pk=ring.pk).update(outcome="warned")
    honest = _cards(chapter, flagged_activity(chapter_ids=[chapter.chapter.pk]))
    assert honest[personas.member.pk].figures.given == 1


def test_evidence_of_other_kinds_never_hides_every_referral(chapter, personas):
    """The evidence table holds rows with no referral (a TYFCB, a mark): NOT IN a list with NULL would hide all."""
    IntegrityFlag.objects.filter(kind="ring").update(status="closed")
    honest = _cards(chapter, flagged_activity(chapter_ids=[chapter.chapter.pk]))
    assert honest[personas.member2.pk].figures.given == 3


def test_chapter_health_weeks_without_flagged_activity(chapter):
    start, end = chapter.today - timedelta(days=181), chapter.today
    every = weekly_series(chapters=[chapter.chapter], start=start, end=end)[chapter.chapter.pk]
    honest = weekly_series(chapters=[chapter.chapter], start=start, end=end,
                           leave_out=flagged_activity(chapter_ids=[chapter.chapter.pk]))[chapter.chapter.pk]
    assert (sum(w.given for w in every), sum(w.given for w in honest)) == (10, 2)
    assert (sum(w.tyfcb for w in every), sum(w.tyfcb for w in honest)) == (1540, 900)
    assert (sum(w.substitute for w in every), sum(w.substitute for w in honest)) == (3, 0)


def _get(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return response, len(queries)


def test_the_health_page_switches_and_says_what_it_left_out(client, personas, chapter):
    personas.login(client, "president")
    url = personas.url("reports:health")
    plain, plain_queries = _get(client, url)
    assert 'data-testid="flagged-switch"' in plain.content.decode()
    assert 'data-testid="left-out"' not in plain.content.decode()
    honest, honest_queries = _get(client, url, flagged="without")
    html = honest.content.decode()
    assert "Figures without flagged activity: 8 referrals, 1 TYFCB" in html
    assert "0 one-to-ones and 3 substitute marks" in html
    assert "flagged=without" in html  # the sort links and CSV downloads keep the switch
    assert honest_queries == plain_queries + 1  # what was left out, counted once


def test_the_csv_downloads_follow_the_switch(client, personas, chapter):
    personas.login(client, "president")

    def given(**params):
        rows = list(csv.DictReader(io.StringIO(client.get(personas.url("reports:health-csv"), params)
                                               .content.decode())))
        return sum(int(r["Referrals given"]) for r in rows)

    assert (given(), given(flagged="without")) == (10, 2)
    cards = list(csv.DictReader(io.StringIO(
        client.get(personas.url("reports:scorecards-csv"), {"flagged": "without"}).content.decode())))
    mona = next(r for r in cards if r["Member"] == "Mona Member")
    assert mona["Referrals received"] == "0"


def test_a_member_reading_their_own_scorecard_has_no_switch(client, personas, chapter):
    personas.login(client, "member")
    url = personas.url("reports:scorecard", personas.member.pk)
    html = client.get(url, {"flagged": "without"}).content.decode()
    assert 'data-testid="flagged-switch"' not in html and 'data-testid="left-out"' not in html
    assert "6 referrals given" in html
    personas.login(client, "president")
    html = client.get(url, {"flagged": "without"}).content.decode()
    assert 'data-testid="left-out"' in html and "1 referral given" in html
