"""Deliveries: a row first, sent by a task to a real receiver, signed, retried with backoff, sent again on request."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from referrals import services as referral_services
from webhooks import delivery, signing, tasks
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def _give(p):
    return referral_services.referral_give(
        chapter=p.chapter, giver=p.member, receiver=p.member2, kind="outside", prospect_name="Petra Prospect",
        prospect_email="petra@prospect.example", prospect_phone="+44 7700 900123", consent="stated", temperature=4,
        notes="Call her after ten",
    )


def test_a_referral_writes_its_delivery_in_its_transaction_and_queues_the_send_on_commit(
    personas, endpoint, django_capture_on_commit_callbacks
):
    with mock.patch("webhooks.tasks.webhook_delivery_send_task.delay") as send:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            referral = _give(personas)
        d = WebhookDelivery.objects.get()  # the row exists before anything is sent
        assert (d.status, d.attempts, d.event, d.dedupe_key) == ("queued", 0, "referral.given", f"referral.given:{referral.pk}")
        send.assert_not_called()
        for callback in callbacks:
            callback()
    send.assert_called_once_with(d.pk)


def test_the_receiver_gets_a_signed_body_it_can_verify(personas, endpoint, receiver):
    referral = _give(personas)
    d = WebhookDelivery.objects.get()
    assert tasks.webhook_delivery_send_task(d.pk) is True
    [got] = receiver.requests
    headers = got["headers"]
    assert got["path"] == "/hooks/leadsgroups"
    assert headers["X-Leadsgroups-Event"] == "referral.given"
    assert headers["X-Leadsgroups-Delivery"] == str(d.delivery_id)
    assert headers["X-Leadsgroups-Signature"].startswith("sha256=")
    assert signing.signature_verify(secret="whsec_test-secret", headers=headers, body=got["body"])
    assert not signing.signature_verify(secret="whsec_another", headers=headers, body=got["body"])
    assert not signing.signature_verify(secret="whsec_test-secret", headers=headers, body=got["body"] + b" ")
    body = json.loads(got["body"])
    assert body["id"] == str(d.delivery_id) and body["event"] == "referral.given"
    assert body["data"]["referral"]["id"] == referral.pk
    assert body["data"]["referral"]["giver"] == {"membership_id": personas.member.pk, "name": "Mona Member"}
    assert body["data"]["chapter"] == {"slug": "home-chapter", "name": "Home Chapter"}
    d.refresh_from_db()
    assert (d.status, d.attempts, d.last_response_code) == ("sent", 1, 204) and d.sent_at is not None


def test_no_prospect_contact_data_leaves_in_a_payload(personas, endpoint, receiver):
    _give(personas)
    tasks.webhook_delivery_send_task(WebhookDelivery.objects.get().pk)
    sent = receiver.requests[0]["body"].decode()
    for secret in ("Petra", "petra@prospect.example", "7700 900123", "Call her"):
        assert secret not in sent
    assert "prospect" not in json.dumps(WebhookDelivery.objects.get().payload)


def test_a_replayed_request_is_refused_by_the_receivers_check_once_its_timestamp_is_old():
    body = b'{"event":"referral.given"}'
    headers = signing.signed_headers(secret="s", event="referral.given", delivery_id="x", body=body, now=1_000_000)
    assert signing.signature_verify(secret="s", headers=headers, body=body, now=1_000_100)
    assert not signing.signature_verify(secret="s", headers=headers, body=body, now=1_000_000 + 301)


def test_a_failed_try_waits_and_the_waits_double(personas, endpoint, receiver, time_machine, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    receiver.answers = [500, 503, 502, 500]
    _give(personas)
    pk = WebhookDelivery.objects.get().pk
    waits = []
    for _ in range(3):
        result = delivery.delivery_send(delivery_id=pk)
        d = WebhookDelivery.objects.get(pk=pk)
        assert not result.sent and d.status == "queued" and d.last_error.startswith("HTTP 5")
        waits.append(d.next_attempt_at - timezone.now())
        assert delivery.delivery_send(delivery_id=pk).sent is False  # not due yet: nothing is sent
        time_machine.move_to(d.next_attempt_at, tick=False)
    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    delivery.delivery_send(delivery_id=pk)  # the 4th and last try
    d = WebhookDelivery.objects.get(pk=pk)
    assert (d.status, d.attempts, d.last_response_code) == ("failed", 4, 500)
    assert len(receiver.requests) == 4
    # Every try was signed afresh, each body the same bytes.
    assert len({r["body"] for r in receiver.requests}) == 1


def test_a_receiver_that_is_down_is_a_failed_try_with_its_error(personas, endpoint, receiver):
    endpoint.url = "http://127.0.0.1:9/nothing-listens-here"
    endpoint.save()
    _give(personas)
    pk = WebhookDelivery.objects.get().pk
    result = delivery.delivery_send(delivery_id=pk)
    d = WebhookDelivery.objects.get(pk=pk)
    assert result.retry_at is not None and d.status == "queued" and "Connection" in d.last_error
    assert d.last_response_code is None


def test_the_task_queues_its_next_try_for_when_the_wait_is_over(personas, endpoint, receiver):
    receiver.answers = [500]
    _give(personas)
    pk = WebhookDelivery.objects.get().pk
    with mock.patch("webhooks.tasks.webhook_delivery_send_task.apply_async") as later:
        assert tasks.webhook_delivery_send_task(pk) is False
    eta = later.call_args.kwargs["eta"]
    assert later.call_args.args == ((pk,),) and eta == WebhookDelivery.objects.get(pk=pk).next_attempt_at


def test_an_address_that_now_resolves_privately_fails_at_once(personas, endpoint, receiver, settings):
    """Checked again at send time: a host that turned private (DNS rebinding) is never connected to."""
    settings.DEBUG = False  # production: loopback is refused
    _give(personas)
    pk = WebhookDelivery.objects.get().pk
    assert delivery.delivery_send(delivery_id=pk).retry_at is None
    d = WebhookDelivery.objects.get(pk=pk)
    assert d.status == "failed" and "private or local address" in d.last_error
    assert receiver.requests == []


def test_two_workers_never_both_send_a_delivery(personas, endpoint, receiver):
    _give(personas)
    pk = WebhookDelivery.objects.get().pk
    assert delivery.delivery_claim(delivery_id=pk) is not None
    assert delivery.delivery_send(delivery_id=pk).sent is False  # the other worker finds it taken
    assert receiver.requests == []


def test_a_claim_of_a_worker_that_died_is_taken_over(personas, endpoint, receiver, time_machine, settings):
    _give(personas)
    pk = WebhookDelivery.objects.get().pk
    delivery.delivery_claim(delivery_id=pk)
    assert delivery.deliveries_due_ids() == []
    time_machine.move_to(timezone.now() + settings.OUTBOX_CLAIM_TIMEOUT + timedelta(seconds=1), tick=False)
    assert delivery.deliveries_due_ids() == [pk]
    assert delivery.delivery_send(delivery_id=pk).sent is True


def test_the_sweep_sends_what_is_due(personas, endpoint):
    _give(personas)
    pk = WebhookDelivery.objects.get().pk
    with mock.patch("webhooks.tasks.webhook_delivery_send_task.delay") as send:
        assert tasks.webhooks_sweep() == 1
    send.assert_called_once_with(pk)


def test_a_paused_endpoint_sends_nothing_and_says_why(personas, endpoint, receiver):
    _give(personas)
    endpoint.is_active = False
    endpoint.save()
    pk = WebhookDelivery.objects.get().pk
    assert delivery.delivery_send(delivery_id=pk).sent is False
    d = WebhookDelivery.objects.get(pk=pk)
    assert d.status == "failed" and d.last_error == "The endpoint is paused."
    assert receiver.requests == []


def test_a_delivery_sent_again_carries_the_same_id_and_body(personas, endpoint, receiver, django_capture_on_commit_callbacks):
    from webhooks.services import delivery_resend

    _give(personas)
    d = WebhookDelivery.objects.get()
    tasks.webhook_delivery_send_task(d.pk)
    with mock.patch("webhooks.tasks.webhook_delivery_send_task.delay", side_effect=tasks.webhook_delivery_send_task):
        with django_capture_on_commit_callbacks(execute=True):
            delivery_resend(delivery=d, by=personas.president.user)  # the send is queued once this commits
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first["body"] == second["body"]
    assert first["headers"]["X-Leadsgroups-Delivery"] == second["headers"]["X-Leadsgroups-Delivery"]
    d.refresh_from_db()
    assert (d.status, d.attempts) == ("sent", 1)


def test_a_delivery_on_its_way_cannot_be_sent_again(personas, endpoint):
    from django.core.exceptions import ValidationError

    from webhooks.services import delivery_resend

    _give(personas)
    with pytest.raises(ValidationError, match="still on its way"):
        delivery_resend(delivery=WebhookDelivery.objects.get(), by=personas.president.user)
