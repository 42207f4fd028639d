"""The reports read in the reader's language: a German president gets German words and German formats on the
scorecard, chapter health, the overview and the dashboard's traffic lights, whatever language the chapter's
prospects read in."""

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from meetings.models import Attendance, Meeting
from referrals.models import Referral, ThankYou

NOW = datetime(2026, 6, 3, 10, 0, tzinfo=UTC)  # a Wednesday
NBSP = "\xa0"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def english_afterwards():
    """A German request leaves German active in the thread: the tests after this one read English again."""
    yield
    translation.deactivate()


@pytest.fixture
def german(personas):
    """A euro chapter whose president reads German; the member missed a meeting and closed €1,250.50."""
    chapter = personas.chapter
    chapter.currency = "EUR"
    chapter.save()
    for who in ("president", "org_admin"):
        user = personas.user(who)
        user.language = "de"
        user.save()
    day = date(2026, 5, 27)
    meeting = Meeting.objects.create(chapter=chapter, local_date=day, scheduled_date=day, status="closed",
                                     starts_at=datetime.combine(day, time(7), tzinfo=chapter.tz))
    for m, status in ((personas.member, "absent"), (personas.member2, "present"), (personas.president, "late")):
        Attendance.objects.create(meeting=meeting, membership=m, status=status)
    referral = Referral.objects.create(chapter=chapter, giver=personas.member, receiver=personas.member2,
                                       consent=Referral.Consent.STATED, status=Referral.Status.WON)
    ThankYou.objects.create(chapter=chapter, referral=referral, giver=personas.member, receiver=personas.member2,
                            value=Decimal("1250.50"), closed_on=date(2026, 5, 29), business_type="new")
    return personas


def test_the_scorecard_is_german_with_german_numbers_money_and_dates(client, german):
    german.login(client, "president")
    html = client.get(reverse("reports:scorecard", args=[german.chapter.slug, german.member.pk])).content.decode()
    assert '<html lang="de"' in html
    assert "Scorecard: Mona Member" in html and "Wie Home Chapter bewertet" in html
    assert "1 Abwesenheit in 26 Wochen: 10 von 15 Punkten (0 → 15, 1 → 10, 2 → 5, mehr → 0)" in html
    # a rate with a decimal comma, never rounded up: 1 referral in 26 weeks = 0.038… a week
    assert "1 gegebene Empfehlung in 26 Wochen = 0,03 pro Woche: 0 von 20 Punkten (&lt; 0,5 → 0, ≥ 0,5 → 5" in html
    assert f"1.250,50{NBSP}€ an Geschäften aus Empfehlungen des Mitglieds, abgeschlossen in 26 Wochen" in html
    assert f"(&lt; 500,00{NBSP}€ → 0, ≥ 500,00{NBSP}€ → 5" in html
    assert "von 100 Punkten" in html and ">Gelb<" in html and ">Rot<" in html
    assert "04.12.2025 – 03.06.2026" in html  # the range, in German dates
    assert "grün ab 70, gelb ab 50, rot ab 30, grau unter 30" in html
    for english in ("of 100 points", "absence in", "How it was worked out", "Referrals that count", "a week"):
        assert english not in html, english


def test_chapter_health_is_german_with_german_week_labels_and_shares(client, german):
    german.login(client, "president")
    response = client.get(reverse("reports:health", args=[german.chapter.slug]))
    html = response.content.decode()
    assert "<h1>Zustand des Chapters</h1>" in html and "Wochenzahlen (CSV)" in html
    assert "Woche für Woche" in html and "Datentabelle" in html
    attendance = next(c for c in response.context["charts"] if c.key == "attendance")
    assert attendance.title == "Anwesenheit"
    assert attendance.summary.startswith(f"67{NBSP}% der Einträge anwesend, verspätet oder vertreten (2 von 3;")
    assert attendance.data["labels"][-1] == "1. Juni" and "25. Mai" in attendance.data["labels"]
    tyfcb = next(c for c in response.context["charts"] if c.key == "tyfcb")
    assert tyfcb.summary == f"1.250,50{NBSP}€ abgeschlossen: neu 1.250,50{NBSP}€, wiederholt 0,00{NBSP}€."
    assert "Abwesenheiten" in html and "Sortieren nach:" in html and "0,03/Wo." in html


def test_the_scorecards_csv_has_german_headers_and_plain_cells(client, german):
    german.login(client, "president")
    rows = client.get(reverse("reports:scorecards-csv", args=[german.chapter.slug])).content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("Mitglied,Branche,Status,Punktzahl,Von,Stufe,Abwesenheiten: Wert,")
    mona = next(r for r in rows if r.startswith("Mona Member"))
    assert ",0.03," in mona  # a number a spreadsheet reads, whatever the reader's language


def test_the_overview_explains_its_risks_in_german(client, german):
    german.login(client, "org_admin")
    html = client.get(reverse("org-overview")).content.decode()
    assert "<h1>Überblick über die Organisation</h1>" in html
    assert "wenige Mitglieder: 5 aktiv, unter 24" in html
    assert "eine schrumpfende Mitgliederzahl, also ein Nettoverlust" in html


def test_the_dashboard_and_its_traffic_lights_are_german(client, german):
    german.login(client, "president")
    html = client.get("/").content.decode()
    assert "Meine Ampel" in html and "Ihre Ampel wird geladen…" in html and "Braucht meine Aufmerksamkeit" in html
    lights = client.get(reverse("my-lights"), headers={"HX-Request": "true"}).content.decode()
    assert "die letzten 6 Monate, 04.12.2025 bis 03.06.2026" in lights
    assert "1 Verspätung in 26 Wochen: 0 von 5 Punkten" in lights
