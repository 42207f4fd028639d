"""The daily digest: one outbox email per person, grouped by chapter, in their language, each notice once."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core import mail

from leadsgroups.celery import app
from members.digest import digest_user_ids, notification_digest_send, notification_digests_send
from members.models import Notification, OutboundEmail
from members.notifications import notification_send, notifications_mark_read
from members.tasks import notification_digests_send_task, notification_digests_sweep
from tests.factories import ChapterFactory
from tests.outbox import outbox_flush

MORNING = datetime(2026, 3, 10, 6, 30, tzinfo=UTC)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(MORNING - timedelta(hours=5), tick=False)
    return time_machine


def _step(user, title, chapter=None, kind="referral_updated"):
    return notification_send(user=user, kind=kind, title=title, chapter=chapter, url="/somewhere/")


def test_one_email_lists_the_notices_by_chapter(personas, frozen):
    user = personas.member.user
    zed = ChapterFactory(name="Zed Chapter")
    _step(user, "Zed step", zed)
    _step(user, "Home step one", personas.chapter)
    _step(user, "Home step two", personas.chapter, kind="thank_you")
    _step(user, "No chapter step")
    frozen.move_to(MORNING)
    email = notification_digest_send(user=user)
    assert (email.kind, email.to, email.status) == ("digest", user.email, "queued")
    assert email.subject.endswith("Your daily digest: 4 notices")
    body = email.body
    assert body.index("== Home Chapter ==") < body.index("Home step one") < body.index("Home step two")
    assert body.index("Home step two") < body.index("== Zed Chapter ==") < body.index("Zed step")
    assert body.index("Zed step") < body.index("== General ==") < body.index("No chapter step")
    n = Notification.objects.get(title="Zed step")
    assert f"http://127.0.0.1:8000/notifications/{n.pk}/" in body or f"/notifications/{n.pk}/" in body
    assert f'/notifications/{n.pk}/">Zed step</a>' in email.html
    assert "/profile/notifications/" in body
    assert Notification.objects.filter(digest_sent_at=MORNING).count() == 4


def test_the_digest_goes_out_through_the_outbox_with_its_unsubscribe(personas, frozen):
    _step(personas.member.user, "A step", personas.chapter)
    frozen.move_to(MORNING)
    notification_digest_send(user=personas.member.user)
    assert outbox_flush() == 1
    [message] = mail.outbox
    assert "/notifications/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_each_notice_goes_in_one_digest_only(personas, frozen):
    user = personas.member.user
    _step(user, "A step", personas.chapter)
    frozen.move_to(MORNING)
    assert notification_digest_send(user=user) is not None
    assert notification_digest_send(user=user) is None  # a rerun, or a second worker: nothing left
    assert notification_digests_send(user_ids=[user.pk, user.pk]) == 0
    assert OutboundEmail.objects.filter(kind="digest").count() == 1
    _step(user, "The next day's step", personas.chapter)
    frozen.move_to(MORNING + timedelta(days=1))
    email = notification_digest_send(user=user)
    assert "The next day's step" in email.body and "A step" not in email.body


def test_a_notice_claimed_by_another_worker_is_not_sent_again(personas, frozen):
    user = personas.member.user
    first = _step(user, "Taken", personas.chapter)
    _step(user, "Left", personas.chapter)
    frozen.move_to(MORNING)
    # Another worker claimed one row between our select and our update.
    Notification.objects.filter(pk=first.pk).update(digest_sent_at=MORNING - timedelta(seconds=1))
    email = notification_digest_send(user=user)
    assert "Left" in email.body and "Taken" not in email.body


def test_notices_read_in_the_app_before_the_digest_are_left_out(personas, frozen):
    user = personas.member.user
    read = _step(user, "Seen already", personas.chapter)
    _step(user, "Not seen", personas.chapter)
    notifications_mark_read(user=user, ids=[read.pk])
    frozen.move_to(MORNING)
    email = notification_digest_send(user=user)
    assert "Not seen" in email.body and "Seen already" not in email.body
    assert email.subject.endswith("Your daily digest: 1 notice")


def test_nobody_gets_an_empty_digest(personas, frozen):
    user = personas.member.user
    notification_send(user=user, kind="fine", title="A fine")  # emailed at once, not in the digest
    frozen.move_to(MORNING)
    assert digest_user_ids() == []
    assert notification_digest_send(user=user) is None
    assert not OutboundEmail.objects.filter(kind="digest").exists()


def test_the_digest_is_in_the_persons_language(personas, frozen):
    user = personas.member.user
    user.language = "de"
    user.save(update_fields=["language"])
    _step(user, "Schritt", personas.chapter)
    frozen.move_to(MORNING)
    email = notification_digest_send(user=user)
    assert "Ihre tägliche Übersicht: 1 Benachrichtigung" in email.subject
    assert "Alle Ihre Benachrichtigungen" in email.html


def test_the_sweep_fans_out_batches_of_people(personas, frozen):
    _step(personas.member.user, "A", personas.chapter)
    _step(personas.member2.user, "B", personas.chapter)
    frozen.move_to(MORNING)
    with mock.patch("members.tasks.notification_digests_send_task.delay") as delay:
        assert notification_digests_sweep() == 2
    [(user_ids, now_iso)] = [c.args for c in delay.call_args_list]
    assert sorted(user_ids) == sorted([personas.member.user.pk, personas.member2.user.pk])
    assert notification_digests_send_task(user_ids, now_iso) == 2
    assert notification_digests_send_task(user_ids, now_iso) == 0  # the batch delivered twice: nothing twice
    assert OutboundEmail.objects.filter(kind="digest").count() == 2


def test_beat_runs_the_digest_daily():
    entry = app.conf.beat_schedule["notifications-digest"]
    assert entry["task"] == "members.tasks.notification_digests_sweep"
    assert entry["schedule"].hour == {6} and entry["schedule"].minute == {30}
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
