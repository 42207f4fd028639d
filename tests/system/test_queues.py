"""Workers per queue: a routed task waits in its own queue until a worker consuming that queue runs it."""

import pytest

from meetings.models import Meeting
from meetings.tasks import meetings_schedule_task
from tests.factories import ChapterFactory
from tests.services import broker, wait_for


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_scheduling_task_is_run_only_by_a_worker_of_the_scheduling_queue(system):
    chapter = ChapterFactory(timezone="Europe/Berlin")  # active, weekly: scheduling writes its meetings
    queues = broker()
    meetings_schedule_task.delay(chapter.pk)
    assert wait_for(lambda: queues.ready("scheduling") == 1, timeout=10), "the task is not in the scheduling queue"
    assert [queues.ready(q) for q in ("celery", "enforcement", "email")] == [0, 0, 0]

    others = system.worker(queues="celery,enforcement,email", name="others")
    assert wait_for(lambda: " ready." in others.output(), timeout=60), system.logs()
    assert queues.ready("scheduling") == 1  # the other workers leave it alone
    assert not Meeting.objects.filter(chapter=chapter).exists()

    scheduler = system.worker(queues="scheduling", name="scheduling")
    assert wait_for(lambda: Meeting.objects.filter(chapter=chapter).exists(), timeout=60), system.logs()
    ran = "Task meetings.tasks.meetings_schedule_task["
    assert wait_for(lambda: ran in scheduler.output(), timeout=30), system.logs()
    assert "Received task: meetings.tasks.meetings_schedule_task" not in others.output()
