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


def _none(chapter):
    return []


def _next_meeting(chapter):
    from meetings.selectors import meeting_next

    meeting = meeting_next(chapter=chapter)
    return [meeting.pk] if meeting else None


# (label, url name, extra URL args from the chapter or None for a global page).
PAGES = [
    ("dashboard", "dashboard", None),
    ("chapter home", "chapters:home", _none),
    ("roster", "chapters:roster", _none),
    ("members (leadership)", "chapters:members", _none),
    ("audit (leadership)", "chapters:audit", _none),
    ("meeting: live roll call", "meetings:detail", _next_meeting),
    ("meetings list", "meetings:list", _none),
    ("attendance report", "meetings:report", _none),
    ("visitor follow-up", "meetings:visitors", _none),
    ("referrals inbox", "referrals:inbox", _none),
    ("referrals: chapter list", "referrals:chapter-list", _none),
    ("referral stats", "referrals:stats", _none),
    ("rules", "enforcement:rules", _none),
    ("rules preview", "enforcement:preview", _none),
    ("fines (leadership)", "enforcement:fines", _none),
    ("notifications", "notifications", None),
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
        for label, name, extra in PAGES:
            args = None if extra is None else extra(chapter)
            if extra is not None and args is None:
                continue  # nothing to show (e.g. no meeting scheduled)
            try:
                url = reverse(name) if extra is None else reverse(name, args=[chapter.slug, *args])
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
