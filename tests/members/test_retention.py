"""Retention: notifications and sent emails past their retention are deleted in batches; failed emails stay."""

from datetime import UTC, datetime, timedelta

import pytest

from leadsgroups.celery import app
from members import retention
from members.models import Notification, OutboundEmail
from members.tasks import retention_prune_task
from tests.factories import UserFactory

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def person(db, settings):
    settings.NOTIFICATION_RETENTION_DAYS = 365
    settings.NOTIFICATION_UNREAD_RETENTION_DAYS = 730
    settings.OUTBOX_SENT_RETENTION_DAYS = 90
    return UserFactory()


def _notice(user, *, read: bool, title: str = "A notice") -> Notification:
    from django.utils import timezone

    return Notification.objects.create(
        user=user, kind="fine", title=title, email_wanted=False, read_at=timezone.now() if read else None
    )


def _email(status: str, **kwargs) -> OutboundEmail:
    from django.utils import timezone

    sent_at = timezone.now() if status == "sent" else None
    return OutboundEmail.objects.create(kind="account", to="a@example.com", subject="S", body="B", status=status,
                                        sent_at=sent_at, **kwargs)


def test_read_notifications_go_after_a_year_unread_ones_after_two(person, time_machine):
    time_machine.move_to(START)
    read, unread = _notice(person, read=True), _notice(person, read=False)
    time_machine.move_to(START + timedelta(days=364))
    assert retention.retention_prune().notifications == 0
    time_machine.move_to(START + timedelta(days=366))
    assert retention.retention_prune().notifications == 1
    assert list(Notification.objects.values_list("pk", flat=True)) == [unread.pk]
    time_machine.move_to(START + timedelta(days=731))
    assert retention.retention_prune().notifications == 1
    assert not Notification.objects.filter(pk__in=[read.pk, unread.pk]).exists()


def test_unread_retention_is_never_shorter_than_read(person, settings, time_machine):
    settings.NOTIFICATION_UNREAD_RETENTION_DAYS = 30  # misconfigured: read ones' 365 days still apply
    time_machine.move_to(START)
    _notice(person, read=False)
    time_machine.move_to(START + timedelta(days=100))
    assert retention.retention_prune().notifications == 0


def test_sent_emails_go_after_90_days_failed_and_waiting_ones_stay(person, time_machine):
    time_machine.move_to(START)
    sent = _email("sent")
    failed, queued = _email("failed"), _email("queued")
    cancelled = _email("cancelled")
    time_machine.move_to(START + timedelta(days=89))
    assert retention.retention_prune().emails == 0
    time_machine.move_to(START + timedelta(days=1000))
    assert retention.retention_prune().emails == 2
    assert set(OutboundEmail.objects.values_list("pk", flat=True)) == {failed.pk, queued.pk}
    assert not OutboundEmail.objects.filter(pk__in=[sent.pk, cancelled.pk]).exists()


def test_a_notification_whose_email_failed_is_kept_with_its_email(person, time_machine):
    time_machine.move_to(START)
    notice = _notice(person, read=True)
    failed = _email("failed", notification=notice)
    time_machine.move_to(START + timedelta(days=1000))
    assert retention.retention_prune() == retention.Pruned(0, 0)
    assert Notification.objects.filter(pk=notice.pk).exists() and OutboundEmail.objects.filter(pk=failed.pk).exists()


def test_a_cancelled_email_of_a_kept_notification_is_not_pruned(person, time_machine):
    """Without any email row, the outbox's backfill would queue the notice's email again."""
    time_machine.move_to(START)
    notice = _notice(person, read=False)
    cancelled = _email("cancelled", notification=notice)
    time_machine.move_to(START + timedelta(days=400))
    retention.retention_prune()
    assert OutboundEmail.objects.filter(pk=cancelled.pk).exists()


def test_pruning_goes_in_batches_and_a_rerun_finds_nothing(person, time_machine, django_assert_max_num_queries):
    time_machine.move_to(START)
    for i in range(7):
        _notice(person, read=True, title=f"Notice {i}")
    time_machine.move_to(START + timedelta(days=400))
    assert retention.retention_prune(batch_size=3, max_batches=2).notifications == 6  # stopped after two batches
    assert Notification.objects.count() == 1
    assert retention.retention_prune(batch_size=3).notifications == 1
    with django_assert_max_num_queries(2):  # one look for each table, nothing to delete
        assert retention.retention_prune(batch_size=3) == retention.Pruned(0, 0)


def test_the_task_prunes_and_reports(person, time_machine):
    time_machine.move_to(START)
    _notice(person, read=True)
    _email("sent")
    time_machine.move_to(START + timedelta(days=400))
    assert retention_prune_task() == {"notifications": 1, "emails": 1}
    assert retention_prune_task() == {"notifications": 0, "emails": 0}


def test_the_running_celery_app_schedules_the_prune_daily():
    entry = app.conf.beat_schedule["retention-prune"]
    assert entry["task"] == "members.tasks.retention_prune_task"
    assert entry["schedule"].hour == {3} and entry["schedule"].minute == {40}
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
