"""The enforcement sweep: judge the chapters that are due, in batches.

A chapter is due when its evidence changed since it was last judged (`dirty_since`) or when time
alone may change the outcome (`next_due_on`, computed by each evaluation, has come in the
chapter's timezone); a chapter never judged is due too. One query finds them all. A due chapter
whose evidence did not change is judged incrementally: only the meetings and quota periods that
came due after its last evaluation (`evaluation.chapters_evaluate`, `judged_after`); a dirty one
is judged in full, as `services.chapter_enforce` does after a meeting closes.

Each batch is one transaction holding its chapters' row locks (a per-chapter run waits, then finds
everything done), and loads each kind of record for the whole batch in one query.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chapters.models import Chapter
from enforcement.evaluation import chapters_evaluate
from enforcement.models import SweepRun
from enforcement.periods import local_today
from enforcement.services import EnforceResult, evaluation_states_record, evaluations_apply


def batch_size() -> int:
    return getattr(settings, "ENFORCEMENT_SWEEP_BATCH", 100)


@dataclass
class BatchResult:
    chapters: int = 0
    results: list[EnforceResult] = field(default_factory=list)

    @property
    def counts(self) -> dict:
        return {
            "chapters": self.chapters,
            "fines": sum(len(r.fines) for r in self.results),
            "withdrawn": sum(len(r.withdrawn) for r in self.results),
            "cases": sum(len(r.cases) for r in self.results),
        }


def chapters_due(*, now: datetime) -> list[tuple[date, list[int]]]:
    """Active chapters due on their own local day at `now`, grouped by that day: [(day, ids)]. One query.

    The query keeps chapters never judged, dirty ones, and those due by the latest local date
    anywhere (UTC+14); each is then checked against its own local day.
    """
    latest = (now + timedelta(hours=14)).astimezone(zoneinfo.ZoneInfo("UTC")).date()
    rows = (
        Chapter.objects.filter(status=Chapter.Status.ACTIVE)
        .filter(Q(evaluation_state__isnull=True) | Q(evaluation_state__dirty_since__isnull=False)
                | Q(evaluation_state__next_due_on__lte=latest)
                | Q(evaluation_state__evaluated_on__isnull=True))
        .order_by("pk")
        .values_list("pk", "timezone", "evaluation_state__next_due_on", "evaluation_state__dirty_since",
                     "evaluation_state__evaluated_on")
    )
    by_day: dict[date, list[int]] = {}
    for pk, tz, next_due_on, dirty_since, evaluated_on in rows:
        today = local_today(zoneinfo.ZoneInfo(tz), now)
        if dirty_since is not None or evaluated_on is None or (next_due_on is not None and next_due_on <= today):
            by_day.setdefault(today, []).append(pk)
    return sorted(by_day.items())


def batches_due(*, now: datetime, size: int | None = None) -> list[tuple[date, list[int]]]:
    """The due chapters cut into batches of at most `size`, each of one local day."""
    size = size or batch_size()
    return [(day, ids[i:i + size]) for day, ids in chapters_due(now=now) for i in range(0, len(ids), size)]


def chapters_enforce(*, chapter_ids: list[int], today: date, now: datetime | None = None,
                     run: SweepRun | None = None, index: int = 0) -> BatchResult:
    """Judge a batch of chapters on local day `today` and write what it calls for; idempotent.

    A chapter judged already on `today` with no change of evidence since is skipped (a rerun of the
    batch, or a chapter judged at once after a meeting closed). A dirty or never-judged chapter is
    judged in full; any other only for what came due after its last evaluation.
    """
    now = now or timezone.now()
    out = BatchResult()
    with transaction.atomic():
        started = timezone.now()
        chapters = list(
            Chapter.objects.select_for_update(of=("self",)).filter(pk__in=chapter_ids).order_by("pk")
            .select_related("evaluation_state")
        )  # query: the batch's chapters, locked (in id order: no deadlock between batches)
        items = []
        for chapter in chapters:
            state = getattr(chapter, "evaluation_state", None)
            dirty = state is None or state.dirty_since is not None or state.evaluated_on is None
            if not dirty and state.evaluated_on >= today:
                continue  # judged on this day already, nothing changed since
            items.append((chapter, today, None if dirty else state.evaluated_on))
        evaluations = chapters_evaluate(items)
        out.results += evaluations_apply(evaluations=[evaluations[c.pk] for c, _, _ in items], now=now)
        evaluation_states_record(evaluations=[evaluations[c.pk] for c, _, _ in items], now=now, started=started)
        out.chapters = len(items)
        if run is not None:
            run_batch_done(run_id=run.pk, index=index, counts=out.counts)
    return out


def run_batch_done(*, run_id: int, index: int, counts: dict) -> None:
    """Count batch `index` of the run as done, once (call in the batch's transaction); the last one finishes the run."""
    run = SweepRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None or index in run.done_batches:
        return  # a rerun of a batch already counted
    run.done_batches = [*run.done_batches, index]
    run.batches_done = len(run.done_batches)
    for key in ("chapters", "fines", "withdrawn", "cases"):
        setattr(run, key, getattr(run, key) + counts[key])
    if run.batches_done >= run.batches and run.finished_at is None:
        run.finished_at = timezone.now()
    run.save(update_fields=["done_batches", "batches_done", "chapters", "fines", "withdrawn", "cases", "finished_at"])


def sweep_start(*, now: datetime | None = None, size: int | None = None) -> tuple[SweepRun, list[tuple[date, list[int]]]]:
    """Record a run and return its batches (the beat task sends one `enforce_batch` task each)."""
    now = now or timezone.now()
    batches = batches_due(now=now, size=size)
    run = SweepRun.objects.create(
        started_at=timezone.now(), batches=len(batches), finished_at=None if batches else timezone.now()
    )
    return run, batches


def sweep(now: datetime | None = None, *, size: int | None = None) -> dict:
    """Every due chapter, batch after batch, in this process; returns what was done.

    The same work as the beat task (`enforcement.tasks.enforcement_sweep`) without a worker: for the
    `enforce` command and the benchmark.
    """
    now = now or timezone.now()
    run, batches = sweep_start(now=now, size=size)
    for index, (day, ids) in enumerate(batches):
        chapters_enforce(chapter_ids=ids, today=day, now=now, run=run, index=index)
    run.refresh_from_db()
    return {"run": run.pk, "batches": run.batches, "chapters": run.chapters, "fines": run.fines,
            "withdrawn": run.withdrawn, "cases": run.cases}
