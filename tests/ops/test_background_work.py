"""A beat task that fails is found where an operator looks: its run row, the Background work page,
the log (task, id, arguments, chapter) and an email to the admins, at most one an hour."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from members.models import OutboundEmail
from ops.models import TaskRun
from referrals import tasks as referral_tasks

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 10, 6, 15, tzinfo=UTC)
PAGE = "/admin/ops/taskrun/"


@pytest.fixture
def admins(settings):
    settings.ADMINS = [("Ops desk", "ops@example.org"), ("Night shift", "night@example.org")]


@pytest.fixture
def sweep_fails(monkeypatch):
    """The nightly stale-referrals sweep (beat entry referrals-stale-sweep) fails as a lost database would."""

    def broken(**kwargs):
        raise RuntimeError("connection to the database was lost")

    monkeypatch.setattr(referral_tasks.services, "referrals_stale_due", broken)


def _run_sweep():
    """As a worker runs what beat sent: through Celery's tracer, so its signals fire."""
    return referral_tasks.referrals_stale_sweep.apply()


def test_a_failing_beat_task_writes_a_failed_run(sweep_fails):
    with time_machine.travel(NOW, tick=False):
        result = _run_sweep()
    assert result.failed()
    run = TaskRun.objects.get()
    assert (run.beat_entry, run.task_name, run.state) == (
        "referrals-stale-sweep", "referrals.tasks.referrals_stale_sweep", TaskRun.State.FAILED)
    assert run.error == "RuntimeError: connection to the database was lost"
    assert run.task_id == result.id
    assert (run.started_at, run.finished_at) == (NOW, NOW)
    assert run.worker


def test_a_succeeding_beat_task_writes_a_run_and_other_tasks_write_none(personas):
    with time_machine.travel(NOW, tick=False):
        _run_sweep()
        referral_tasks.referrals_mark_stale_task.apply((personas.chapter.pk,))  # not in the schedule
    run = TaskRun.objects.get()
    assert (run.beat_entry, run.state, run.error) == ("referrals-stale-sweep", TaskRun.State.SUCCEEDED, "")


def test_the_failure_is_logged_once_with_task_id_and_arguments(sweep_fails, console):
    result = _run_sweep()
    failures = [r for r in console.records() if r["level"] == "ERROR"]
    assert len(failures) == 1, failures  # Celery's own "raised unexpected" record is not repeated
    [line] = failures
    assert line["message"].startswith(f"Task referrals.tasks.referrals_stale_sweep[{result.id}] raised unexpected: ")
    assert (line["task"], line["task_id"], line["beat_entry"]) == (
        "referrals.tasks.referrals_stale_sweep", result.id, "referrals-stale-sweep")
    assert line["task_args"] == [] and line["task_kwargs"] == {}
    assert "connection to the database was lost" in line["exc"]


def test_a_failed_task_of_a_chapter_is_logged_with_the_chapter(personas, console, monkeypatch):
    def broken(**kwargs):
        raise ValueError("bad referral row")

    monkeypatch.setattr(referral_tasks.services, "referrals_mark_stale", broken)
    result = referral_tasks.referrals_mark_stale_task.apply((personas.chapter.pk,))
    [line] = [r for r in console.records() if r["level"] == "ERROR"]
    assert line["chapter"] == "home-chapter"
    assert line["task_args"] == [personas.chapter.pk]
    assert line["task_id"] == result.id
    assert line["message"].endswith("(chapter home-chapter)")
    assert not TaskRun.objects.exists()  # not a beat task: no run row, no alert


def test_the_admins_are_emailed_through_the_outbox_at_most_once_an_hour(admins, sweep_fails):
    with time_machine.travel(NOW, tick=False):
        first = _run_sweep()
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        _run_sweep()
    alerts = OutboundEmail.objects.filter(kind=OutboundEmail.Kind.ALERT).order_by("to")
    assert [a.to for a in alerts] == ["night@example.org", "ops@example.org"]
    alert = alerts[0]
    assert alert.subject == "[Leadsgroups] Background task failed: referrals-stale-sweep"
    assert "RuntimeError: connection to the database was lost" in alert.body
    assert first.id in alert.body
    assert "/admin/ops/taskrun/" in alert.body
    assert alert.status == OutboundEmail.Status.QUEUED  # sent by the outbox like every email

    with time_machine.travel(NOW + timedelta(minutes=61), tick=False):
        _run_sweep()
    later = OutboundEmail.objects.filter(kind=OutboundEmail.Kind.ALERT, to="ops@example.org").order_by("-pk").first()
    assert OutboundEmail.objects.filter(kind=OutboundEmail.Kind.ALERT).count() == 4
    assert "also failed 1 more time since the previous alert" in later.body
    assert TaskRun.objects.filter(state=TaskRun.State.FAILED).count() == 3


def test_without_admins_no_alert_is_written(settings, sweep_fails):
    settings.ADMINS = []
    _run_sweep()
    assert not OutboundEmail.objects.filter(kind=OutboundEmail.Kind.ALERT).exists()
    assert TaskRun.objects.get().state == TaskRun.State.FAILED


@pytest.fixture
def operator(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_background_work_page_shows_the_failure(operator, sweep_fails):
    client = operator
    with time_machine.travel(NOW, tick=False):
        _run_sweep()
    html = client.get(PAGE).content.decode()
    assert "<h1>Background work</h1>" in html
    row = html.split('id="entry-referrals-stale-sweep"')[1].split("</tr>")[0]
    assert "2027-03-10 06:15:00" in row  # last run and last failure
    assert "RuntimeError: connection to the database was lost" in row
    assert "never" in row  # no success yet
    assert "daily at 06:15 UTC" in row
    # Every entry of the running app's schedule is on the page.
    from leadsgroups.celery import app

    for name in app.conf.beat_schedule:
        assert f'id="entry-{name}"' in html


def test_an_entry_without_success_for_twice_its_period_is_overdue(client):
    from tests.factories import UserFactory

    def run(entry, task, state, at):
        TaskRun.objects.create(task_name=task, beat_entry=entry, state=state, started_at=at,
                               finished_at=at + timedelta(seconds=2))

    run("outbox-sweep", "members.tasks.outbox_sweep", "succeeded", NOW - timedelta(minutes=1))
    run("retention-prune", "members.tasks.retention_prune_task", "succeeded", NOW - timedelta(hours=47))
    run("referrals-stale-sweep", "referrals.tasks.referrals_stale_sweep", "succeeded", NOW - timedelta(hours=49))
    run("referrals-stale-sweep", "referrals.tasks.referrals_stale_sweep", "failed", NOW - timedelta(hours=1))
    with time_machine.travel(NOW, tick=False):
        client.force_login(UserFactory(is_staff=True, is_superuser=True))  # a session of that day
        html = client.get(PAGE).content.decode()

    def row(name):
        return html.split(f'id="entry-{name}"')[1].split("</tr>")[0]

    assert 'data-testid="overdue"' in row("referrals-stale-sweep")  # daily, last success 49 h ago
    assert 'data-testid="overdue"' not in row("retention-prune")  # daily, 47 h ago: not yet
    assert 'data-testid="overdue"' not in row("outbox-sweep")
    # Entries never run since runs were first recorded (49 h ago): the every-minute and hourly ones are overdue.
    assert 'data-testid="overdue"' in row("enforcement-sweep")
    assert "Overdue: " in html


def test_the_page_is_listed_in_the_admin_index(operator):
    html = operator.get(reverse("admin:index")).content.decode()
    assert f'<a href="{PAGE}">Background work</a>' in html


def test_the_page_is_read_only(operator, sweep_fails):
    client = operator
    _run_sweep()
    run = TaskRun.objects.get()
    assert client.post(reverse("admin:ops_taskrun_change", args=[run.pk]), {"state": "succeeded"}).status_code == 403
    assert client.get(reverse("admin:ops_taskrun_add")).status_code == 403
    assert TaskRun.objects.get().state == TaskRun.State.FAILED


def test_old_runs_are_pruned_but_each_entrys_latest_success_and_failure_stay(settings):
    from ops.services import task_runs_prune

    settings.TASK_RUN_RETENTION_DAYS = 30

    def run(entry, state, days_ago):
        return TaskRun.objects.create(task_name="t", beat_entry=entry, state=state,
                                      started_at=NOW - timedelta(days=days_ago))

    kept = [
        run("retention-prune", "succeeded", 40),  # its latest success, however old
        run("retention-prune", "failed", 35),  # its latest failure
        run("outbox-sweep", "succeeded", 1),
        run("outbox-sweep", "succeeded", 29),
        run("outbox-sweep", "failed", 5),
    ]
    run("retention-prune", "succeeded", 45)
    run("retention-prune", "failed", 50)
    run("outbox-sweep", "failed", 31)
    run("outbox-sweep", "succeeded", 60)
    assert task_runs_prune(now=NOW) == 4
    assert set(TaskRun.objects.values_list("pk", flat=True)) == {r.pk for r in kept}
    assert task_runs_prune(now=NOW) == 0


def test_the_prune_task_is_in_the_beat_schedule():
    from leadsgroups.beat import BEAT_SCHEDULE

    assert BEAT_SCHEDULE["task-runs-prune"]["task"] == "ops.tasks.task_runs_prune_task"


def test_a_task_queued_during_a_request_carries_the_requests_id(monkeypatch):
    from leadsgroups.celery import app
    from leadsgroups.request_id import request_id_reset, request_id_set

    sent = {}

    def publish(self, *args, **kwargs):
        sent.update(kwargs)

    monkeypatch.setattr(type(app.amqp.producer_pool.create_producer()), "publish", publish)
    token = request_id_set("req-0123456789abcdef")
    try:
        referral_tasks.referrals_stale_sweep.delay()
    finally:
        request_id_reset(token)
    assert sent["headers"]["request_id"] == "req-0123456789abcdef"
