"""Writes of the operations app: task runs, failure alerts, and their pruning."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from leadsgroups.i18n import language
from members.models import OutboundEmail
from members.outbox import email_queue
from ops.models import TaskAlert, TaskRun

log = logging.getLogger(__name__)

ALERT_INTERVAL = timedelta(hours=1)
PRUNE_BATCH = 5_000


def task_run_start(*, task_name: str, beat_entry: str, task_id: str, worker: str) -> TaskRun:
    return TaskRun.objects.create(task_name=task_name, beat_entry=beat_entry, task_id=task_id or "", worker=worker)


def task_run_finish(*, run_id: int, state: str, error: str = "") -> None:
    TaskRun.objects.filter(pk=run_id).update(state=state, finished_at=timezone.now(), error=error[:5000])


def task_failure_alert(
    *, task_name: str, beat_entry: str, error: str, task_id: str, worker: str, now: datetime | None = None
) -> list[OutboundEmail]:
    """Email the ADMINS, through the outbox, that a beat task failed: at most once an hour per task.

    The hour is claimed with a conditional UPDATE on the task's one TaskAlert row, so two workers
    failing the same task at once send one alert; the failures in between are counted for the next.
    """
    admins = [address for _, address in settings.ADMINS]
    if not admins:
        return []
    now = now or timezone.now()
    with transaction.atomic():
        alert, _created = TaskAlert.objects.get_or_create(task_name=task_name)
        claimed = (
            TaskAlert.objects.filter(pk=alert.pk)
            .filter(Q(last_sent_at__isnull=True) | Q(last_sent_at__lte=now - ALERT_INTERVAL))
            .update(last_sent_at=now, failures_since=0)
        )
        if not claimed:
            TaskAlert.objects.filter(pk=alert.pk).update(failures_since=F("failures_since") + 1)
            return []
        with language(None):  # the ADMINS are addresses, not accounts: the site's language
            subject = f"[{settings.ORGANISATION_NAME}] " + _("Background task failed: %(entry)s") % {"entry": beat_entry}
            body = _alert_body(task_name=task_name, beat_entry=beat_entry, error=error, task_id=task_id,
                               worker=worker, now=now, failures_since=alert.failures_since)
        return [email_queue(kind=OutboundEmail.Kind.ALERT, to=to, subject=subject, body=body) for to in admins]


def _alert_body(*, task_name, beat_entry, error, task_id, worker, now, failures_since) -> str:
    page = settings.SITE_URL + reverse("admin:ops_taskrun_changelist")
    when = f"{now:%Y-%m-%d %H:%M:%S}"  # a log's time, to search the logs with
    params = {"entry": beat_entry, "task": task_name, "when": when, "worker": worker}
    lines = [
        (_("The background task %(entry)s (%(task)s) failed at %(when)s UTC on %(worker)s.") if worker
         else _("The background task %(entry)s (%(task)s) failed at %(when)s UTC.")) % params,
        "",
        error,
        "",
        _("Task id: %(id)s (its log lines carry it as task_id).") % {"id": task_id},
    ]
    if failures_since:
        lines.append(ngettext("It also failed %(n)d more time since the previous alert.",
                              "It also failed %(n)d more times since the previous alert.", failures_since)
                     % {"n": failures_since})
    lines += [
        "",
        _("Every run, and when each task last succeeded: %(page)s") % {"page": page},
        _("Another failure of this task within the hour is not emailed; it is listed there."),
    ]
    return "\n".join(lines)


def task_runs_prune(*, now: datetime | None = None, names=None) -> int:
    """Delete runs older than TASK_RUN_RETENTION_DAYS, a batch per transaction; each beat entry's
    latest success and failure stay, so the page still says when an entry last ran however long ago."""
    from leadsgroups.celery import app
    from ops.selectors import task_runs_latest_ids

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.TASK_RUN_RETENTION_DAYS)
    keep = task_runs_latest_ids(names=list(names or app.conf.beat_schedule))
    old = TaskRun.objects.filter(started_at__lt=cutoff).exclude(pk__in=keep).order_by("started_at", "pk")
    deleted = 0
    while ids := list(old.values_list("pk", flat=True)[:PRUNE_BATCH]):
        with transaction.atomic():
            deleted += TaskRun.objects.filter(pk__in=ids).delete()[0]
    return deleted
