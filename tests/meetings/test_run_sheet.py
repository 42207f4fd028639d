"""The printable run sheet (a meeting's agenda) for leadership, and its CSV."""

import csv
import io

import pytest

from tests.factories import MembershipFactory
from tests.meetings.factories import AttendanceFactory, MeetingFactory, PresentationFactory, VisitorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(personas):
    meeting = MeetingFactory(chapter=personas.chapter, venue="The Riverside Hotel")
    PresentationFactory(meeting=meeting, presenter=personas.member, kind="feature", topic="Roofs that last")
    PresentationFactory(meeting=meeting, presenter=personas.member2, kind="education", topic="Asking well")
    VisitorFactory(meeting=meeting, name="Vera Visitor", business="Vera's Vans", email="vera@private.example")
    return meeting


def test_the_run_sheet_lists_the_agenda_with_its_presenters_and_visitors(client, personas, meeting):
    MembershipFactory(chapter=personas.chapter, status="on_leave", user__full_name="Lena Leave")
    personas.login(client, "vice_president")
    html = client.get(personas.url("meetings:run-sheet", meeting.pk)).content.decode()
    agenda = html.split('data-testid="run-sheet-agenda"', 1)[1].split("</ol>", 1)[0]
    assert agenda.index("Education moment") < agenda.index("Max Member: Asking well") < agenda.index("Feature presentations")
    assert agenda.index("Feature presentations") < agenda.index("Mona Member: Roofs that last")
    assert "Vera Visitor (Vera&#x27;s Vans)" in agenda and "The Riverside Hotel" in html
    members = html.split('data-testid="run-sheet-members"', 1)[1].split("</table>", 1)[0]
    assert "Mona Member" in members and "Lena Leave" not in members  # on leave: listed apart, not expected
    assert "vera@private.example" not in html


def test_the_meeting_page_links_the_run_sheet_for_leadership_only(client, personas, meeting):
    url = personas.url("meetings:run-sheet", meeting.pk)
    personas.login(client, "president")
    assert url in client.get(personas.url("meetings:detail", meeting.pk)).content.decode()
    personas.login(client, "member")
    assert url not in client.get(personas.url("meetings:detail", meeting.pk)).content.decode()
    assert client.get(url).status_code == 403


def test_the_run_sheet_csv_is_an_attachment_and_formula_safe(client, personas, meeting):
    AttendanceFactory(meeting=meeting, membership=personas.member2, status="late")
    personas.member.user.full_name = "@SUM(A1:A9)"
    personas.member.user.save()
    personas.login(client, "president")
    response = client.get(personas.url("meetings:run-sheet-csv", meeting.pk))
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="run-sheet-home-chapter-')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    items = {r[1]: r[2] for r in rows if len(r) == 3 and r[0].isdigit()}
    assert items["Feature presentations"] == "'@SUM(A1:A9): Roofs that last"
    assert items["Visitors introduce themselves"] == "Vera Visitor (Vera's Vans)"
    marks = {r[0]: r[3] for r in rows if len(r) == 4}
    assert marks["Max Member"] == "Late" and marks["'@SUM(A1:A9)"] == ""


def test_a_cancelled_meeting_has_no_run_sheet(client, personas):
    cancelled = MeetingFactory(chapter=personas.chapter, status="cancelled", cancel_reason="Holiday")
    personas.login(client, "president")
    assert client.get(personas.url("meetings:run-sheet", cancelled.pk)).status_code == 404
