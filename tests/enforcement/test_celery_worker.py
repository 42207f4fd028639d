"""A real Celery worker on the real broker runs the sweeps; fines and reminders appear exactly once.

Needs PostgreSQL (the worker process must see the test database, which SQLite keeps in memory)
and Redis or RabbitMQ as CELERY_BROKER_URL. Locally it is skipped without them; with
REQUIRE_SERVICES=1 (CI) it fails instead.
"""

import os
import subprocess
import sys
import time
from datetime import date, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from enforcement import tasks
from enforcement.models import Fine, SweepRun
from members.models import Membership, Notification
from tests.enforcement.factories import AttendanceFactory, ChapterRulesFactory, MeetingFactory
from tests.factories import ChapterFactory, MembershipFactory
from tests.services import BASE_DIR, broker, database_url, wait_for, worker_queues_option


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_the_sweeps_and_issues_everything_exactly_once():
    db_url = database_url()
    queues = broker()
    queues.purge()  # a previous aborted run's leftovers

    chapter = ChapterFactory(timezone="Europe/London", venue="The Quay")
    today = timezone.now().astimezone(chapter.tz).date()
    ann = MembershipFactory(chapter=chapter, joined_on=date(2024, 1, 1), user__full_name="Ann")
    MembershipFactory(chapter=chapter, joined_on=date(2024, 1, 1), user__full_name="Bob",
                      role=Membership.Role.PRESIDENT)
    ChapterRulesFactory(chapter=chapter, number=1, effective_from=date(2024, 1, 1), absences_allowed=1,
                        expulsion_violations=2)
    for i in range(1, 4):
        meeting = MeetingFactory(chapter=chapter, local_date=today - timedelta(days=7 * i))
        AttendanceFactory(meeting=meeting, membership=ann, status="absent")
    tomorrow = today + timedelta(days=1)
    MeetingFactory(chapter=chapter, local_date=tomorrow, status="scheduled",
                   starts_at=datetime.combine(tomorrow, chapter.start_time, tzinfo=chapter.tz))

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "leadsgroups.settings_test",
        "DATABASE_URL": db_url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "ENFORCEMENT_REMINDER_HOUR": "0",  # the reminder hour has always come: tomorrow's meeting is due
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "leadsgroups", "worker", "--pool=solo", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat", worker_queues_option(), "-n", f"enforcement-test-{os.getpid()}@%h"],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        # Each sweep twice: a duplicate delivery, and the second finds everything done.
        for _ in range(2):
            tasks.enforcement_sweep.delay()
            tasks.reminders_sweep.delay()
        assert wait_for(lambda: Fine.objects.count() >= 2 and Notification.objects.filter(kind="reminder").count() >= 2), (
            "worker produced nothing in time"
        )
        assert wait_for(queues.idle), "queue did not drain"
        time.sleep(2)  # let a straggler (a fanned-out task just taken) finish
        assert wait_for(queues.idle)
        assert list(Fine.objects.values_list("membership__user__full_name", "period_start").order_by("period_start")) == [
            ("Ann", today - timedelta(days=14)), ("Ann", today - timedelta(days=7))
        ]
        assert ann.expulsion_cases.count() == 1
        # Each sweep recorded its run, and its batches (a rerun of one counts once) finished it.
        runs = SweepRun.objects.all()
        assert runs.count() == 2 and all(r.finished_at and r.batches_done == r.batches <= 1 for r in runs)
        reminders = Notification.objects.filter(kind="reminder")
        assert sorted(reminders.values_list("user__full_name", flat=True)) == ["Ann", "Bob"]
        assert wait_for(lambda: not reminders.filter(email_sent_at__isnull=True).exists()), "reminder emails not sent"
    finally:
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        print(output[-4000:])  # noqa: T201 - shown when the test fails
