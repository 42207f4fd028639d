"""A worker killed outright in the middle of a chapter leaves nothing half-applied; the rerun issues all once.

Runs the real service in a separate process on PostgreSQL and kills it with SIGKILL after its first
fine is written (inside the chapter's transaction). Needs PostgreSQL: skipped locally without it,
failed under REQUIRE_SERVICES=1 (CI).
"""

import os
import signal
import subprocess
import sys
from datetime import date, timedelta

import pytest
from django.utils import timezone

from enforcement import services
from enforcement.models import Fine
from members.models import AuditEvent
from tests.enforcement.factories import AttendanceFactory, ChapterRulesFactory, MeetingFactory
from tests.factories import ChapterFactory, MembershipFactory
from tests.services import BASE_DIR, database_url

# Issues the first fine, says so, then hangs inside the chapter's transaction until killed.
CHILD = """
import os, sys, time, django
django.setup()
from chapters.models import Chapter
from enforcement import services
real = services.fine_issue
def fine_issue_then_hang(*, finding):
    fine = real(finding=finding)
    print("ISSUED", fine.pk, flush=True)
    time.sleep(120)
services.fine_issue = fine_issue_then_hang
services.chapter_enforce(chapter=Chapter.objects.get(pk=int(sys.argv[1])))
"""


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_chapter_leaves_nothing_and_the_rerun_issues_everything_once():
    db_url = database_url()
    chapter = ChapterFactory(timezone="Europe/London")
    today = timezone.now().astimezone(chapter.tz).date()
    ann = MembershipFactory(chapter=chapter, joined_on=date(2024, 1, 1))
    bob = MembershipFactory(chapter=chapter, joined_on=date(2024, 1, 1))
    ChapterRulesFactory(chapter=chapter, effective_from=date(2024, 1, 1), absences_allowed=1, expulsion_violations=9)
    for i in range(1, 4):
        meeting = MeetingFactory(chapter=chapter, local_date=today - timedelta(days=7 * i))
        AttendanceFactory(meeting=meeting, membership=ann, status="absent")
        AttendanceFactory(meeting=meeting, membership=bob, status="absent")

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "leadsgroups.settings_test", "DATABASE_URL": db_url}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(chapter.pk)], cwd=BASE_DIR, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.startswith("ISSUED"), line + child.stdout.read()
        child.send_signal(signal.SIGKILL)  # no cleanup, no rollback by the worker: the database must do it
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()

    assert Fine.objects.count() == 0  # the half-done chapter was rolled back
    assert not AuditEvent.objects.filter(action="fine.issued").exists()
    result = services.chapter_enforce(chapter=chapter)  # the lock died with the worker: no wait
    assert len(result.fines) == 4  # absences 2 and 3 of each member
    assert len(services.chapter_enforce(chapter=chapter).fines) == 0
    assert Fine.objects.count() == 4
