"""The nightly task as Celery sees it: beat's entry, the sweep's fan-out, one chapter's task."""

import pytest
from celery.schedules import crontab

from chapters.models import Chapter
from integrity.models import IntegrityFlag
from integrity.tasks import chapter_integrity_task, integrity_sweep
from leadsgroups.celery import app
from tests.factories import ChapterFactory


def test_beat_runs_the_sweep_every_night():
    entry = app.conf.beat_schedule["integrity-sweep"]
    assert entry["task"] == "integrity.tasks.integrity_sweep"
    assert entry["schedule"] == crontab(hour=1, minute=20)
    app.loader.import_default_modules()  # what a worker does at start
    assert {"integrity.tasks.integrity_sweep", "integrity.tasks.chapter_integrity_task"} <= set(app.tasks)


@pytest.mark.django_db
def test_the_sweep_sends_one_task_per_chapter_not_closed(monkeypatch):
    sent = []
    monkeypatch.setattr(chapter_integrity_task, "delay", sent.append)
    live, forming = ChapterFactory(), ChapterFactory(status=Chapter.Status.FORMING)
    ChapterFactory(status=Chapter.Status.CLOSED)
    assert integrity_sweep() == 2
    assert sorted(sent) == sorted([live.pk, forming.pk])


@pytest.mark.django_db
def test_a_chapters_task_checks_it_and_a_rerun_opens_nothing(activity):
    activity.referrals("Ann", "Ben", 4)
    activity.referrals("Ben", "Ann", 3, days=20)
    assert chapter_integrity_task(activity.chapter.pk)["opened"] == 1
    assert chapter_integrity_task(activity.chapter.pk) == {"found": 1, "opened": 0, "reopened": 0, "changed": 0,
                                                           "closed": 0}
    assert IntegrityFlag.objects.filter(chapter=activity.chapter).count() == 1
    assert chapter_integrity_task(10**9) == {}
