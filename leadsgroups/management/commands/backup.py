from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from leadsgroups.backup import BackupError, backup_create, backup_dir


class Command(BaseCommand):
    help = "Back up the database into var/backups/ (PostgreSQL: pg_dump's custom format; SQLite: a consistent copy)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=None, help=f"where to write it (default {backup_dir()})")

    def handle(self, *args, **options):
        try:
            path = backup_create(out_dir=options["dir"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Backed up to {path} ({path.stat().st_size:,} bytes)")
