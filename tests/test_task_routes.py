"""Queues per kind of work, as the running Celery app routes them (settings.CELERY_TASK_ROUTES)."""

import pytest
from django.conf import settings

from leadsgroups.celery import app

ROUTES = [
    ("enforcement.tasks.enforcement_sweep", "enforcement"),
    ("enforcement.tasks.chapter_enforce_task", "enforcement"),
    ("enforcement.tasks.probations_lift_sweep", "enforcement"),
    ("enforcement.tasks.probation_lift_task", "enforcement"),
    ("enforcement.tasks.leave_status_sweep", "enforcement"),
    ("enforcement.tasks.leave_status_sync_task", "enforcement"),
    ("enforcement.tasks.reminders_sweep", "scheduling"),
    ("enforcement.tasks.chapter_reminders_task", "scheduling"),
    ("enforcement.tasks.reminder_email_send_task", "email"),
    ("members.tasks.outbound_email_send_task", "email"),
    ("members.tasks.outbound_emails_send_task", "email"),
    ("members.tasks.outbox_sweep", "email"),
    ("members.tasks.notifications_send_pending", "email"),
    ("members.tasks.retention_prune_task", "celery"),
    ("meetings.tasks.meetings_schedule_all", "scheduling"),
    ("meetings.tasks.meetings_schedule_task", "scheduling"),
    ("meetings.tasks.meeting_visitor_followups_task", "scheduling"),
    ("referrals.tasks.referrals_stale_sweep", "celery"),
    ("referrals.tasks.referrals_mark_stale_task", "celery"),
]


@pytest.mark.parametrize("task,queue", ROUTES)
def test_the_app_routes_each_task_to_its_queue(task, queue):
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_every_task_of_the_project_goes_to_a_queue_a_worker_consumes():
    app.loader.import_default_modules()
    ours = [name for name in app.tasks if name.split(".")[0] in {"members", "chapters", "meetings", "referrals", "enforcement"}]
    assert len(ours) >= len(ROUTES)
    queues = {name: app.amqp.router.route({}, name)["queue"].name for name in ours}
    assert set(queues.values()) <= set(settings.WORKER_QUEUES), queues


def test_a_task_sent_goes_out_on_its_queue(monkeypatch):
    """What `.delay()` hands the broker: the routing of the task's own module, not the default queue."""
    from enforcement.tasks import enforcement_sweep

    sent = {}

    def publish(self, *args, **kwargs):
        sent.update(kwargs)

    monkeypatch.setattr(type(app.amqp.producer_pool.create_producer()), "publish", publish)
    enforcement_sweep.delay()
    assert sent["routing_key"] == "enforcement"


def test_quorum_queues_are_declared_on_request(monkeypatch):
    import importlib

    from leadsgroups import settings as settings_module

    monkeypatch.setenv("RABBITMQ_QUORUM_QUEUES", "1")
    try:
        reloaded = importlib.reload(settings_module)
        assert {q.name: q.queue_arguments for q in reloaded.CELERY_TASK_QUEUES} == {
            name: {"x-queue-type": "quorum"} for name in settings.WORKER_QUEUES
        }
    finally:
        monkeypatch.delenv("RABBITMQ_QUORUM_QUEUES")
        importlib.reload(settings_module)
    assert all(q.queue_arguments is None for q in settings_module.CELERY_TASK_QUEUES)
