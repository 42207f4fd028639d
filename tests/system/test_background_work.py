"""A real worker records each beat run for the Background work page, and logs JSON lines with task and request ids."""

import json

import pytest

from leadsgroups.beat import BEAT_SCHEDULE
from ops.models import TaskRun
from tests.services import wait_for


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_records_every_beat_entrys_run_and_logs_json(system):
    system.env["BEAT_EVERY_SECONDS"] = "2"
    worker = system.worker()
    system.beat()

    def every_entry_succeeded():
        done = set(TaskRun.objects.filter(state=TaskRun.State.SUCCEEDED).values_list("beat_entry", flat=True))
        return done >= set(BEAT_SCHEDULE)

    assert wait_for(every_entry_succeeded, timeout=90), system.logs()
    run = TaskRun.objects.filter(state=TaskRun.State.SUCCEEDED).first()
    assert run.worker.startswith("worker-") and run.finished_at >= run.started_at and run.task_id

    records = [json.loads(line) for line in worker.output().splitlines() if line.startswith("{")]
    done = [r for r in records if r["message"].startswith(f"Task {run.task_name}[{run.task_id}] succeeded")]
    assert done, system.logs()
    # A task's lines carry its name and id; beat queued it outside any request, so its id is the request id.
    assert (done[0]["task"], done[0]["task_id"], done[0]["request_id"]) == (run.task_name, run.task_id, run.task_id)
    assert {"time", "level", "logger", "message"} <= set(done[0])
