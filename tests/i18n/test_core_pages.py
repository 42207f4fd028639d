"""The core pages, emails and notices in the reader's language: navigation, profile, chapter settings,
invitations, notifications and the JavaScript's words (issue 14)."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from chapters.models import Chapter
from leadsgroups.i18n import catalogue_url, catalogue_version
from members.models import Membership, Notification, OutboundEmail, User
from members.services import invitation_create, membership_change
from tests.factories import ChapterFactory, ClassificationFactory, MembershipFactory, UserFactory
from tests.outbox import outbox_flush

pytestmark = pytest.mark.django_db

# Every label of the top bar, the chapter menu and the user menu a president sees, in English.
NAV_ENGLISH = [
    "Overview", "Next meeting", "Meetings", "Referrals", "Roster", "Directory", "More", "My standing",
    "My scorecard", "My attendance", "My fines", "One-to-ones", "Education credits", "Calendar feed",
    "Referral stats", "Presentation rota", "Chapter rules", "Leadership", "Members &amp; invitations",
    "Visitor follow-up", "Attendance report", "Chapter health", "Fines", "Expulsion cases", "Rules preview",
    "Chapter settings", "Meeting settings", "Scorecard settings", "Audit trail", "Notifications",
    "Profile &amp; email", "Member directory", "Password", "Sign out", "open-source chapter management",
]
NAV_GERMAN = [
    "Überblick", "Nächstes Treffen", "Treffen", "Empfehlungen", "Mitgliederliste", "Verzeichnis", "Mehr",
    "Mein Stand", "Meine Bewertung", "Meine Anwesenheit", "Meine Strafgebühren", "One-to-Ones",
    "Weiterbildung", "Kalender-Feed", "Empfehlungsstatistik", "Vortragsplan", "Regeln des Chapters", "Vorstand",
    "Mitglieder &amp; Einladungen", "Besucher-Nachverfolgung", "Anwesenheitsbericht", "Zustand des Chapters",
    "Strafgebühren", "Ausschlussverfahren", "Regelvorschau", "Chapter-Einstellungen",
    "Einstellungen der Treffen", "Bewertungseinstellungen", "Änderungsprotokoll", "Benachrichtigungen",
    "Profil &amp; E-Mail", "Mitgliederverzeichnis", "Passwort", "Abmelden",
]


def _navigation(html: str) -> str:
    """The site header: the top bar and the chapter menu (what base.html and _nav_chapter.html draw)."""
    header = html.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]
    footer = html.split('<footer class="container site-footer">', 1)[1].split("</footer>", 1)[0]
    return header + footer


def _words(fragment: str) -> set[str]:
    """The visible words and the labels of a fragment (tags dropped, aria-label and title kept)."""
    labels = " ".join(re.findall(r'(?:aria-label|title)="([^"]*)"', fragment))
    text = re.sub(r"<[^>]+>", " ", fragment)
    return set(re.findall(r"[\wÄÖÜäöüß&;-]+", f"{text} {labels}"))


def test_the_navigation_in_german_has_no_english_label_left(client, personas):
    personas.president.user.language = "de"
    personas.president.user.save(update_fields=["language"])
    personas.login(client, "president")
    html = client.get(personas.url("chapters:home")).content.decode()
    nav = _navigation(html)
    assert '<html lang="de"' in html
    missing = [label for label in NAV_GERMAN if label not in nav]
    assert missing == []
    words = _words(nav)
    left = [label for label in NAV_ENGLISH if set(re.findall(r"[\w&;-]+", label)) <= words]
    assert left == []


def test_choosing_german_in_the_profile_is_saved_and_the_pages_follow(client, personas):
    user = personas.member.user
    personas.login(client, "member")
    page = client.get(reverse("profile")).content.decode()
    assert '<option value="" selected>Follow my browser</option>' in page
    response = client.post(reverse("profile"), {"full_name": "Mona Member", "language": "de"}, follow=True)
    user.refresh_from_db()
    assert user.language == "de"
    assert client.cookies["lg_language"].value == "de"  # signing out keeps it
    html = response.content.decode()
    assert '<html lang="de"' in html and "Profil gespeichert." in html and "<h1>Profil &amp; E-Mail</h1>" in html
    html = client.get(personas.url("chapters:roster"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Mitgliederliste</h1>" in html and "Mitglieder suchen" in html


def test_following_the_browser_again_forgets_the_choice(client, personas):
    user = personas.member.user
    user.language = "de"
    user.save(update_fields=["language"])
    personas.login(client, "member")
    client.cookies["lg_language"] = "de"
    response = client.post(reverse("profile"), {"full_name": "Mona Member", "language": ""},
                           HTTP_ACCEPT_LANGUAGE="fr")
    user.refresh_from_db()
    assert user.language == ""
    assert response.cookies["lg_language"].value == ""  # the switcher's cookie is deleted
    html = client.get(reverse("profile"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<html lang="fr"' in html and "Profil enregistré." in html


def _settings(chapter, **changes):
    data = {
        "name": chapter.name, "timezone": chapter.timezone, "cadence": chapter.cadence, "weekday": chapter.weekday,
        "start_time": "07:00", "duration_minutes": chapter.duration_minutes, "venue": "Gasthof", "meal": chapter.meal,
        "language": chapter.language, "currency": chapter.currency, "membership_fee": "120.00",
    }
    return {**data, **changes}


def test_chapter_settings_save_the_language_and_a_currency_code(client, personas):
    personas.login(client, "president")
    response = client.post(personas.url("chapters:settings"), _settings(personas.chapter, language="de",
                                                                         currency="EUR"))
    assert response.status_code == 302
    chapter = Chapter.objects.get(pk=personas.chapter.pk)
    assert (chapter.language, chapter.currency) == ("de", "EUR")


def test_chapter_settings_refuse_an_unknown_currency_and_keep_the_other_input(client, personas):
    personas.login(client, "president")
    response = client.post(personas.url("chapters:settings"),
                           _settings(personas.chapter, name="Renamed Chapter", language="fr", currency="XYZ",
                                     venue="Hotel Bristol"))
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["currency"]
    assert "“XYZ” is not a currency code in use" in form.errors["currency"][0]
    html = response.content.decode()
    assert 'value="Renamed Chapter"' in html and 'value="Hotel Bristol"' in html
    assert '<option value="fr" selected>' in html
    chapter = Chapter.objects.get(pk=personas.chapter.pk)
    assert (chapter.name, chapter.currency, chapter.language) == ("Home Chapter", "GBP", "en-gb")


def test_the_currency_is_chosen_from_iso_codes_named_in_the_readers_language(client, personas):
    personas.president.user.language = "de"
    personas.president.user.save(update_fields=["language"])
    personas.login(client, "president")
    html = client.get(personas.url("chapters:settings")).content.decode()
    assert '<select name="currency"' in html
    assert '<option value="EUR">EUR – Euro</option>' in html
    assert '<option value="GBP" selected>GBP – Britisches Pfund</option>' in html
    assert 'value="XYZ"' not in html


def _german_chapter_invitation(**extra):
    chapter = ChapterFactory(name="Berlin Mitte", language="de", timezone="Europe/Berlin")
    inviter = MembershipFactory(chapter=chapter, role=Membership.Role.PRESIDENT, user__full_name="Anna Müller",
                                user__language="fr")  # she reads in French: the invitation still goes in German
    with translation.override("fr"):
        return invitation_create(chapter=chapter, email="neu@example.com", full_name="Jörg Neumann", role="member",
                                 classification=extra.get("classification"), invited_by=inviter.user)


@time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tick=False)
def test_an_invitation_to_a_german_chapter_is_in_german(django_capture_on_commit_callbacks, settings):
    settings.INVITATION_VALID_DAYS = 14
    accountant = ClassificationFactory(name="Accountant")
    with django_capture_on_commit_callbacks(execute=True):
        invitation, link = _german_chapter_invitation(classification=accountant)
    outbox_flush()
    [message] = mail.outbox
    assert message.subject == "Einladung in das Chapter Berlin Mitte"
    assert message.body.startswith("Guten Tag Jörg Neumann,")
    assert "Anna Müller lädt Sie ein, dem Chapter Berlin Mitte als Mitglied (Steuerberater) beizutreten." in message.body
    assert f"Passwort festlegen und beitreten: {link}" in message.body
    assert "Der Link gilt bis 15. Dezember 2026." in message.body
    html = message.alternatives[0][0]
    assert html.startswith('<!doctype html><html lang="de">') and ">Passwort festlegen und beitreten</a>" in html


def test_the_invitation_page_is_in_the_chapters_language_for_someone_without_an_account(client):
    _invitation, link = _german_chapter_invitation()
    response = client.get(link.replace("http://testserver", ""), HTTP_ACCEPT_LANGUAGE="en-GB,en")
    html = response.content.decode()
    assert response["Content-Language"] == "de" and '<html lang="de"' in html
    assert "<h1>Berlin Mitte beitreten</h1>" in html
    assert "Anna Müller hat <strong>neu@example.com</strong> als Mitglied eingeladen." in html
    assert "Passwort festlegen und beitreten" in html and "Passwort wiederholen" in html


def test_a_new_account_from_a_german_invitation_reads_in_german(client):
    _invitation, link = _german_chapter_invitation()
    path = link.replace("http://testserver", "")
    response = client.post(path, {"full_name": "Jörg Neumann", "password1": "ein-langes-Passwort-9",
                                  "password2": "ein-langes-Passwort-9"}, follow=True)
    assert User.objects.get(email="neu@example.com").language == "de"
    assert "Willkommen im Chapter Berlin Mitte!" in response.content.decode()


def test_a_notice_to_a_german_member_is_german_though_a_french_president_acted(personas,
                                                                               django_capture_on_commit_callbacks):
    mona = personas.member
    mona.user.language = "de"
    mona.user.save(update_fields=["language"])
    paula = personas.president.user
    paula.language = "fr"
    paula.save(update_fields=["language"])
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        membership_change(membership=mona, by=paula, status=Membership.Status.ON_LEAVE, reason="Elternzeit")
    notice = Notification.objects.get(user=mona.user, kind=Notification.Kind.MEMBERSHIP)
    assert notice.title == "Ihre Mitgliedschaft in Home Chapter hat sich geändert"
    assert notice.body.startswith("Status: Aktiv → Pausiert.\nGrund: Elternzeit")
    outbox_flush()
    [message] = mail.outbox
    assert message.subject == "[Home Chapter] Ihre Mitgliedschaft in Home Chapter hat sich geändert"
    assert "Wählen Sie, wie Sie jede Art von Benachrichtigung erreicht:" in message.body
    assert '<html lang="de">' in message.alternatives[0][0]
    email = OutboundEmail.objects.get(notification=notice)
    assert "In Leadsgroups öffnen" in email.html


def test_the_notification_email_is_rendered_in_the_recipients_language():
    from members.notifications import notification_send

    reader = UserFactory(language="es")
    with translation.override("de"):
        notice = notification_send(user=reader, kind=Notification.Kind.INVITATION, title="Hola", url="/")
    email = OutboundEmail.objects.get(notification=notice)
    assert "Elija cómo le llega cada tipo de notificación:" in email.body and '<html lang="es">' in email.html


def test_notification_kinds_on_their_settings_page_are_in_the_readers_language(client, personas):
    personas.member.user.language = "fr"
    personas.member.user.save(update_fields=["language"])
    personas.login(client, "member")
    html = client.get(reverse("notification-settings")).content.decode()
    assert "Rappels de réunion" in html and "Remerciement pour affaire conclue" in html
    assert "Meeting reminders" not in html


@time_machine.travel(datetime(2026, 12, 7, 9, 0, tzinfo=UTC), tick=False)
def test_chapter_pages_show_dates_times_and_words_in_german(client, personas):
    chapter = personas.chapter
    chapter.weekday, chapter.timezone = Chapter.Weekday.WEDNESDAY, "Europe/Berlin"
    chapter.save(update_fields=["weekday", "timezone"])
    Membership.objects.filter(pk=personas.member.pk).update(joined_on=datetime(2026, 12, 9).date())
    personas.president.user.language = "de"
    personas.president.user.save(update_fields=["language"])
    personas.login(client, "president")
    home = client.get(personas.url("chapters:home")).content.decode()
    assert "Wöchentlich mittwochs um 07:00 (Europe/Berlin)" in home
    assert "Aktive Mitglieder" in home and "Zustand: Neustart" in home
    members = client.get(personas.url("chapters:members")).content.decode()
    assert "09.12.2026" in members and "<th>Rolle</th>" in members


def test_the_javascript_catalogue_is_served_in_the_language_its_address_names(client):
    catalogue = client.get(catalogue_url("de"), HTTP_ACCEPT_LANGUAGE="fr")  # the address decides, not the browser
    assert catalogue.status_code == 200 and "javascript" in catalogue["Content-Type"]
    js = catalogue.content.decode()
    assert "Keine Verbindung: Das wurde nicht gespeichert." in js
    assert "No connection: that was not saved." in js  # the key app.js looks it up by
    assert "Pas de connexion" in client.get(catalogue_url("fr")).content.decode()


def test_browsers_keep_the_catalogue_until_its_words_change(client):
    """Each page loads the catalogue: the current version's address is kept for a year, unchanged."""
    kept = client.get(catalogue_url("es"))
    assert kept.status_code == 200
    assert {part.strip() for part in kept["Cache-Control"].split(",")} >= {"public", "max-age=31536000", "immutable"}
    # A page cached before a deploy names the old version: served with today's words, never kept.
    old = client.get(reverse("javascript-catalog", args=["es", "0ld"]))
    assert old.status_code == 200 and "no-cache" in old["Cache-Control"] and "immutable" not in old["Cache-Control"]
    assert old.content == kept.content


def test_a_catalogue_address_names_a_language_of_the_site(client):
    assert client.get(reverse("javascript-catalog", args=["xx", catalogue_version()])).status_code == 404
    assert client.get(reverse("javascript-catalog", args=["de-at", catalogue_version()])).status_code == 404
    assert catalogue_url("de-at") == catalogue_url("de")  # a variant's page loads its language's catalogue


def test_the_catalogue_version_follows_the_compiled_words(tmp_path, settings):
    (tmp_path / "de" / "LC_MESSAGES").mkdir(parents=True)
    mo = tmp_path / "de" / "LC_MESSAGES" / "djangojs.mo"
    mo.write_bytes(b"one")
    settings.LOCALE_PATHS = [str(tmp_path)]
    catalogue_version.cache_clear()
    try:
        first = catalogue_version()
        mo.write_bytes(b"two")
        catalogue_version.cache_clear()
        assert catalogue_version() != first
    finally:
        catalogue_version.cache_clear()


def test_pages_load_the_catalogue_before_the_code_that_uses_it(client, personas):
    personas.login(client, "member")
    html = client.get(reverse("profile")).content.decode()
    catalogue = html.index(f'<script src="{catalogue_url("en-gb")}" defer></script>')
    assert catalogue < html.index("js/app")


def test_the_server_error_page_is_in_the_language_of_the_request_that_failed():
    with translation.override("es"):  # rendered without the request or its context, as Django renders it
        html = render_to_string("500.html", {"request_id": "abc"})
    assert '<html lang="es"' in html and "<h1>Algo ha salido mal</h1>" in html
    assert "Si nos contactas por esto, indica esta referencia: <code>abc</code>" in html
