"""Leave by dates: recorded, back-dated with a reason, corrected and ended (audited); Membership.status
follows it; the leave page refuses what cannot be; the old audit-trail leave becomes leave rows."""

import importlib
from datetime import UTC, date, datetime, timedelta

import pytest
from django.apps import apps

from enforcement import tasks
from enforcement.leave import leave_record, leave_status_mismatches
from enforcement.models import Leave
from members.models import AuditEvent, Membership, Notification
from members.services import membership_change
from tests.audit_time import audit_rewrite

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # Mon 2 Mar 2026; the personas' chapter is in London


@pytest.fixture
def frozen(personas, time_machine):
    time_machine.move_to(NOW, tick=False)
    Membership.objects.filter(chapter=personas.chapter).update(joined_on=date(2025, 1, 1))
    for m in (personas.member, personas.member2):
        m.refresh_from_db()
    return personas


def url(p, membership, *extra):
    return p.url("enforcement:leave", membership.pk) if not extra else p.url("enforcement:leave-edit", membership.pk, *extra)


def test_the_member_page_links_to_leave_and_the_standing_page_shows_it(client, frozen):
    p = frozen
    p.login(client, "president")
    html = client.get(p.url("chapters:member-edit", p.member.pk)).content.decode()
    assert url(p, p.member) in html
    leave_record(membership=p.member, by=p.president.user, starts_on=date(2026, 2, 20), reason="Surgery, sick note")
    p.login(client, "member")
    html = client.get(p.url("enforcement:standing")).content.decode()
    assert 'id="standing-leave"' in html and "You are on leave: 20 Feb 2026 – until further notice" in html


def test_back_dated_leave_is_recorded_audited_and_puts_the_member_on_leave(client, frozen):
    p = frozen
    p.login(client, "president")
    response = client.post(url(p, p.member), {"starts_on": "2026-02-20", "ends_on": "", "reason": "Surgery, sick note"})
    assert response.status_code == 302
    leave = Leave.objects.get(membership=p.member)
    assert (leave.starts_on, leave.ends_on, leave.reason) == (date(2026, 2, 20), None, "Surgery, sick note")
    p.member.refresh_from_db()
    assert p.member.status == Membership.Status.ON_LEAVE
    event = AuditEvent.objects.get(action="leave.recorded", target_id=str(leave.pk))
    assert "back-dated" in event.summary and event.reason == "Surgery, sick note"
    assert Notification.objects.filter(user=p.member.user, title__startswith="Leave recorded").exists()


@pytest.mark.parametrize("data,field,message", [
    ({"starts_on": "2026-03-10", "ends_on": "2026-03-05"}, "ends_on", "cannot end before it starts"),
    ({"starts_on": "2026-02-20", "ends_on": "", "reason": ""}, "reason", "say why it is back-dated"),
    ({"starts_on": "2024-06-01", "ends_on": "", "reason": "Long ago"}, "starts_on", "before Mona Member joined"),
])
def test_the_leave_form_refuses_what_cannot_be_and_keeps_what_was_typed(client, frozen, data, field, message):
    p = frozen
    p.login(client, "president")
    response = client.post(url(p, p.member), {"reason": "", **data})
    assert response.status_code == 422
    assert message in str(response.context["form"].errors[field])
    assert response.context["form"]["starts_on"].value() == data["starts_on"]
    assert not Leave.objects.exists()


def test_overlapping_leave_is_refused(client, frozen):
    p = frozen
    leave_record(membership=p.member, by=p.president.user, starts_on=date(2026, 3, 10), ends_on=date(2026, 3, 20))
    p.login(client, "president")
    response = client.post(url(p, p.member), {"starts_on": "2026-03-15", "ends_on": "2026-03-25", "reason": ""})
    assert response.status_code == 422
    assert "overlaps the leave already recorded (10 Mar 2026 – 20 Mar 2026)" in response.content.decode()
    assert Leave.objects.count() == 1


def test_correcting_and_ending_leave_needs_a_reason_is_audited_and_brings_the_member_back(client, frozen):
    p = frozen
    leave = leave_record(membership=p.member, by=p.president.user, starts_on=date(2026, 2, 20), reason="Surgery")
    p.login(client, "president")
    refused = client.post(url(p, p.member, leave.pk), {"starts_on": "2026-02-20", "ends_on": "2026-03-01", "reason": ""})
    assert refused.status_code == 422 and "This field is required" in refused.content.decode()
    done = client.post(url(p, p.member, leave.pk),
                       {"starts_on": "2026-02-20", "ends_on": "2026-03-01", "reason": "Back at work on 2 March"})
    assert done.status_code == 302
    leave.refresh_from_db()
    p.member.refresh_from_db()
    assert leave.ends_on == date(2026, 3, 1) and p.member.status == Membership.Status.ACTIVE
    event = AuditEvent.objects.get(action="leave.corrected", target_id=str(leave.pk))
    assert event.before["ends_on"] is None and event.after["ends_on"] == "2026-03-01"


@pytest.mark.parametrize("who,status", [("member", 403), ("vice_president", 200), ("outsider", 404), ("anon", 302)])
def test_leave_page_access(client, frozen, who, status):
    frozen.login(client, who)
    assert client.get(url(frozen, frozen.member)).status_code == status


def test_future_leave_starts_and_ends_by_the_hourly_sync(frozen, time_machine, monkeypatch):
    p = frozen
    # The sweep fans out one task per seat; run each at once, as a worker would.
    monkeypatch.setattr(tasks.leave_status_sync_task, "delay", lambda pk: tasks.leave_status_sync_task.apply(args=[pk]))
    leave_record(membership=p.member, by=p.president.user, starts_on=date(2026, 3, 9), ends_on=date(2026, 3, 15))
    p.member.refresh_from_db()
    assert p.member.status == Membership.Status.ACTIVE  # not yet
    assert leave_status_mismatches(now=NOW) == []
    time_machine.move_to(datetime(2026, 3, 9, 0, 30, tzinfo=UTC), tick=False)  # 00:30 in London on 9 Mar
    assert tasks.leave_status_sweep.apply().get() == 1
    p.member.refresh_from_db()
    assert p.member.status == Membership.Status.ON_LEAVE
    assert tasks.leave_status_sweep.apply().get() == 0  # in step: nothing to do
    time_machine.move_to(datetime(2026, 3, 16, 6, tzinfo=UTC), tick=False)
    tasks.leave_status_sweep.apply()
    p.member.refresh_from_db()
    assert p.member.status == Membership.Status.ACTIVE


def test_setting_on_leave_on_the_member_page_records_leave_from_today(client, frozen):
    p = frozen
    p.login(client, "president")
    data = {"role": "member", "status": "on_leave", "classification": p.member.classification.pk, "reason": "Surgery"}
    client.post(p.url("chapters:member-edit", p.member.pk), data)
    leave = Leave.objects.get(membership=p.member)
    assert (leave.starts_on, leave.ends_on) == (date(2026, 3, 2), None)
    client.post(p.url("chapters:member-edit", p.member.pk), {**data, "status": "active", "reason": "Back"})
    assert not Leave.objects.filter(membership=p.member).exists()  # began and ended today: cancelled (audited)
    assert AuditEvent.objects.filter(action="leave.cancelled").exists()


def test_existing_leave_is_rebuilt_from_the_audit_trail(frozen):
    """Hand count: Mona on leave 10 Jan, back 25 Jan (→ 10–24 Jan), on leave again 20 Feb (open);
    Max seated on leave with no recorded change (→ from joining, open)."""
    p = frozen

    def change(m, status, when):
        membership_change(membership=m, by=None, status=status, reason="Leave")
        event = AuditEvent.objects.filter(action="membership.changed").order_by("-pk").first()
        audit_rewrite(event, created_at=when)  # audit rows refuse updates (a trigger on PostgreSQL)

    change(p.member, Membership.Status.ON_LEAVE, datetime(2026, 1, 10, 9, tzinfo=UTC))
    change(p.member, Membership.Status.ACTIVE, datetime(2026, 1, 25, 9, tzinfo=UTC))
    change(p.member, Membership.Status.ON_LEAVE, datetime(2026, 2, 20, 9, tzinfo=UTC))
    Membership.objects.filter(pk=p.member2.pk).update(status=Membership.Status.ON_LEAVE)
    Leave.objects.all().delete()
    migration = importlib.import_module("enforcement.migrations.0007_leave_from_audit_trail")
    migration.leave_from_audit_trail(apps, None)
    rows = sorted((lv.membership_id, lv.starts_on, lv.ends_on) for lv in Leave.objects.all())
    assert rows == sorted([
        (p.member.pk, date(2026, 1, 10), date(2026, 1, 24)),
        (p.member.pk, date(2026, 2, 20), None),
        (p.member2.pk, date(2025, 1, 1), None),
    ])


def test_the_database_refuses_a_leave_ending_before_it_starts(frozen):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Leave.objects.create(chapter=frozen.chapter, membership=frozen.member, starts_on=date(2026, 3, 5),
                             ends_on=date(2026, 3, 5) - timedelta(days=1))
