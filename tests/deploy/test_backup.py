"""`make backup` / `make restore`: a backup restored into a new database holds every row of every table.

It runs on the database the suite runs on: PostgreSQL in CI (pg_dump and pg_restore), SQLite on a
newcomer's machine (SQLite's backup API on the in-memory test database).
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.management import call_command
from django.db import connection

from leadsgroups.backup import BackupError, backup_create, backup_restore
from tests.enforcement.factories import AttendanceFactory, FineFactory, MeetingFactory, ReferralFactory
from tests.referrals.factories import OneToOneFactory
from tests.services import database_url, unavailable

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees committed rows only

TABLES = {
    "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
}


def _counts(cursor, vendor: str) -> dict[str, int]:
    cursor.execute(TABLES[vendor])
    tables = sorted(row[0] for row in cursor.fetchall())
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from the catalogue
        counts[table] = cursor.fetchone()[0]
    return counts


@pytest.fixture
def new_database(tmp_path):
    """The URL of a database that does not exist yet (dropped after the test), on the suite's engine."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}", tmp_path / "restored.sqlite3"
        return
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        unavailable("pg_dump and pg_restore (PostgreSQL's client tools) are needed for the backup test")
    source = urlsplit(database_url())
    name = f"{source.path.lstrip('/')}_restored"
    _drop(name)
    yield urlunsplit(source._replace(path=f"/{name}")), name
    _drop(name)


def _drop(name: str) -> None:
    import psycopg2
    from psycopg2 import sql

    s = connection.settings_dict
    with closing(psycopg2.connect(dbname="postgres", user=s["USER"] or None, password=s["PASSWORD"] or None,
                                  host=s["HOST"] or None, port=s["PORT"] or None)) as server:
        server.autocommit = True
        with server.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _target_counts(target) -> tuple[dict[str, int], dict[str, int]]:
    """Row counts of every table in the restored database, and its sequences' positions (PostgreSQL)."""
    if connection.vendor == "sqlite":
        with closing(sqlite3.connect(target)) as db:
            return _counts(db.cursor(), "sqlite"), {}
    import psycopg2

    s = connection.settings_dict
    with closing(psycopg2.connect(dbname=target, user=s["USER"] or None, password=s["PASSWORD"] or None,
                                  host=s["HOST"] or None, port=s["PORT"] or None)) as db, db.cursor() as cursor:
        return _counts(cursor, "postgresql"), _sequences(cursor)


def _sequences(cursor) -> dict[str, int]:
    cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
    return dict(cursor.fetchall())


def _some_of_everything(personas):
    """A chapter's meetings, roll call, referrals, one-to-ones and a fine, beside the personas' people."""
    meeting = MeetingFactory(chapter=personas.chapter)
    for seat in (personas.member, personas.member2, personas.president):
        AttendanceFactory(meeting=meeting, membership=seat)
    ReferralFactory(giver=personas.member, receiver=personas.member2)
    OneToOneFactory(initiator=personas.member, other=personas.president)
    FineFactory(membership=personas.member2)


def test_a_backup_restores_into_a_new_database_with_every_row(personas, new_database, tmp_path, capsys):
    url, target = new_database
    _some_of_everything(personas)
    call_command("backup", dir=tmp_path / "backups")
    [backup] = (tmp_path / "backups").iterdir()
    assert backup.suffix == (".dump" if connection.vendor == "postgresql" else ".sqlite3")
    assert f"Backed up to {backup}" in capsys.readouterr().out

    call_command("restore", str(backup), into=url)

    with connection.cursor() as cursor:
        source = _counts(cursor, connection.vendor)
        sequences = _sequences(cursor) if connection.vendor == "postgresql" else {}
    restored, restored_sequences = _target_counts(target)
    assert restored == source  # every table, every row
    assert restored_sequences == sequences  # new rows get new ids
    filled = {t for t, n in source.items() if n}
    assert {"members_user", "chapters_chapter", "members_membership", "meetings_meeting", "meetings_attendance",
            "referrals_referral", "referrals_onetoone", "enforcement_fine", "django_migrations"} <= filled


def test_a_restore_refuses_a_database_that_holds_tables_unless_told_to_replace_it(personas, new_database, tmp_path):
    url, target = new_database
    first = backup_create(out_dir=tmp_path / "first")
    backup_restore(path=first, into=url)
    _some_of_everything(personas)  # the day's work after the first backup
    second = backup_create(out_dir=tmp_path / "second")

    with pytest.raises(BackupError, match="holds tables"):
        backup_restore(path=second, into=url)
    assert _target_counts(target)[0]["referrals_referral"] == 0  # untouched

    backup_restore(path=second, into=url, replace=True)
    with connection.cursor() as cursor:
        assert _target_counts(target)[0] == _counts(cursor, connection.vendor)


def test_a_backup_goes_back_into_the_engine_it_came_from(personas, tmp_path):
    backup = backup_create(out_dir=tmp_path)
    other = "postgres://u@127.0.0.1:5432/x" if connection.vendor == "sqlite" else f"sqlite:///{tmp_path / 'x.sqlite3'}"
    with pytest.raises(BackupError, match="backup: restore it into"):
        backup_restore(path=backup, into=other)
