"""The chapter export: asked for on a page, built by a task, downloaded when ready, and true to the pages' figures.

The export is parsed back (CSV and JSON) and compared with what the chapter's pages show for the same
period: the attendance report's CSV, the referral statistics page, the fines page's totals. The re-import
into a fresh database (`manage.py import_chapter`) is tested in test_chapter_import.py.
"""

import csv
import io
import json
import zipfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest

from enforcement.selectors import chapter_fines, fines_totals
from leadsgroups.formats import format_money
from members.models import Membership
from portability import chapter_export, tasks
from portability.models import ChapterExport
from referrals import services as referral_services
from tests.enforcement.factories import ExpulsionCaseFactory, FineFactory
from tests.factories import MembershipFactory
from tests.meetings.factories import AttendanceFactory, MeetingFactory, VisitorFactory
from tests.referrals.factories import OneToOneFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
START, END = date(2026, 1, 1), date(2026, 3, 10)


@pytest.fixture
def history(personas, time_machine):
    """Six weeks of a chapter: marks, a cancelled week, referrals (one won), one-to-ones, fines and a case."""
    time_machine.move_to(NOW, tick=False)
    p = personas
    Membership.objects.filter(chapter=p.chapter).update(joined_on=date(2025, 1, 1))
    formula = MembershipFactory(chapter=p.chapter, user__full_name="=HYPERLINK(\"http://evil\")", joined_on=date(2025, 1, 1))
    seats = [p.president, p.vice_president, p.treasurer, p.member, p.member2, formula]
    marks = ["present", "late", "absent", "present", "medical", "substitute"]
    for week in range(6):
        day = date(2026, 1, 28) + timedelta(days=7 * week)
        if week == 2:
            MeetingFactory(chapter=p.chapter, local_date=day, status="cancelled")
            continue
        meeting = MeetingFactory(chapter=p.chapter, local_date=day, status="closed")
        for i, seat in enumerate(seats):
            AttendanceFactory(meeting=meeting, membership=seat, status=marks[(i + week) % len(marks)])
        VisitorFactory(meeting=meeting, invited_by=p.member)
    give = dict(chapter=p.chapter, kind="outside", prospect_name="Petra Prospect", prospect_email="petra@prospect.example",
                prospect_phone="+44 7700 900123", notes="Her budget is 5k", consent="stated")
    won = referral_services.referral_give(giver=p.member, receiver=p.member2, **give)
    for step in ("accepted", "contacted"):
        referral_services.referral_move(referral=won, by=p.member2, to=step)
    referral_services.referral_move(referral=won, by=p.member2, to="won", value=Decimal("1234.50"),
                                    closed_on=date(2026, 3, 10), business_type="new")
    referral_services.referral_give(giver=p.member2, receiver=p.member, **give)
    referral_services.referral_give(giver=p.president, receiver=p.member, chapter=p.chapter, kind="inside")
    OneToOneFactory(initiator=p.member, other=p.member2, met_on=date(2026, 2, 1), status="confirmed")
    OneToOneFactory(initiator=p.member2, other=p.treasurer, met_on=date(2026, 2, 2), status="pending")
    FineFactory(membership=p.member, amount=Decimal("10.00"), status="open")
    FineFactory(membership=p.member2, amount=Decimal("15.00"), status="paid")
    FineFactory(membership=p.member2, amount=Decimal("5.00"), status="waived")
    ExpulsionCaseFactory(membership=p.member)
    return p


def _built(p, by="president") -> ChapterExport:
    export = chapter_export.export_request(chapter=p.chapter, by=getattr(p, by).user)
    assert chapter_export.export_build(export_id=export.pk)
    export.refresh_from_db()
    return export


def _zip(client, p, export) -> zipfile.ZipFile:
    p.login(client, "president")
    response = client.get(p.url("portability:export-download", export.pk))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="home-chapter-export-2026-03-10.zip"'
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _csv(archive, name) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read(f"{name}.csv").decode("utf-8-sig"))))


def test_asking_on_the_page_queues_a_build_and_shows_preparing(client, personas, django_capture_on_commit_callbacks):
    personas.login(client, "president")
    with mock.patch("portability.tasks.chapter_export_build_task.delay") as build:
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(personas.url("portability:export")).status_code == 302
    export = ChapterExport.objects.get()
    build.assert_called_once_with(export.pk)
    html = client.get(personas.url("portability:export")).content.decode()
    assert "Preparing…" in html and 'hx-trigger="every 3s"' in html
    assert client.post(personas.url("portability:export")).status_code == 302
    assert ChapterExport.objects.count() == 1  # asked again while preparing: the same export


def test_once_built_the_page_offers_the_download(client, history):
    export = _built(history)
    history.login(client, "vice_president")
    html = client.get(history.url("portability:export"), HTTP_HX_REQUEST="true").content.decode()
    assert html.lstrip().startswith('<section id="exports"')  # htmx swaps the list alone
    assert "Preparing" not in html and "hx-trigger" not in html  # polling stops
    assert history.url("portability:export-download", export.pk) in html
    assert export.expires_at == export.ready_at + timedelta(hours=72)


def test_the_zip_holds_a_csv_per_kind_and_the_json(client, history):
    archive = _zip(client, history, _built(history))
    assert sorted(archive.namelist()) == sorted([*(f"{n}.csv" for n in chapter_export.SECTIONS), "chapter.json"])
    data = json.loads(archive.read("chapter.json"))
    assert data["format"] == "leadsgroups-chapter-export" and data["chapter"]["slug"] == "home-chapter"
    for name in chapter_export.SECTIONS:
        rows = _csv(archive, name)
        assert len(rows) == len(data[name]), name
        header = next(csv.reader(io.StringIO(archive.read(f"{name}.csv").decode("utf-8-sig"))))
        assert header == (list(data[name][0]) if rows else chapter_export._columns(name)), name  # same columns


def test_referrals_leave_without_their_prospect(client, history):
    archive = _zip(client, history, _built(history))
    everything = b"".join(archive.read(n) for n in archive.namelist()).decode("utf-8")
    for secret in ("Petra", "petra@prospect.example", "7700 900123", "Her budget"):
        assert secret not in everything
    assert "prospect_name" not in _csv(archive, "referrals")[0]


def test_cells_that_a_spreadsheet_would_run_are_neutralised(client, history):
    archive = _zip(client, history, _built(history))
    names = [r["name"] for r in _csv(archive, "roster")]
    assert "'=HYPERLINK(\"http://evil\")" in names
    assert '=HYPERLINK("http://evil")' in [r["name"] for r in json.loads(archive.read("chapter.json"))["roster"]]


def test_attendance_matches_the_attendance_reports_csv(client, history):
    archive = _zip(client, history, _built(history))
    exported = Counter((r["member"].lstrip("'"), r["status"]) for r in _csv(archive, "attendance"))
    page = client.get(history.url("meetings:report-csv"), {"start": START.isoformat(), "end": END.isoformat()})
    rows = list(csv.DictReader(io.StringIO(page.content.decode("utf-8-sig"))))
    assert len(rows) == 6
    for row in rows:
        name = row["Member"].lstrip("'")
        for status in ("present", "late", "absent", "medical", "substitute"):
            assert int(row[status.capitalize()]) == exported[(name, status)], (name, status)
    meetings = _csv(archive, "meetings")
    assert [m["status"] for m in meetings].count("cancelled") == 1
    assert sum(int(m["visitors"]) for m in meetings) == sum(int(r["Visitors invited"]) for r in rows) == 5


def test_referrals_tyfcb_and_one_to_ones_match_the_referral_statistics_page(client, history):
    archive = _zip(client, history, _built(history))
    referrals, tyfcb, ones = _csv(archive, "referrals"), _csv(archive, "tyfcb"), _csv(archive, "one_to_ones")
    html = client.get(history.url("referrals:stats"), {"start": START.isoformat(), "end": END.isoformat()}).content.decode()

    chapter_figures = html.split('data-testid="chapter-stats"', 1)[1]

    def figure(label):
        return chapter_figures.split(f"<small>{label}</small><strong", 1)[1].split(">", 1)[1].split("</strong>", 1)[0]

    assert int(figure("Referrals")) == len(referrals) == 3
    assert int(figure("Won")) == sum(r["status"] == "won" for r in referrals) == 1
    assert figure("TYFCB") == "£1,234.50" and sum(Decimal(t["value"]) for t in tyfcb) == Decimal("1234.50")
    assert int(figure("One-to-ones")) == sum(o["status"] == "confirmed" for o in ones) == 1
    assert [(r["kind"], r["consent"]) for r in referrals].count(("inside", "stated")) == 1


def test_fines_match_the_fines_pages_totals(client, history):
    archive = _zip(client, history, _built(history))
    fines = _csv(archive, "fines")
    totals = fines_totals(chapter_fines(chapter=history.chapter))

    def total(status):
        return sum(Decimal(f["amount"]) for f in fines if f["status"] == status)

    assert (total("open"), total("paid"), total("waived")) == (totals["open"], totals["paid"], totals["waived"])
    html = client.get(history.url("enforcement:fines")).content.decode()
    assert format_money(total("open"), "GBP") in html and format_money(total("paid"), "GBP") in html
    [case] = _csv(archive, "cases")
    assert (case["member"], case["status"]) == ("Mona Member", "open")


def test_an_expired_export_is_no_longer_offered(client, history, time_machine):
    export = _built(history)
    time_machine.move_to(export.expires_at + timedelta(seconds=1), tick=False)
    history.login(client, "president")
    assert client.get(history.url("portability:export-download", export.pk)).status_code == 404
    assert history.url("portability:export-download", export.pk) not in client.get(
        history.url("portability:export")).content.decode()


def test_a_build_that_fails_says_so(client, personas):
    export = chapter_export.export_request(chapter=personas.chapter, by=personas.president.user)
    with mock.patch("portability.chapter_export.chapter_zip_write", side_effect=OSError("disk full")):
        with pytest.raises(OSError):
            chapter_export.export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == "failed" and export.error == "OSError: disk full"
    personas.login(client, "president")
    assert "Failed: ask for a new one." in client.get(personas.url("portability:export")).content.decode()


def test_a_build_delivered_twice_builds_once(personas):
    export = chapter_export.export_request(chapter=personas.chapter, by=personas.president.user)
    assert chapter_export.export_build(export_id=export.pk) is True
    assert chapter_export.export_build(export_id=export.pk) is False


def test_the_sweep_builds_an_export_whose_task_was_lost(personas, time_machine):
    time_machine.move_to(NOW, tick=False)
    export = chapter_export.export_request(chapter=personas.chapter, by=personas.president.user)
    time_machine.move_to(NOW + timedelta(minutes=3), tick=False)
    with mock.patch("portability.tasks.chapter_export_build_task.delay") as build:
        tasks.portability_sweep()
    build.assert_called_once_with(export.pk)


def test_the_build_reads_each_kind_in_a_constant_number_of_queries(history, django_assert_max_num_queries):
    with django_assert_max_num_queries(len(chapter_export.SECTIONS) + 6) as small:
        chapter_export.chapter_data(history.chapter)
    for _ in range(10):
        MembershipFactory(chapter=history.chapter)
    with django_assert_max_num_queries(len(small.captured_queries)):
        chapter_export.chapter_data(history.chapter)


def test_the_export_page_in_german(client, personas, time_machine):
    time_machine.move_to(datetime(2026, 12, 9, 19, 5, tzinfo=UTC), tick=False)
    user = personas.president.user
    user.language = "de"
    user.save(update_fields=["language"])
    _built(personas)
    personas.login(client, "president")
    html = client.get(personas.url("portability:export")).content.decode()
    assert "Chapter exportieren" in html and "Neuen Export vorbereiten" in html and "Herunterladen" in html
    assert "aufbewahrt bis 12.12.2026, 19:05" in html  # 72 hours on, in German
