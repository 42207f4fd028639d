"""Integrity pages in the reader's language: German words, German numbers, money and dates."""

from decimal import Decimal

import pytest
from django.utils import translation

from integrity.models import IntegrityFlag, IntegrityRules
from integrity.selectors import explanation
from integrity.services import chapter_integrity_check
from tests.integrity.builders import Activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def ring(personas, now):
    a = Activity(personas.chapter, now=now)
    a.members.update({"Mona Member": personas.member, "Max Member": personas.member2})
    a.referrals("Mona Member", "Max Member", 4)
    a.referrals("Max Member", "Mona Member", 3, days=20)
    chapter_integrity_check(chapter=personas.chapter)
    return IntegrityFlag.objects.get(chapter=personas.chapter, kind="ring")


def _german(user):
    user.language = "de"
    user.save(update_fields=["language"])


def test_a_german_leader_reads_the_list_and_the_flag_in_german(client, personas, ring):
    _german(personas.president.user)
    personas.login(client, "president")
    html = client.get(personas.url("integrity:flags")).content.decode()
    assert "Auffälligkeiten" in html and "Empfehlungsring" in html and "Offen (1)" in html
    assert "Mona Member und Max Member haben sich gegenseitig 7 Empfehlungen gegeben." in html
    html = client.get(personas.url("integrity:detail", ring.pk)).content.decode()
    assert "Mona Member: 4 der 4 gegebenen Empfehlungen gingen an die anderen (100\u00a0%)." in html
    assert "mindestens 60\u00a0%" in html and "Geprüft wurden die letzten 180 Tage." in html
    assert "Gefunden am 15.06.2026" in html
    assert "Wie bewerten Sie das?" in html and "Strafgebühr verhängt" in html and "Fehlalarm" in html


def test_a_german_leaders_review_message_and_the_thresholds_page(client, personas, ring):
    _german(personas.vice_president.user)
    personas.login(client, "vice_president")
    response = client.post(personas.url("integrity:review", ring.pk), {"outcome": "warned", "note": "Besprochen."},
                           follow=True)
    html = response.content.decode()
    assert "Prüfung erfasst. Sie steht im Prüfprotokoll des Chapters." in html
    assert "Verwarnt, von Victor Vice am 15.06.2026" in html
    html = client.get(personas.url("integrity:rules")).content.decode()
    assert "Schwellenwerte der Integritätsprüfung" in html and "Standard: 1.000" in html


def test_amounts_in_the_readers_format_and_the_chapters_currency(personas, now):
    personas.chapter.currency = "EUR"
    personas.chapter.save(update_fields=["currency"])
    a = Activity(personas.chapter, now=now)
    for n, value in enumerate(("1000.00", "2000.00", "3000.00")):
        a.thank_you(f"Giver {n}", "Rita Round", value, given_days=30 + n)
    IntegrityRules.objects.create(chapter=personas.chapter, round_unit=Decimal("1000"))
    chapter_integrity_check(chapter=personas.chapter)
    flag = IntegrityFlag.objects.select_related("chapter").prefetch_related("memberships__user").get(kind="tyfcb_round")
    with translation.override("de"):
        assert explanation(flag).summary == (
            "3 der 3 TYFCB-Beträge, die Rita Round erfasst hat, sind glatte Vielfache von 1.000,00\u00a0€ (100\u00a0%)."
        )
    with translation.override("fr"):
        assert "multiples exacts de 1\u202f000,00\u00a0€ (100\u00a0%)" in explanation(flag).summary
    with translation.override("en-gb"):
        assert "whole multiples of €1,000.00 (100%)" in explanation(flag).summary
