"""Retention by frozen dates: finished deliveries, expired exports, old prospects' data and spent API tokens go."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from leadsgroups.celery import app
from portability import chapter_export, retention
from portability.models import ChapterExport
from portability.tasks import data_retention_prune_task
from referrals import services as referral_services
from referrals.models import ConsentRequest, Referral, ReferralEvent
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db
START = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.fixture
def endpoint(personas):
    return WebhookEndpoint.objects.create(chapter=personas.chapter, url="https://93.184.215.14/h", events=["fine.issued"],
                                          secret="s")


def _delivery(endpoint, status, key):
    return WebhookDelivery.objects.create(endpoint=endpoint, event="fine.issued", dedupe_key=key, payload={},
                                          status=status, sent_at=timezone.now() if status == "sent" else None)


def test_finished_deliveries_go_after_their_days_and_waiting_ones_stay(endpoint, time_machine, settings):
    settings.WEBHOOK_DELIVERY_RETENTION_DAYS = 30
    time_machine.move_to(START, tick=False)
    old = [_delivery(endpoint, "sent", "a"), _delivery(endpoint, "failed", "b")]
    waiting = _delivery(endpoint, "queued", "c")
    time_machine.move_to(START + timedelta(days=10), tick=False)
    recent = _delivery(endpoint, "sent", "d")
    time_machine.move_to(START + timedelta(days=30, seconds=1), tick=False)
    assert retention.data_retention_prune().webhook_deliveries == 2
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {waiting.pk, recent.pk}
    assert not WebhookDelivery.objects.filter(pk__in=[d.pk for d in old]).exists()


def test_an_export_goes_with_its_file_once_expired(personas, time_machine, settings, django_capture_on_commit_callbacks):
    settings.CHAPTER_EXPORT_RETENTION_HOURS = 72
    time_machine.move_to(START, tick=False)
    export = chapter_export.export_request(chapter=personas.chapter, by=personas.president.user)
    chapter_export.export_build(export_id=export.pk)
    export.refresh_from_db()
    storage, name = export.file.storage, export.file.name
    assert storage.exists(name)
    time_machine.move_to(START + timedelta(hours=71), tick=False)
    assert retention.data_retention_prune().exports == 0
    time_machine.move_to(START + timedelta(hours=72, seconds=1), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.data_retention_prune().exports == 1
    assert not ChapterExport.objects.exists() and not storage.exists(name)


def _won(p, **kw):
    r = referral_services.referral_give(chapter=p.chapter, giver=p.member, receiver=p.member2, kind="outside",
                                        prospect_name="Petra Prospect", prospect_email="petra@example.org",
                                        prospect_phone="+44 7700 900123", notes="Budget 5k", consent="not_asked", **kw)
    return r


def test_a_closed_referrals_prospect_is_erased_after_its_days_and_its_figures_stay(personas, time_machine, settings):
    settings.PROSPECT_DATA_RETENTION_DAYS = 365
    p = personas
    time_machine.move_to(START, tick=False)
    closed = _won(p)
    referral_services.consent_request_send(referral=closed, by=p.member)
    for step in ("accepted", "contacted"):
        referral_services.referral_move(referral=closed, by=p.member2, to=step)
    referral_services.referral_move(referral=closed, by=p.member2, to="won", value=Decimal("900.00"),
                                    closed_on=START.date(), business_type="new")
    still_open = _won(p)
    time_machine.move_to(START + timedelta(days=300), tick=False)
    lost_lately = _won(p)
    referral_services.referral_move(referral=lost_lately, by=p.member2, to="accepted")
    referral_services.referral_move(referral=lost_lately, by=p.member2, to="lost")
    time_machine.move_to(START + timedelta(days=365, hours=1), tick=False)
    assert retention.data_retention_prune().prospects == 1
    closed.refresh_from_db()
    assert (closed.prospect_name, closed.prospect_email, closed.prospect_phone, closed.notes) == ("", "", "", "")
    assert closed.is_erased and closed.status == "won" and closed.closed_value == Decimal("900.00")
    event = closed.events.get(action=ReferralEvent.Action.ERASED)
    assert "closed more than 365 days ago" in event.note
    assert ConsentRequest.objects.get(referral=closed).outcome == ConsentRequest.Outcome.ERASED
    assert closed.consent_requests.get().emails.get().to == ""
    for kept in (still_open, lost_lately):
        kept.refresh_from_db()
        assert kept.prospect_name == "Petra Prospect" and not kept.is_erased


def test_spent_api_tokens_go_when_the_api_app_is_installed(personas, time_machine, settings):
    """Expired or revoked API tokens go API_TOKEN_RETENTION_DAYS after; a live one stays."""
    from api.models import ApiToken
    from api.services import api_token_create

    settings.API_TOKEN_RETENTION_DAYS = 90
    time_machine.move_to(START, tick=False)
    user = personas.member.user
    expired, _ = api_token_create(user=user, name="old", scope="read", days=7)
    revoked, _ = api_token_create(user=user, name="revoked", scope="read", days=365)
    fresh, _ = api_token_create(user=user, name="live", scope="read", days=365)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=START - timedelta(days=1))
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=START)
    time_machine.move_to(START + timedelta(days=90, hours=1), tick=False)
    assert retention.data_retention_prune().api_tokens == 2
    assert list(ApiToken.objects.values_list("pk", flat=True)) == [fresh.pk]

def test_pruning_goes_in_batches_and_a_rerun_finds_nothing(endpoint, time_machine):
    time_machine.move_to(START, tick=False)
    for i in range(5):
        _delivery(endpoint, "sent", f"k{i}")
    time_machine.move_to(START + timedelta(days=60), tick=False)
    assert retention.data_retention_prune(batch_size=2, max_batches=1).webhook_deliveries == 2
    assert retention.data_retention_prune(batch_size=2).webhook_deliveries == 3
    assert retention.data_retention_prune(batch_size=2) == retention.Pruned()


def test_the_queries_do_not_grow_with_the_rows(endpoint, time_machine, django_assert_max_num_queries):
    counts = []
    for n, day in ((3, 0), (30, 100)):
        time_machine.move_to(START + timedelta(days=day), tick=False)
        for i in range(n):
            _delivery(endpoint, "sent", f"{day}-{i}")
        time_machine.move_to(START + timedelta(days=day + 60), tick=False)
        with django_assert_max_num_queries(20) as captured:
            assert retention.data_retention_prune().webhook_deliveries == n
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_the_task_prunes_and_reports(endpoint, time_machine):
    time_machine.move_to(START, tick=False)
    _delivery(endpoint, "failed", "x")
    time_machine.move_to(START + timedelta(days=31), tick=False)
    assert data_retention_prune_task() == {"api_tokens": 0, "webhook_deliveries": 1, "exports": 0, "prospects": 0}
    assert data_retention_prune_task() == {"api_tokens": 0, "webhook_deliveries": 0, "exports": 0, "prospects": 0}


@pytest.mark.parametrize("entry,task,minutes,hours", [
    ("data-retention-prune", "portability.tasks.data_retention_prune_task", {45}, {3}),
    ("webhooks-sweep", "webhooks.tasks.webhooks_sweep", set(range(60)), set(range(24))),
    ("portability-sweep", "portability.tasks.portability_sweep", set(range(0, 60, 5)), set(range(24))),
])
def test_the_running_celery_app_schedules_them(entry, task, minutes, hours):
    schedule = app.conf.beat_schedule[entry]
    assert schedule["task"] == task
    assert schedule["schedule"].minute == minutes and schedule["schedule"].hour == hours
    app.loader.import_default_modules()
    assert task in app.tasks


def test_nothing_pending_is_pruned_however_old(personas, time_machine):
    """A queued export, or a referral still open, is never touched by age alone."""
    time_machine.move_to(START, tick=False)
    export = ChapterExport.objects.create(chapter=personas.chapter)
    open_referral = Referral.objects.create(chapter=personas.chapter, giver=personas.member, receiver=personas.member2,
                                            prospect_name="Old Open")
    time_machine.move_to(START + timedelta(days=3650), tick=False)
    assert retention.data_retention_prune() == retention.Pruned()
    assert ChapterExport.objects.filter(pk=export.pk).exists()
    assert Referral.objects.get(pk=open_referral.pk).prospect_name == "Old Open"
