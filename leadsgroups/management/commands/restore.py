from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from leadsgroups.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into a new database (--into) or over one (--replace)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="a .dump (PostgreSQL) or .sqlite3 (SQLite) backup")
        parser.add_argument("--into", default=None,
                            help="database URL to restore into (default: DATABASE_URL); created if missing")
        parser.add_argument("--replace", action="store_true",
                            help="overwrite a database that holds tables (stop web and workers first)")

    def handle(self, *args, **options):
        try:
            target = backup_restore(path=options["file"], into=options["into"], replace=options["replace"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        where = f"{target.get('HOST') or 'local'}:{target['NAME']}" if target.get("HOST") else target["NAME"]
        self.stdout.write(f"Restored {options['file']} into {where}")
