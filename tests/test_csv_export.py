"""Issue 17 (item 9): every CSV download opens in Excel with accents intact (UTF-8 with a byte-order
mark) and still neutralises formulas; numbers the app writes stay numbers."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from leadsgroups.csv_export import BOM, csv_response
from tests.meetings.factories import AttendanceFactory, meeting_started
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def test_the_shared_response_starts_with_the_byte_order_mark_and_neutralises_text_cells():
    response, writer = csv_response("x.csv")
    writer.writerow(["Zoë Müller", "=HYPERLINK(\"http://x\")", " -2+3", "@SUM(A1)", -3, Decimal("-1.50"), None])
    raw = response.content
    assert raw.startswith(BOM.encode()) and raw.startswith(b"\xef\xbb\xbf")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    [row] = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert row == ["Zoë Müller", "'=HYPERLINK(\"http://x\")", "' -2+3", "'@SUM(A1)", "-3", "-1.50", ""]


def _starts_with_bom_and_keeps(response, name: str) -> None:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert name in response.content.decode("utf-8-sig")


def test_every_chapter_csv_download_is_utf8_with_a_byte_order_mark(client, personas):
    personas.member.user.full_name = "Zoë Müller-Ñúñez"
    personas.member.user.save(update_fields=["full_name"])
    ReferralFactory(giver=personas.member, receiver=personas.member2)
    meeting = meeting_started(personas.chapter)
    AttendanceFactory(meeting=meeting, membership=personas.member, status="present")
    personas.login(client, "president")
    day = meeting.local_date
    for url in (
        personas.url("referrals:export"),
        personas.url("chapters:roster-csv"),
        personas.url("meetings:report-csv") + f"?start={date(day.year, 1, 1)}&end={day}",
    ):
        _starts_with_bom_and_keeps(client.get(url), "Zoë Müller-Ñúñez")
