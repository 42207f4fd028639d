"""A chapter export imported into a fresh database (`manage.py import_chapter`) and exported again: the same."""

import io
import json
import zipfile
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from chapters.models import Chapter
from enforcement import services as enforcement_services
from enforcement.models import ExpulsionCase, Fine, Leave
from meetings.models import Attendance
from members.models import Membership, User
from portability import chapter_export
from portability.chapter_import import ID_KINDS, OWN_ID, chapter_file_read
from referrals.models import Referral
from tests.enforcement.factories import ExpulsionCaseFactory
from tests.meetings.factories import MeetingFactory
from tests.portability.conftest import NOW
from tests.referrals.factories import OneToOneFactory


def _file(chapter, tmp_path, name="export.zip"):
    target = io.BytesIO()
    chapter_export.chapter_zip_write(chapter, target)
    path = tmp_path / name
    path.write_bytes(target.getvalue())
    return path


def _every_kind_of_row(world):
    """Mona's chapter, and what it lacks: a cancelled week, an erased prospect, a decided case holding fines."""
    p = world.personas
    MeetingFactory(chapter=p.chapter, local_date=date(2026, 2, 4), status="cancelled", cancel_reason="Venue closed")
    referral = Referral.objects.filter(chapter=p.chapter, kind="inside").first()
    Referral.objects.filter(pk=referral.pk).update(prospect_erased_at=referral.created_at)
    OneToOneFactory(initiator=p.member2, other=p.treasurer, met_on=date(2026, 2, 2), status="pending")
    fines = list(Fine.objects.filter(membership=world.seat))
    case = ExpulsionCaseFactory(membership=p.member2, rules=fines[0].rules, status="decided", decision="probation",
                                probation_until=date(2026, 6, 30), evidence={"fine_ids": [f.pk for f in fines]})
    case.fines.set(fines)
    Fine.objects.filter(pk=fines[-1].pk).update(status="paid", resolved_at=referral.created_at)
    # Max missed two meetings while on leave: no fine, here or after the move, as long as the leave moves too.
    Leave.objects.create(chapter=p.chapter, membership=p.member2, starts_on=date(2026, 1, 20), ends_on=date(2026, 2, 10),
                         reason="Surgery")
    Attendance.objects.filter(membership=p.member2, meeting__local_date__gte=date(2026, 1, 21)).update(status="absent")
    return p.chapter


def _enforcement_would(chapter) -> tuple:
    """What a reconciliation of the chapter would change now (a dry run): the same before and after a move."""
    result = enforcement_services.chapter_enforce(chapter=chapter, now=NOW, dry_run=True)
    return tuple(len(x) for x in (result.fines, result.withdrawn, result.refund_flagged, result.cases,
                                  result.case_flags))


def _normalised(data: dict) -> dict:
    """The export with each id replaced by its row's place in its own section, so two installations compare."""
    place = {kind: {row[OWN_ID[kind]]: i for i, row in enumerate(data[kind])} for kind in OWN_ID}

    def walk(value, key=None):
        kind = ID_KINDS.get(key)
        if kind and isinstance(value, int):
            return (kind, place[kind].get(value, "not in the export"))
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        return value

    return walk({k: v for k, v in data.items() if k != "exported_at"})


@pytest.mark.django_db(transaction=True)
def test_an_export_imported_into_a_fresh_database_exports_the_same(mona, tmp_path):
    chapter = _every_kind_of_row(mona)
    path = _file(chapter, tmp_path)
    before = chapter_file_read(path)
    would = _enforcement_would(chapter)
    for name in chapter_export.SECTIONS:  # an empty section's CSV header names the same columns
        assert list(before[name][0]) == chapter_export._columns(name), name
    assert all(before[name] for name in chapter_export.SECTIONS), [n for n in chapter_export.SECTIONS if not before[n]]
    call_command("flush", interactive=False, verbosity=0)  # a fresh database: no chapter, no account
    assert not User.objects.exists() and not Chapter.objects.exists()

    out = io.StringIO()
    call_command("import_chapter", str(path), stdout=out)
    assert "Imported:" in out.getvalue()
    after = chapter_file_read(_file(Chapter.objects.get(slug=chapter.slug), tmp_path, "again.zip"))
    assert _normalised(after) == _normalised(before)
    assert _enforcement_would(Chapter.objects.get(slug=chapter.slug)) == would  # the rules judge it as before
    people = User.objects.filter(memberships__chapter__slug=chapter.slug)
    assert people.count() == len(before["roster"]) and not any(u.has_usable_password() for u in people)
    case = ExpulsionCase.objects.get()
    assert case.evidence["fine_ids"] == sorted(case.fines.values_list("pk", flat=True))  # ids inside mapped too


@pytest.mark.django_db
def test_an_existing_account_of_the_same_email_gets_the_seat(mona, tmp_path):
    chapter = mona.personas.chapter
    path = _file(chapter, tmp_path)
    data = chapter_file_read(path)
    data["chapter"]["slug"] = "home-chapter-moved"
    path.write_text(json.dumps(data))
    accounts = User.objects.count()
    call_command("import_chapter", str(path), stdout=io.StringIO())
    moved = Chapter.objects.get(slug="home-chapter-moved")
    assert User.objects.count() == accounts  # everyone is known here by email
    assert Membership.objects.get(chapter=moved, user=mona.mona).status == mona.seat.status


@pytest.mark.django_db
@pytest.mark.parametrize("change,message", [
    (lambda d: d.update(version=99), "version 99 cannot be imported"),
    (lambda d: d.update(format="something-else"), "Not a chapter export"),
    (lambda d: None, "exists here already"),
    (lambda d: d["attendance"][0].update(membership_id=987654), "membership_id 987654 is not in roster"),
    (lambda d: d["cases"].append({**d["fines"][0], "case_id": 987655, "fine_ids": [424242]}), "fine_ids 424242"),
])
def test_a_file_it_cannot_import_whole_is_refused_and_nothing_is_written(mona, tmp_path, change, message):
    ExpulsionCaseFactory(membership=mona.seat)
    data = chapter_file_read(_file(mona.personas.chapter, tmp_path))
    if message != "exists here already":
        data["chapter"]["slug"] = "another-slug"
    change(data)
    path = tmp_path / "chapter.json"
    path.write_text(json.dumps(data))
    counts = [m.objects.count() for m in (Chapter, User, Membership, Referral, Fine)]
    with pytest.raises(CommandError, match=message):
        call_command("import_chapter", str(path), stdout=io.StringIO())
    assert [m.objects.count() for m in (Chapter, User, Membership, Referral, Fine)] == counts


@pytest.mark.django_db
def test_a_file_that_is_not_an_export_is_refused(tmp_path):
    path = tmp_path / "notes.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(CommandError, match="holds no chapter.json"):
        call_command("import_chapter", str(path))
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(CommandError, match="cannot be read as a chapter export"):
        call_command("import_chapter", str(path))


