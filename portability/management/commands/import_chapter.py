"""`manage.py import_chapter FILE.zip|FILE.json`: a chapter export written into this installation, all or nothing."""

from django.core.management.base import BaseCommand, CommandError

from portability.chapter_import import ImportRefused, chapter_file_read, chapter_import


class Command(BaseCommand):
    help = ("Import a chapter from its export (the zip from Leadership › Export, or its chapter.json): the chapter, "
            "its people (matched by email, else new accounts without a password), meetings, attendance, visitors, "
            "referrals, TYFCB, one-to-ones, fines and cases, in one transaction.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="the export's .zip or its chapter.json")

    def handle(self, *args, file, **options):
        try:
            counts = chapter_import(data=chapter_file_read(file))
        except ImportRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("Imported: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
