"""What every Celery task run leaves behind, through Celery's signals (no task needs to know).

- A failed task is logged once, with its name, id, arguments and chapter (found from a
  `chapter_id`, `meeting_id`, `membership_id`, … argument), in Celery's own words ("Task …
  raised unexpected: …"), whose duplicate record leadsgroups/log_format.py drops.
- A task that beat schedules writes a TaskRun row when it starts and when it ends (the admin's
  Background work page); when it fails, the ADMINS are emailed (at most once an hour per task).

Nothing here may fail a task: each step logs its own error and lets the task's outcome stand.
"""

from __future__ import annotations

import inspect
import logging
import socket

from celery.signals import task_failure, task_prerun, task_retry, task_success

from ops import services
from ops.models import TaskRun

log = logging.getLogger("ops.tasks")

# A task argument that leads to a chapter: the model, and the path from it to the chapter's slug.
CHAPTER_ARGUMENTS = {
    "chapter_id": ("chapters.Chapter", "slug"),
    "chapter_ids": ("chapters.Chapter", "slug"),
    "meeting_id": ("meetings.Meeting", "chapter__slug"),
    "membership_id": ("members.Membership", "chapter__slug"),
    "case_id": ("enforcement.ExpulsionCase", "chapter__slug"),
    "notification_id": ("members.Notification", "chapter__slug"),
    "email_id": ("members.OutboundEmail", "chapter__slug"),
}

_runs: dict[str, int] = {}  # task id → its TaskRun row, between the run's start and its end


def _beat_entry(task_name: str) -> str | None:
    """The beat entry that schedules this task, from the running Celery app's schedule."""
    from leadsgroups.celery import app

    return next((name for name, entry in app.conf.beat_schedule.items() if entry["task"] == task_name), None)


def _worker(task) -> str:
    return getattr(task.request, "hostname", None) or socket.gethostname()


def _error(exception) -> str:
    return f"{type(exception).__name__}: {exception}"


def task_chapter(task, args, kwargs) -> str | None:
    """The chapter (slug) a task's arguments point at, or several ("a, b and 3 more"); None if none."""
    from django.apps import apps

    try:
        arguments = inspect.signature(task.run).bind_partial(*args, **kwargs).arguments
    except (TypeError, ValueError):
        return None
    for name, (label, path) in CHAPTER_ARGUMENTS.items():
        if arguments.get(name) is None:
            continue
        ids = arguments[name] if isinstance(arguments[name], list | tuple) else [arguments[name]]
        try:
            slugs = sorted({s for s in apps.get_model(label).objects.filter(pk__in=list(ids)[:100])
                            .values_list(path, flat=True) if s})
        except Exception:  # noqa: BLE001 - the database may be why the task failed
            return None
        if not slugs:
            return None
        return ", ".join(slugs[:3]) + (f" and {len(slugs) - 3} more" if len(slugs) > 3 else "")
    return None


@task_prerun.connect
def _run_started(task_id=None, task=None, **kwargs) -> None:
    entry = _beat_entry(task.name)
    if entry is None:
        return
    try:
        run = services.task_run_start(task_name=task.name, beat_entry=entry, task_id=task_id, worker=_worker(task))
    except Exception:  # noqa: BLE001
        log.exception("Could not record the start of %s[%s]", task.name, task_id)
        return
    _runs[task_id] = run.pk


def _run_finished(task_id: str, state: str, error: str = "") -> None:
    run_id = _runs.pop(task_id, None)
    if run_id is None:
        return
    try:
        services.task_run_finish(run_id=run_id, state=state, error=error)
    except Exception:  # noqa: BLE001
        log.exception("Could not record the end of task %s", task_id)


@task_success.connect
def _run_succeeded(sender=None, **kwargs) -> None:
    _run_finished(sender.request.id, TaskRun.State.SUCCEEDED)


@task_retry.connect
def _run_retrying(sender=None, request=None, reason=None, **kwargs) -> None:
    _run_finished(request.id if request is not None else sender.request.id, TaskRun.State.RETRYING, str(reason))


@task_failure.connect
def _run_failed(sender=None, task_id=None, exception=None, args=None, kwargs=None, einfo=None, **extra) -> None:
    args, kwargs = list(args or ()), dict(kwargs or {})
    chapter = task_chapter(sender, args, kwargs)
    entry = _beat_entry(sender.name)
    log.error(
        "Task %s[%s] raised unexpected: %r%s", sender.name, task_id, exception,
        f" (chapter {chapter})" if chapter else "",
        exc_info=einfo.exc_info if einfo is not None else None,
        extra={"task": sender.name, "task_id": task_id, "task_args": args, "task_kwargs": kwargs,
               "chapter": chapter, "beat_entry": entry},
    )
    if entry is None:
        return
    _run_finished(task_id, TaskRun.State.FAILED, _error(exception))
    try:
        services.task_failure_alert(task_name=sender.name, beat_entry=entry, error=_error(exception),
                                    task_id=task_id or "", worker=_worker(sender))
    except Exception:  # noqa: BLE001
        log.exception("Could not queue the alert for %s[%s]", sender.name, task_id)
