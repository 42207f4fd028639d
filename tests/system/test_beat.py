"""Celery beat as Celery sees it: every entry reaches the app, names a registered task, and runs.

An earlier release defined the schedule in leadsgroups/beat.py but never handed it to Celery:
beat ran an empty schedule and a test that read the dict passed. These tests ask the Celery app.
"""

import re

import pytest

from leadsgroups.beat import BEAT_SCHEDULE
from leadsgroups.celery import app
from meetings.models import Meeting
from tests.factories import ChapterFactory
from tests.services import wait_for


def test_the_celery_app_is_configured_with_every_entry_of_the_schedule():
    assert set(app.conf.beat_schedule) == set(BEAT_SCHEDULE)
    assert len(app.conf.beat_schedule) >= 6
    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] == BEAT_SCHEDULE[name]["task"]


def test_every_entry_names_a_task_the_worker_registers():
    app.loader.import_default_modules()  # what a worker does at start: autodiscover every app's tasks
    missing = {name: e["task"] for name, e in app.conf.beat_schedule.items() if e["task"] not in app.tasks}
    assert missing == {}


def test_beat_every_seconds_shortens_every_entry_and_keeps_the_tasks():
    from leadsgroups.beat import beat_schedule

    short = beat_schedule(every_seconds=2)
    assert {n: e["task"] for n, e in short.items()} == {n: e["task"] for n, e in BEAT_SCHEDULE.items()}
    assert {e["schedule"].total_seconds() for e in short.values()} == {2}
    assert beat_schedule() == BEAT_SCHEDULE


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_beat_sends_every_entry_and_a_real_worker_runs_each(system):
    chapter = ChapterFactory(timezone="Europe/Berlin")  # active, with a weekly schedule
    system.env["BEAT_EVERY_SECONDS"] = "2"
    worker = system.worker()
    beat = system.beat()
    names = set(BEAT_SCHEDULE)
    tasks = {e["task"] for e in BEAT_SCHEDULE.values()}

    def everything_sent_and_done():
        sent = set(re.findall(r"Sending due task (\S+) \(", beat.output()))
        done = set(re.findall(r"Task (\S+)\[[0-9a-f-]+\] succeeded", worker.output()))
        return sent >= names and done >= tasks

    assert wait_for(everything_sent_and_done, timeout=90), system.logs()
    # The effect, not only the log: the scheduling task wrote the chapter's coming meetings.
    assert wait_for(lambda: Meeting.objects.filter(chapter=chapter).exists(), timeout=30), system.logs()
    assert "raised unexpected" not in worker.output(), system.logs()
