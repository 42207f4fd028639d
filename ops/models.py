from django.db import models
from django.utils import timezone


class TaskRun(models.Model):
    """One run of a task that Celery beat schedules, written by the run itself (ops/task_signals.py).

    The admin's Background work page reads each beat entry's last run, success and failure from
    these rows; a worker that died mid-run leaves its row `running`, and the page flags the entry
    once it has not succeeded for twice its period.
    """

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        RETRYING = "retrying", "Failed, retry queued"

    task_name = models.CharField(max_length=200)
    beat_entry = models.CharField(max_length=100, help_text="The entry of leadsgroups/beat.py that schedules the task.")
    task_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    error = models.TextField(blank=True, help_text="The exception, for a failed run.")
    worker = models.CharField(max_length=200, blank=True, help_text="The worker's host name.")

    class Meta:
        verbose_name = "task run"
        verbose_name_plural = "background work"  # the admin's page: every beat entry, then every run
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

    task_name = models.CharField(max_length=200, unique=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    failures_since = models.PositiveIntegerField(
        default=0, help_text="Failures not alerted since the last alert (the next alert counts them)."
    )

    def __str__(self) -> str:
        return self.task_name
