"""Backups of the database and their restore: `make backup` / `make restore` (manage.py backup / restore).

PostgreSQL: pg_dump's custom format (compressed; pg_restore can pick tables from it), one consistent
snapshot taken while the app runs. It needs PostgreSQL's client tools, of the server's major version or
newer, and a connection of its own: through PgBouncer's transaction pooling its session settings could
land on another server connection, so it refuses DATABASE_POOLER and wants PostgreSQL itself.
SQLite (development): SQLite's online backup API copies the database in one step, consistent even while
web, worker and beat write to it; a file copy could catch the WAL half-applied.

A restore goes into a new database by default (created if missing, refused if it holds tables), so the
backup is checked before anyone points DATABASE_URL at it; `replace=True` overwrites one instead.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import environ
from django.conf import settings
from django.db import connections
from django.utils import timezone

POSTGRESQL = "django.db.backends.postgresql"
SQLITE = "django.db.backends.sqlite3"


class BackupError(Exception):
    """A backup or restore that cannot be done as asked; the message says why and what to do."""


def backup_dir() -> Path:
    return Path(settings.VAR_DIR) / "backups"


def backup_create(*, out_dir: Path | None = None, using: str = "default") -> Path:
    """Back up the database `using` into `out_dir` (var/backups/); returns the new file."""
    connection = connections[using]
    out_dir = Path(out_dir or backup_dir())
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    if connection.vendor == "postgresql":
        if getattr(settings, "DATABASE_POOLER", ""):
            raise BackupError("DATABASE_URL goes through PgBouncer: point it at PostgreSQL itself for the backup "
                              "(and unset DATABASE_POOLER).")
        path = out_dir / f"leadsgroups-{stamp}.dump"
        partial = path.with_suffix(".partial")
        _run(["pg_dump", "--format=custom", "--no-password", f"--file={partial}"], connection.settings_dict)
    elif connection.vendor == "sqlite":
        path = out_dir / f"leadsgroups-{stamp}.sqlite3"
        partial = path.with_suffix(".partial")
        connection.ensure_connection()
        with closing(sqlite3.connect(partial)) as target:
            connection.connection.backup(target)
            if target.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise BackupError(f"the copy in {partial} fails SQLite's integrity check")
    else:
        raise BackupError(f"no backup for {connection.vendor} databases")
    partial.replace(path)  # a file named .dump or .sqlite3 is always a complete backup
    return path


def backup_restore(*, path: Path, into: str | None = None, replace: bool = False) -> dict:
    """Restore the backup `path` into the database at URL `into` (default: the configured one).

    Returns the target's settings (NAME, HOST, ...). Refuses a target that holds tables unless `replace`.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such backup")
    target = environ.Env.db_url_config(into) if into else dict(settings.DATABASES["default"])
    if path.suffix == ".dump":
        if target["ENGINE"] != POSTGRESQL:
            raise BackupError(f"{path.name} is a PostgreSQL backup: restore it into a postgres:// database")
        _pg_restore(path, target, replace=replace)
    elif path.suffix == ".sqlite3":
        if target["ENGINE"] != SQLITE:
            raise BackupError(f"{path.name} is a SQLite backup: restore it into a sqlite:/// database")
        _sqlite_restore(path, Path(target["NAME"]), replace=replace)
    else:
        raise BackupError(f"{path.name}: a backup ends in .dump (PostgreSQL) or .sqlite3 (SQLite)")
    return target


def _pg_env(db: dict) -> dict[str, str]:
    """libpq's environment for this database (the password stays out of the command line)."""
    env = {**os.environ, "PGDATABASE": db["NAME"]}
    for key, var in [("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"), ("HOST", "PGHOST"), ("PORT", "PGPORT")]:
        if db.get(key):
            env[var] = str(db[key])
    if (db.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = db["OPTIONS"]["sslmode"]
    return env


def _run(command: list[str], db: dict) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} not found: install PostgreSQL's client tools "
                          "(the server's major version or newer)")
    result = subprocess.run(command, env=_pg_env(db), capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def _pg_connect(db: dict, name: str):
    import psycopg2

    return psycopg2.connect(dbname=name, user=db.get("USER") or None, password=db.get("PASSWORD") or None,
                            host=db.get("HOST") or None, port=db.get("PORT") or None)


def _pg_restore(path: Path, db: dict, *, replace: bool) -> None:
    from psycopg2 import sql

    with closing(_pg_connect(db, "postgres")) as server:
        server.autocommit = True
        with server.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
    with closing(_pg_connect(db, db["NAME"])) as target, target.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        holds_tables = cursor.fetchone()[0] > 0
    if holds_tables and not replace:
        raise BackupError(f"database {db['NAME']} holds tables: restore into a new one, or replace it (REPLACE=1)")
    command = ["pg_restore", "--no-password", "--no-owner", "--no-privileges", "--exit-on-error",
               "--single-transaction", f"--dbname={db['NAME']}"]
    if holds_tables:
        command += ["--clean", "--if-exists"]
    _run([*command, str(path)], db)


def _sqlite_restore(path: Path, target: Path, *, replace: bool) -> None:
    if target.exists() and not replace:
        with closing(sqlite3.connect(target)) as existing:
            if existing.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]:
                raise BackupError(f"{target} holds tables: restore into a new file, or replace it (REPLACE=1)")
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as source, closing(sqlite3.connect(target)) as dest:
        source.backup(dest)
