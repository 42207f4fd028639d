"""Print query counts and timings of the main pages on the current (demo) data.

Run `make bench` after `make run` has seeded the demo, or on any database with
`python manage.py bench --chapter SLUG --as EMAIL`.
"""

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from chapters.models import Chapter
from members.models import Membership, User

# (label, url name, needs leadership). Pages of apps not installed are skipped.
PAGES = [
    ("dashboard", "dashboard", False),
    ("chapter home", "chapters:home", False),
    ("roster", "chapters:roster", False),
    ("members (leadership)", "chapters:members", True),
    ("audit (leadership)", "chapters:audit", True),
    ("notifications", "notifications", False),
]


class Command(BaseCommand):
    help = "Print query counts and response times of the main pages."

    def add_arguments(self, parser):
        parser.add_argument("--chapter", default="riverside")
        parser.add_argument("--as", dest="email", default=None, help="a leader of the chapter (default: its president)")
        parser.add_argument("--repeat", type=int, default=5)

    def handle(self, *args, chapter, email, repeat, **options):
        chapter = Chapter.objects.filter(slug=chapter).first()
        if chapter is None:
            raise CommandError("No such chapter: run `make run` (or seed_demo) first.")
        if email:
            user = User.objects.get(email=email)
        else:
            user = Membership.objects.get(chapter=chapter, role="president", status="active").user
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        seated = chapter.memberships.filter(status__in=Membership.SEATED_STATUSES).count()
        self.stdout.write(f"Chapter {chapter.slug}: {seated} seated members; acting as {user.email}")
        self.stdout.write(f"{'page':<34}{'status':>7}{'queries':>9}{'median ms':>11}{'max ms':>9}")
        for label, name, _leadership in self._pages(chapter):
            try:
                url = reverse(name, args=[chapter.slug]) if ":" in name and not name.startswith("admin") else reverse(name)
            except NoReverseMatch:
                continue
            timings = []
            status = queries = None
            for _ in range(repeat):
                reset_queries()
                with CaptureQueriesContext(connection) as ctx:
                    start = time.perf_counter()
                    response = client.get(url)
                    timings.append((time.perf_counter() - start) * 1000)
                status, queries = response.status_code, len(ctx.captured_queries)
            self.stdout.write(
                f"{label:<34}{status:>7}{queries:>9}{statistics.median(timings):>11.1f}{max(timings):>9.1f}"
            )

    def _pages(self, chapter):
        return PAGES
