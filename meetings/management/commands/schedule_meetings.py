from django.core.management.base import BaseCommand

from chapters.models import Chapter
from meetings.services import SCHEDULE_WEEKS, meetings_schedule


class Command(BaseCommand):
    help = "Create every chapter's regular meetings for the coming weeks (what the daily beat task does). Safe to rerun."

    def add_arguments(self, parser):
        parser.add_argument("--weeks", type=int, default=SCHEDULE_WEEKS)
        parser.add_argument("--chapter", help="Only this chapter (slug).")

    def handle(self, *args, weeks, chapter, **options):
        chapters = Chapter.objects.exclude(status=Chapter.Status.CLOSED).order_by("name")
        if chapter:
            chapters = chapters.filter(slug=chapter)
        total = 0
        for c in chapters:
            created = meetings_schedule(chapter=c, weeks=weeks)
            total += created
            self.stdout.write(f"{c.name}: {created} new meeting(s)")
        self.stdout.write(self.style.SUCCESS(f"{total} meeting(s) created."))
