"""Meetings in each reader's language and formats (issue 14): pages, notices, the read-out email, the calendar feed."""

import csv
import io
import re
from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.utils import translation

from meetings import services
from meetings.models import Presentation
from members.models import Notification, OutboundEmail
from tests.meetings.factories import AttendanceFactory, MeetingFactory, VisitorFactory
from tests.meetings.test_readout import DAYS, _fill, week  # noqa: F401 -- `week` is a fixture

pytestmark = pytest.mark.django_db

# Wednesday 9 December 2026, 19:30 in Berlin: the chapter's 19:05 meeting is under way.
NOW = datetime(2026, 12, 9, 18, 30, tzinfo=UTC)
BERLIN_DAY = date(2026, 12, 9)


def _speaks(membership, code: str) -> None:
    membership.user.language = code
    membership.user.save(update_fields=["language"])


@pytest.fixture
def berlin(personas):
    """The personas' chapter as a Berlin chapter (German, euros), its meeting of 9 December at 19:05 under way."""
    chapter = personas.chapter
    chapter.timezone, chapter.currency, chapter.language = "Europe/Berlin", "EUR", "de"
    chapter.save()
    _speaks(personas.president, "de")
    return MeetingFactory(chapter=chapter, local_date=BERLIN_DAY,
                          starts_at=datetime.combine(BERLIN_DAY, time(19, 5), tzinfo=chapter.tz))


def _main(html: str) -> str:
    """The page's own content: the navigation is the core's, translated there."""
    return html.split("<main", 1)[1].split("</main>", 1)[0]


@time_machine.travel(NOW, tick=False)
def test_roll_call_page_reads_in_german_with_german_dates_and_times(client, personas, berlin):
    personas.login(client, "president")
    html = client.get(personas.url("meetings:detail", berlin.pk)).content.decode()
    assert '<html lang="de"' in html
    main = _main(html)
    assert "<h1>Mittwoch, 9. Dezember 2026</h1>" in main and "19:05 (Europe/Berlin) · 90 Min." in main
    assert "Anwesenheitskontrolle" in main and "Vorläufige Zahlen" in main and "Tagesordnung" in main
    assert 'aria-label="Mona Member als anwesend vermerken"' in main
    assert 'aria-label="Mona Member als fehlend vermerken"' in main
    # PALMS in German letters, none shared: Anwesend, Zu spät, Fehlt, Krank
    codes = re.findall(rf'<li id="roll-{personas.member.pk}".*?</li>', main, re.S)[0]
    assert re.findall(r'aria-label="[^"]*">(\w)</button>', codes) == ["A", "Z", "F", "K"]
    assert "Zur Anwesenheitskontrolle springen" in html
    for english in ("Roll call", "Provisional figures", "Agenda", "Visitors", "Mark Mona Member", "Not marked"):
        assert english not in main, english


@time_machine.travel(NOW, tick=False)
def test_a_refused_mark_says_why_in_german(client, personas, berlin):
    personas.login(client, "president")
    response = client.post(personas.url("meetings:attendance-mark", berlin.pk, personas.member.pk),
                           {"status": "substitute", "substitute_business": "Ersatz GmbH"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "Geben Sie den Namen der Vertretung ein." in html and 'value="Ersatz GmbH"' in html


@pytest.mark.parametrize("code,start,heading", [
    ("en-us", "7:00\u202fAM", "Wednesday, December 9, 2026"),  # CLDR: a narrow no-break space before AM
    ("en-gb", "07:00", "Wednesday, 9 December 2026"),
])
@time_machine.travel(NOW, tick=False)
def test_english_readers_see_their_own_clock(client, personas, code, start, heading):
    _speaks(personas.president, code)
    meeting = MeetingFactory(chapter=personas.chapter, local_date=BERLIN_DAY,
                             starts_at=datetime.combine(BERLIN_DAY, time(7, 0), tzinfo=personas.chapter.tz))
    personas.login(client, "president")
    main = _main(client.get(personas.url("meetings:detail", meeting.pk)).content.decode())
    assert f"<h1>{heading}</h1>" in main and f"<p>{start} (Europe/London)" in main
    assert "Roll call" in main and "Mark Mona Member present" in main


@time_machine.travel(NOW, tick=False)
def test_presenter_is_told_of_a_moved_slot_in_their_language_whoever_cancelled(personas, berlin):
    """A French president cancels; the German presenter's notice (and its email's subject) is German."""
    _speaks(personas.president, "fr")
    _speaks(personas.member, "de")
    later = MeetingFactory(chapter=personas.chapter, local_date=date(2026, 12, 16),
                           starts_at=datetime(2026, 12, 16, 19, 5, tzinfo=personas.chapter.tz))
    Presentation.objects.create(meeting=berlin, presenter=personas.member, kind="feature", topic="Dächer")
    with translation.override("fr"):
        services.meeting_cancel(meeting=berlin, by=personas.president.user, reason="Feiertag",
                                move_presentations=True)
    notice = Notification.objects.get(user=personas.member.user)
    assert notice.title == "Ihr Programmpunkt (Hauptpräsentation) wird auf Mi., 16. Dez. verschoben"
    assert notice.body == ("Das Treffen am Mi., 9. Dez. 2026 ist abgesagt (Feiertag). Ihr Programmpunkt "
                           "(Hauptpräsentation, „Dächer“) wird auf das nächste Treffen verschoben: "
                           "Mittwoch, 16. Dezember 2026.")
    assert notice.url == later.get_absolute_url()
    email = OutboundEmail.objects.get(to=personas.member.user.email)
    assert notice.title in email.subject


@time_machine.travel(NOW, tick=False)
def test_inviting_member_is_asked_to_follow_up_in_their_language(personas, berlin):
    _speaks(personas.member2, "de")
    VisitorFactory(meeting=berlin, name="Vera Besucherin", invited_by=personas.member2)
    with translation.override("en-gb"):
        assert services.meeting_visitor_followups(meeting=berlin) == 1
    notice = Notification.objects.get(user=personas.member2.user)
    assert notice.title == "Melden Sie sich bei Ihrem Besucher Vera Besucherin"
    assert notice.body.startswith("Vera Besucherin hat Home Chapter am 09.12.2026 besucht.")


def test_each_leader_gets_the_read_out_in_their_own_language(personas, week):  # noqa: F811 -- the fixture
    """Closed by a French treasurer: the president reads German, the vice-president English, the treasurer French;
    money in euros as each locale writes them."""
    personas.chapter.currency = "EUR"
    personas.chapter.save()
    _fill(personas, week)
    _speaks(personas.president, "de")
    _speaks(personas.treasurer, "fr")
    with time_machine.travel(datetime(2026, 3, 11, 12, 0, tzinfo=UTC), tick=False), translation.override("fr"):
        services.meeting_close(meeting=week[DAYS[-1]], by=personas.treasurer.user)
    german = OutboundEmail.objects.get(to=personas.president.user.email)
    assert german.subject == "[Home Chapter] Wochenbericht: das Treffen vom Mi., 11. März 2026"
    assert "Abgegebene Empfehlungen: 3 / 2 / 2 (über dem Durchschnitt)" in german.body
    assert "Mittwoch, 11. März 2026" in german.body and "Einträge vom Do., 5. März bis Mi., 11. März 2026." in german.body
    assert "1.500,00\u00a0€" in german.html and '<html lang="de">' in german.html and "Weekly" not in german.body
    english = OutboundEmail.objects.get(to=personas.vice_president.user.email)
    assert "Referrals given: 3 / 2 / 2 (above average)" in english.body and "€1,500.00" in english.html
    french = OutboundEmail.objects.get(to=personas.treasurer.user.email)
    assert french.subject.startswith("[Home Chapter] Bilan hebdomadaire")
    assert "1\u202f500,00\u00a0€" in french.html
    notice = Notification.objects.get(user=personas.president.user, kind=Notification.Kind.READ_OUT)
    assert notice.title.startswith("Wochenbericht") and "Abgeschlossene Geschäfte (TYFCB): 1.500,00\u00a0€" in notice.body


@time_machine.travel(NOW, tick=False)
def test_calendar_feed_speaks_its_owners_language(client, personas, berlin):
    _speaks(personas.member, "de")
    services.meeting_cancel(meeting=MeetingFactory(chapter=personas.chapter, local_date=date(2026, 12, 16)),
                            by=personas.president.user, reason="Feiertag")
    feed = services.calendar_feed_for(user=personas.member.user)
    body = client.get(f"/calendar/{feed.token}.ics").content.decode()
    assert "SUMMARY:Treffen von Home Chapter" in body and "SUMMARY:Abgesagt: Treffen von Home Chapter" in body
    assert "DESCRIPTION:Treffen von Home Chapter" in body and "\\nAbgesagt: Feiertag" in body
    words = [line for line in body.replace("\r\n ", "").splitlines() if line.startswith(("SUMMARY", "DESCRIPTION"))]
    assert len(words) == 4 and not any("meeting" in w.lower() or "Cancelled" in w for w in words)


@time_machine.travel(NOW, tick=False)
def test_attendance_report_and_its_csv_in_german(client, personas, berlin):
    AttendanceFactory(meeting=berlin, membership=personas.member, status="absent")
    personas.login(client, "president")
    query = {"start": "2026-12-01", "end": "2026-12-31"}
    html = client.get(personas.url("meetings:report"), query).content.decode()
    assert 'title="Fehlt">F<' in html and "A anwesend · F fehlt · Z zu spät · K krank · V Vertretung" in html
    assert "1 Treffen vom 01.12.2026 bis 31.12.2026" in html
    rows = list(csv.reader(io.StringIO(client.get(personas.url("meetings:report-csv"), query).content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Mitglied", "Branche", "Status", "2026-12-09 (vorläufig)"]
    assert ["F"] == [r[3] for r in rows if r[0] == "Mona Member"]


# English words of the app's (not "Status" or "Testimonial": German uses them too)
ENGLISH = ("Meetings", "Meeting of", "Roll call", "Visitor", "Agenda", "Download", "Back", "Save", "Add ", "Figures",
           "Run sheet", "Attendance", "Follow-up", "Cancel", "Close ", "provisional", "Print", "None ", "Subscribe",
           "Last week", "Classification", "Invited by", "Date", "Reason", "Topic", " min", "Previous", "Next ")


@time_machine.travel(NOW, tick=False)
def test_every_meetings_page_reads_in_german(client, personas, berlin):
    """A German leader sees no English word of the app's on any meetings page (names and data aside)."""
    closed = MeetingFactory(chapter=personas.chapter, local_date=date(2026, 12, 2), status="closed",
                            starts_at=datetime(2026, 12, 2, 19, 5, tzinfo=personas.chapter.tz))
    AttendanceFactory(meeting=closed, membership=personas.member, status="substitute", substitute_name="Sam Ersatz")
    visitor = VisitorFactory(meeting=closed, name="Vera Besucherin", invited_by=personas.member)
    Presentation.objects.create(meeting=berlin, presenter=personas.member2, kind="education", topic="Steuern")
    personas.login(client, "president")
    pages = [("meetings:list",), ("meetings:detail", berlin.pk), ("meetings:detail", closed.pk),
             ("meetings:close", berlin.pk), ("meetings:move", berlin.pk), ("meetings:add",), ("meetings:rota",),
             ("meetings:my-attendance",), ("meetings:report",), ("meetings:visitors",), ("meetings:settings",),
             ("meetings:visitor-edit", visitor.pk), ("meetings:visitor-add", berlin.pk),
             ("meetings:testimonials", berlin.pk), ("meetings:testimonial-add", berlin.pk),
             ("meetings:read-out", closed.pk), ("meetings:run-sheet", berlin.pk), ("meetings:calendar",),
             ("meetings:attendance-correct", closed.pk, personas.member.pk)]
    for name, *args in pages:
        response = client.get(personas.url(name, *args))
        assert response.status_code == 200, name
        main = _main(response.content.decode())
        # what is read: the text, and the attributes a screen reader or a hover reads
        text = re.sub(r"<[^>]+>", " ", main) + " ".join(re.findall(r'(?:aria-label|title|placeholder)="([^"]*)"', main))
        left = [word for word in ENGLISH if re.search(rf"\b{word.strip()}\b", text)]
        assert not left, f"{name}: {left}"
