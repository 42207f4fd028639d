"""Referrals in each reader's language: the prospect reads the chapter's, a member their own, and
amounts carry the chapter's currency in the reader's format."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from members.models import Notification, OutboundEmail
from referrals import services
from referrals.demo import COURSES, seed_referrals
from referrals.models import EducationCredit, ReferralEvent, ThankYou
from tests.factories import ChapterFactory, MembershipFactory
from tests.referrals.factories import ReferralFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday; the consent link then works until 1 April 2026


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def berlin(db):
    """A German-speaking chapter whose giver reads English and whose receiver reads German."""
    chapter = ChapterFactory(name="Berlin Mitte", slug="berlin-mitte", language="de", currency="EUR",
                             timezone="Europe/Berlin")
    return SimpleNamespace(
        chapter=chapter,
        giver=MembershipFactory(chapter=chapter, user__full_name="Gina Giver", user__language="en-gb"),
        receiver=MembershipFactory(chapter=chapter, user__full_name="Rolf Receiver", user__language="de"),
    )


def _ask_consent(client, berlin):
    referral = ReferralFactory(giver=berlin.giver, receiver=berlin.receiver, consent="not_asked")
    client.force_login(berlin.giver.user)
    response = client.post(reverse("referrals:consent-request", args=[berlin.chapter.slug, referral.pk]), follow=True)
    # the giver's own page stays English: only what the prospect reads follows the chapter
    assert "Email to the prospect queued" in response.content.decode()
    client.logout()
    return referral, OutboundEmail.objects.get(consent_request__referral=referral)


def test_the_consent_email_of_a_german_chapter_is_german_though_the_giver_reads_english(client, berlin, clock):
    _, email = _ask_consent(client, berlin)
    assert email.subject == "Gina Giver möchte Sie mit Rolf Receiver in Kontakt bringen"
    assert email.body.startswith("Guten Tag Petra Prospect,")
    assert "Bitte teilen Sie uns mit, ob Rolf Receiver Sie kontaktieren darf:" in email.body
    assert "Der Link gilt bis zum 1. April 2026." in email.body  # a German date, in Berlin's calendar
    assert '<html lang="de">' in email.html and "gilt bis zum 1. April 2026" in email.html
    for english in ("Hello", "passed your contact details", "The link works until", "no account is needed"):
        assert english not in email.body and english not in email.html


def _consent_url(email):
    return "/consent/" + email.body.split("/consent/")[1].split()[0]


def test_the_consent_page_of_a_german_chapter_is_german_whatever_the_browser(client, berlin, clock):
    referral, email = _ask_consent(client, berlin)
    url = _consent_url(email)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    html = page.content.decode()
    assert page["Content-Language"] == "de" and '<html lang="de"' in html
    assert "Darf Rolf Receiver Sie kontaktieren?" in html and "Dieser Link gilt bis zum 1. April 2026." in html
    assert "Nein, meine Daten löschen" in html and "May Rolf Receiver contact you?" not in html

    done = client.post(url, {"answer": "confirm"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Vielen Dank" in done and "Sie haben bestätigt, dass Rolf Receiver Sie kontaktieren darf." in done
    assert "Bestätigt am 2. März 2026." in done

    gone = client.post(url, {"answer": "withdraw"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Erledigt" in gone and "Sie haben Ihre Einwilligung widerrufen." in gone
    referral.refresh_from_db()
    assert referral.consent == "declined"


def test_an_expired_consent_link_says_so_in_the_chapters_language(client, berlin, clock):
    _, email = _ask_consent(client, berlin)
    clock.shift(timedelta(days=31))
    page = client.get(_consent_url(email), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 410 and page["Content-Language"] == "de"
    assert "Dieser Link ist nicht mehr gültig" in page.content.decode()


def test_the_members_are_told_of_the_prospects_answer_each_in_their_own_language(client, berlin, clock):
    referral, email = _ask_consent(client, berlin)
    client.post(_consent_url(email), {"answer": "decline"})
    giver_notice = Notification.objects.get(user=berlin.giver.user, kind=Notification.Kind.CONSENT_ANSWERED)
    receiver_notice = Notification.objects.get(user=berlin.receiver.user, kind=Notification.Kind.CONSENT_ANSWERED)
    assert giver_notice.title == f"The prospect declined to be contacted (referral #{referral.pk})"
    assert receiver_notice.title == f"Der Interessent hat eine Kontaktaufnahme abgelehnt (Empfehlung #{referral.pk})"
    assert receiver_notice.body == "Kontaktieren Sie den Interessenten nicht."


def test_a_referral_notice_to_a_french_member_is_french_though_a_german_member_gave_it(client, personas):
    personas.member.user.language = "de"
    personas.member.user.save(update_fields=["language"])
    personas.member2.user.language = "fr"
    personas.member2.user.save(update_fields=["language"])
    personas.login(client, "member")
    response = client.post(
        personas.url("referrals:new"),
        {"receiver": str(personas.member2.pk), "kind": "outside", "prospect_name": "Petra Prospect",
         "prospect_phone": "+44 7700 900123", "consent": "stated", "temperature": "4"},
        follow=True,
    )
    assert "Empfehlung an Max Member weitergegeben." in response.content.decode()  # the giver's German
    notice = Notification.objects.get(user=personas.member2.user, kind=Notification.Kind.REFERRAL_RECEIVED)
    assert notice.title == "Mona Member vous a transmis une recommandation"
    assert notice.body == "Externe (un tiers), température 4/5. Acceptez-la ou refusez-la."
    email = OutboundEmail.objects.get(notification=notice)
    assert "vous a transmis une recommandation" in email.subject


def test_the_giver_hears_of_a_move_in_their_language_whoever_moved_it(client, personas):
    personas.member.user.language = "es"
    personas.member.user.save(update_fields=["language"])
    personas.member2.user.language = "de"
    personas.member2.user.save(update_fields=["language"])
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2)
    personas.login(client, "member2")
    page = client.post(personas.url("referrals:status", referral.pk), {"to": "accepted"}, follow=True)
    assert "Die Empfehlung hat jetzt den Status „angenommen“." in page.content.decode()
    notice = Notification.objects.get(user=personas.member.user, kind=Notification.Kind.REFERRAL_UPDATED)
    assert notice.title == "Max Member aceptó su referencia"


def test_the_thank_you_names_the_value_in_the_givers_format_and_the_chapters_currency(berlin):
    berlin.giver.user.language = "de"
    berlin.giver.user.save(update_fields=["language"])
    referral = ReferralFactory(giver=berlin.giver, receiver=berlin.receiver, status="meeting")
    with translation.override("en-gb"):
        services.referral_move(referral=referral, by=berlin.receiver, to="won", value=Decimal("1234.50"),
                               closed_on=timezone.localdate(timezone=berlin.chapter.tz), business_type="new",
                               note="Danke!")
    notice = Notification.objects.get(user=berlin.giver.user, kind=Notification.Kind.THANK_YOU)
    assert notice.title == "Danke für abgeschlossenes Geschäft: 1.234,50\xa0€"
    assert notice.body == "Rolf Receiver hat aus Ihrer Empfehlung ein Neugeschäft über 1.234,50\xa0€ abgeschlossen. „Danke!“"


def test_a_stale_reminder_and_a_one_to_one_to_confirm_are_in_the_receivers_language(personas, clock):
    personas.member2.user.language = "fr"
    personas.member2.user.save(update_fields=["language"])
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, status="accepted")
    referral.__class__.objects.filter(pk=referral.pk).update(status_changed_at=T0 - timedelta(days=20))
    services.referrals_mark_stale(chapter_id=personas.chapter.pk)
    stale = Notification.objects.get(user=personas.member2.user, kind=Notification.Kind.STALE_REFERRAL)
    assert stale.title == f"La recommandation #{referral.pk} de Mona Member attend une mise à jour"
    days = settings.STALE_REFERRAL_DAYS
    assert stale.body.startswith(f"Aucune mise à jour depuis {days} jours\xa0: elle est toujours «\xa0Acceptée\xa0».")

    services.one_to_one_record(chapter=personas.chapter, by=personas.member, other=personas.member2,
                               met_on=date(2026, 2, 27))
    one = Notification.objects.get(user=personas.member2.user, kind=Notification.Kind.ONE_TO_ONE)
    assert one.title == "Mona Member a enregistré un tête-à-tête avec vous le 27 févr. 2026"


def _closed_business(chapter, giver, receiver, value):
    referral = ReferralFactory(giver=giver, receiver=receiver, status="won", closed_value=value,
                               closed_on=timezone.localdate(), business_type="new")
    ThankYou.objects.create(chapter=chapter, referral=referral, giver=giver, receiver=receiver, value=value,
                            closed_on=timezone.localdate(), business_type="new")
    return referral


def test_a_german_reader_sees_euro_totals_the_german_way(client, berlin):
    _closed_business(berlin.chapter, berlin.giver, berlin.receiver, Decimal("1234.50"))
    client.force_login(berlin.receiver.user)
    stats = client.get(reverse("referrals:stats", args=[berlin.chapter.slug])).content.decode()
    assert 'data-testid="chapter-tyfcb">1.234,50\xa0€<' in stats
    assert "Von Ihnen abgeschlossenes TYFCB" in stats and "Rangliste" in stats and "Abschlussquote" in stats
    inbox = client.get(reverse("referrals:inbox", args=[berlin.chapter.slug])).content.decode()
    assert "<strong>1.234,50\xa0€</strong>" in inbox and "Gewonnen" in inbox


def test_a_british_reader_sees_pound_totals_the_british_way(client, personas):
    personas.member.user.language = "en-gb"
    personas.member.user.save(update_fields=["language"])
    _closed_business(personas.chapter, personas.member, personas.member2, Decimal("1234.50"))
    personas.login(client, "member")
    stats = client.get(personas.url("referrals:stats")).content.decode()
    assert 'data-testid="chapter-tyfcb">£1,234.50<' in stats
    outbox = client.get(personas.url("referrals:outbox")).content.decode()
    assert "<strong>£1,234.50</strong>" in outbox


def test_choosing_yourself_as_receiver_is_refused_in_the_readers_language(client, personas):
    personas.member.user.language = "de"
    personas.member.user.save(update_fields=["language"])
    personas.login(client, "member")
    response = client.post(personas.url("referrals:new"), {"receiver": str(personas.member.pk), "kind": "inside",
                                                           "temperature": "3"})
    assert response.status_code == 422
    assert "Das sind Sie selbst: Eine Empfehlung geht an ein anderes Mitglied." in response.content.decode()


def test_history_notes_the_app_wrote_in_english_read_in_the_readers_language(client, personas):
    personas.member.user.language = "de"
    personas.member.user.save(update_fields=["language"])
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, consent="confirmed")
    # a row written before the translations: the stored note is English
    ReferralEvent.objects.create(referral=referral, action=ReferralEvent.Action.CONSENT,
                                 note="The prospect confirmed they may be contacted")
    ReferralEvent.objects.create(referral=referral, action=ReferralEvent.Action.STATUS, actor=personas.member2.user,
                                 from_status="given", to_status="meeting", note="Call after lunch")
    personas.login(client, "member")
    html = client.get(personas.url("referrals:detail", referral.pk)).content.decode()
    assert "Einwilligung — Der Interessent hat bestätigt, dass er kontaktiert werden darf" in html
    assert "Status geändert: weitergegeben → Treffen stattgefunden von Max Member — Call after lunch" in html


def test_the_demo_members_of_a_german_chapter_write_in_german(db):
    chapter = ChapterFactory(language="de", currency="EUR", timezone="Europe/Berlin")
    MembershipFactory.create_batch(4, chapter=chapter)
    seed_referrals(world=SimpleNamespace(chapters={"de": chapter}), today=date(2026, 3, 2))
    with translation.override("de"):
        german_courses = {str(c) for c in COURSES}
    titles = set(EducationCredit.objects.filter(chapter=chapter).values_list("title", flat=True))
    assert titles and titles <= german_courses and "DSGVO für kleine Unternehmen" in german_courses
