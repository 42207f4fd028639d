from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TaskRun(models.Model):
    """One run of a task that Celery beat schedules, written by the run itself (ops/task_signals.py).

    The admin's Background work page reads each beat entry's last run, success and failure from
    these rows; a worker that died mid-run leaves its row `running`, and the page flags the entry
    once it has not succeeded for twice its period.
    """

    class State(models.TextChoices):
        RUNNING = "running", pgettext_lazy("task run", "Running")
        SUCCEEDED = "succeeded", pgettext_lazy("task run", "Succeeded")
        FAILED = "failed", pgettext_lazy("task run", "Failed")
        RETRYING = "retrying", pgettext_lazy("task run", "Failed, retry queued")

    task_name = models.CharField(_("task"), max_length=200)
    beat_entry = models.CharField(
        _("beat entry"), max_length=100, help_text=_("The entry of leadsgroups/beat.py that schedules the task.")
    )
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RUNNING)
    error = models.TextField(_("error"), blank=True, help_text=_("The exception, for a failed run."))
    worker = models.CharField(_("worker"), max_length=200, blank=True, help_text=_("The worker's host name."))

    class Meta:
        verbose_name = _("task run")
        verbose_name_plural = _("background work")  # the admin's page: every beat entry, then every run
        ordering = ["-started_at", "-pk"]
        indexes = [
            # The Background work page: each entry's latest run, success and failure.
            models.Index(fields=["beat_entry", "state", "started_at"], name="ops_taskrun_entry_state"),
            models.Index(fields=["started_at"], name="ops_taskrun_started"),  # the list, and pruning
        ]

    def __str__(self) -> str:
        return f"{self.beat_entry} at {self.started_at:%Y-%m-%d %H:%M:%S}: {self.get_state_display()}"

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None


class TaskAlert(models.Model):
    """When the admins were last emailed about a task's failure: at most one alert per task an hour."""

    task_name = models.CharField(_("task"), max_length=200, unique=True)
    last_sent_at = models.DateTimeField(_("last alert"), null=True, blank=True)
    failures_since = models.PositiveIntegerField(
        _("failures since"), default=0,
        help_text=_("Failures not alerted since the last alert (the next alert counts them)."),
    )

    class Meta:
        verbose_name = _("task alert")
        verbose_name_plural = _("task alerts")

    def __str__(self) -> str:
        return self.task_name
