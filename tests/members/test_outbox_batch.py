"""Sends queued in batches (the sweep's thousands of notices): one task per batch, each email claimed
on its own, so a batch delivered twice or overtaken by the outbox sweep sends nothing twice, and a
broker outage leaves the rows for the sweep."""

from datetime import UTC, datetime
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from members.models import OutboundEmail
from members.outbox import email_queue, emails_send_queue
from members.tasks import outbound_email_send_task, outbound_emails_send_task, outbox_sweep
from tests.outbox import outbox_flush

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _emails(n):
    with transaction.atomic():
        return [email_queue(kind=OutboundEmail.Kind.NOTIFICATION, to=f"p{i}@example.com", subject=f"Notice {i}",
                            body="Hello", queue=False).pk for i in range(n)]


def test_one_task_per_batch_sends_each_email_once(db, clock, settings):
    settings.OUTBOX_SEND_BATCH = 2
    ids = _emails(5)
    with mock.patch.object(outbound_emails_send_task, "delay") as delay:
        emails_send_queue(email_ids=ids)
    assert [call.args[0] for call in delay.call_args_list] == [ids[0:2], ids[2:4], ids[4:5]]
    assert sum(outbound_emails_send_task(*call.args) for call in delay.call_args_list) == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"p{i}@example.com" for i in range(5))
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}


def test_a_rerun_or_the_outbox_sweep_sends_nothing_twice(db, clock):
    ids = _emails(3)
    assert outbound_emails_send_task(ids[:2]) == 2
    with mock.patch.object(outbound_email_send_task, "delay", side_effect=lambda pk: outbound_email_send_task(pk)):
        assert outbox_sweep() == 1  # the third only
    assert outbound_emails_send_task(ids) == 0  # delivered again: every row claimed already
    assert len(mail.outbox) == 3


def test_a_broker_outage_leaves_the_rows_for_the_outbox_sweep(db, clock):
    ids = _emails(3)
    with mock.patch.object(outbound_emails_send_task, "delay", side_effect=ConnectionError("broker down")):
        emails_send_queue(email_ids=ids)  # no exception: the run goes on
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"queued"}
    assert outbox_flush() == 3
    assert len(mail.outbox) == 3


def test_a_failed_send_in_a_batch_is_retried_alone(db, clock, settings):
    ids = _emails(2)
    settings.EMAIL_BACKEND = "tests.outbox.DownBackend"
    with mock.patch.object(outbound_email_send_task, "apply_async") as later:
        assert outbound_emails_send_task(ids) == 0
    assert sorted(call.args[0][0] for call in later.call_args_list) == ids
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"queued"}
