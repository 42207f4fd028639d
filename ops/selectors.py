from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.db.models import Max, Min, Q
from django.utils import timezone

from ops.beat_timing import beat_period, beat_timing_text
from ops.models import TaskRun

State = TaskRun.State


@dataclass
class BeatEntryStatus:
    name: str
    task: str
    timing: str
    period: timedelta
    last_run: TaskRun | None
    last_success: TaskRun | None
    last_failure: TaskRun | None
    overdue: bool  # no success for twice its period (or since runs were first recorded)


@dataclass
class BackgroundWork:
    entries: list[BeatEntryStatus]
    recorded_since: datetime | None  # the oldest run kept: before it, nothing is known

    @property
    def overdue(self) -> list[BeatEntryStatus]:
        return [e for e in self.entries if e.overdue]


def _latest_per_entry(names) -> dict[str, dict]:
    """Per beat entry, when its latest run, success and failure started (one grouped query)."""
    rows = (
        TaskRun.objects.filter(beat_entry__in=names)
        .values("beat_entry")
        .annotate(run=Max("started_at"), success=Max("started_at", filter=Q(state=State.SUCCEEDED)),
                  failure=Max("started_at", filter=Q(state=State.FAILED)))
        .order_by()
    )
    return {row["beat_entry"]: row for row in rows}


def task_runs_latest_ids(*, names) -> set[int]:
    """The rows of each entry's latest success and failure: retention keeps them whatever their age."""
    latest = _latest_per_entry(names)
    wanted = [Q(beat_entry=name, started_at=row[kind], state=state)
              for name, row in latest.items()
              for kind, state in (("success", State.SUCCEEDED), ("failure", State.FAILED)) if row[kind]]
    if not wanted:
        return set()
    return set(TaskRun.objects.filter(reduce(or_, wanted)).values_list("pk", flat=True))


def background_work(*, beat_schedule: dict, now: datetime | None = None) -> BackgroundWork:
    """Each beat entry with its last run, success and failure: three queries whatever the entries."""
    now = now or timezone.now()
    latest = _latest_per_entry(list(beat_schedule))
    wanted = [Q(beat_entry=name, started_at=moment)
              for name, row in latest.items() for moment in {row["run"], row["success"], row["failure"]} if moment]
    runs = {}
    if wanted:
        for run in TaskRun.objects.filter(reduce(or_, wanted)).order_by("pk"):
            runs[(run.beat_entry, run.started_at, run.state)] = run
            runs[(run.beat_entry, run.started_at)] = run
    recorded_since = TaskRun.objects.aggregate(first=Min("started_at"))["first"]

    entries = []
    for name, entry in beat_schedule.items():
        row = latest.get(name, {})
        last_run = runs.get((name, row.get("run")))
        last_success = runs.get((name, row.get("success"), State.SUCCEEDED))
        last_failure = runs.get((name, row.get("failure"), State.FAILED))
        period = beat_period(entry["schedule"])
        if last_success is not None:
            reference = last_success.finished_at or last_success.started_at
        else:
            reference = recorded_since
        entries.append(BeatEntryStatus(
            name=name, task=entry["task"], timing=beat_timing_text(entry["schedule"]), period=period,
            last_run=last_run, last_success=last_success, last_failure=last_failure,
            overdue=reference is not None and now - reference > 2 * period,
        ))
    return BackgroundWork(entries=entries, recorded_since=recorded_since)
