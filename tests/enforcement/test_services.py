"""Issuing fines and cases: idempotent under reruns, duplicate delivery, two workers, crashes."""

import os
import threading
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from enforcement import services, tasks
from enforcement.evaluation import chapter_evaluate
from enforcement.limits import rules_effective_from_max
from enforcement.models import ChapterRules, ExpulsionCase, Fine, RulesLimits
from members.models import AuditEvent, Membership, Notification
from tests.enforcement.conftest import D, World
from tests.enforcement.factories import ExpulsionCaseFactory, FineFactory
from tests.factories import ChapterFactory, MembershipFactory

JAN7 = date(2026, 1, 7)
NOW = datetime(2026, 2, 10, 12, tzinfo=UTC)


def _history(world):
    """Ann: 5 absences (2 over a limit of 3, and a case at 2 violations); Bob: present."""
    world.member("Ann")
    world.member("Bob")
    world.member("Pres", role=Membership.Role.PRESIDENT)
    world.rules(absences_allowed=3, fine_absence=D("10.00"), expulsion_violations=2)
    for i, status in enumerate(["absent"] * 5):
        world.meeting(JAN7 + timedelta(days=7 * i), {"Ann": status, "Bob": "present"})


def test_enforce_issues_fines_and_a_case_with_notifications_and_audit(world, django_capture_on_commit_callbacks):
    _history(world)
    with django_capture_on_commit_callbacks() as callbacks:
        result = services.chapter_enforce(chapter=world.chapter, now=NOW)
    assert [(f.membership.user.full_name, f.period_start, f.amount, f.currency) for f in result.fines] == [
        ("Ann", date(2026, 1, 28), D("10.00"), "GBP"), ("Ann", date(2026, 2, 4), D("10.00"), "GBP")
    ]
    [case] = result.cases
    assert case.status == "open" and set(case.fines.all()) == set(result.fines)
    assert "2 violations ≥ 2" in case.explanation
    ann, pres = world.members["Ann"].user, world.members["Pres"].user
    assert Notification.objects.filter(user=ann, kind="fine").count() == 2
    assert Notification.objects.filter(user=ann, kind="case").count() == 1
    assert Notification.objects.filter(user=pres, kind="case", title__contains="Ann").count() == 1
    assert AuditEvent.objects.filter(action="fine.issued").count() == 2
    assert AuditEvent.objects.filter(action="case.opened").count() == 1
    assert len(callbacks) == 4  # one email per notification, queued after commit


def test_running_twice_changes_nothing(world):
    _history(world)
    services.chapter_enforce(chapter=world.chapter, now=NOW)
    counts = (Fine.objects.count(), ExpulsionCase.objects.count(), Notification.objects.count())
    again = services.chapter_enforce(chapter=world.chapter, now=NOW)
    assert again.fines == [] and again.cases == [] and again.evaluation.already_issued == 2
    assert (Fine.objects.count(), ExpulsionCase.objects.count(), Notification.objects.count()) == counts


def test_a_task_delivered_twice_issues_once(world):
    _history(world)
    with mock.patch("enforcement.services.timezone.now", return_value=NOW):
        assert tasks.chapter_enforce_task.apply(args=[world.chapter.pk]).get() == {"fines": 2, "cases": 1}
        assert tasks.chapter_enforce_task.apply(args=[world.chapter.pk]).get() == {"fines": 0, "cases": 0}
    assert Fine.objects.count() == 2


def test_waived_fines_stay_waived_on_rerun(world):
    _history(world)
    fine = services.chapter_enforce(chapter=world.chapter, now=NOW).fines[0]
    services.fine_resolve(fine=fine, by=world.members["Pres"].user, status="waived", reason="Family emergency")
    services.chapter_enforce(chapter=world.chapter, now=NOW)
    assert Fine.objects.filter(membership=fine.membership, period_start=fine.period_start).count() == 1
    assert Fine.objects.get(pk=fine.pk).status == "waived"


def test_a_crash_mid_run_leaves_nothing_half_applied(world):
    _history(world)
    real = services.fine_issue
    calls = []

    def crash_on_second(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real(**kwargs)

    with mock.patch("enforcement.services.fine_issue", side_effect=crash_on_second):
        with pytest.raises(RuntimeError):
            services.chapter_enforce(chapter=world.chapter, now=NOW)
    assert Fine.objects.count() == 0 and Notification.objects.count() == 0
    assert len(services.chapter_enforce(chapter=world.chapter, now=NOW).fines) == 2


def test_fine_is_unique_per_member_kind_and_period_in_the_database(db):
    fine = FineFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        FineFactory(membership=fine.membership, rules=fine.rules, period_start=fine.period_start)


def test_a_meeting_fine_is_unique_per_member_kind_and_meeting_in_the_database(world):
    ann = world.member("Ann")
    rules = world.rules()
    morning = world.meeting(JAN7)
    evening = world.meeting(JAN7, kind="one_off", starts_at=datetime(2026, 1, 7, 19, tzinfo=UTC))
    FineFactory(membership=ann, rules=rules, period_start=JAN7, meeting=morning)
    FineFactory(membership=ann, rules=rules, period_start=JAN7, meeting=evening)  # same day, another meeting
    with pytest.raises(IntegrityError), transaction.atomic():
        FineFactory(membership=ann, rules=rules, period_start=JAN7, meeting=evening)


def test_one_open_case_per_membership_in_the_database(db):
    case = ExpulsionCaseFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ExpulsionCaseFactory(membership=case.membership, rules=case.rules)
    ExpulsionCase.objects.filter(pk=case.pk).update(status="decided", decision="dismiss")
    ExpulsionCaseFactory(membership=case.membership, rules=case.rules)  # a new case after a decision


def test_fines_weighed_in_a_decided_case_do_not_reopen_one(world):
    _history(world)
    case = services.chapter_enforce(chapter=world.chapter, now=NOW).cases[0]
    ExpulsionCase.objects.filter(pk=case.pk).update(status="decided", decision="probation")
    assert services.chapter_enforce(chapter=world.chapter, now=NOW).cases == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_issue_each_fine_once():
    """Two threads, two connections, the same chapter at the same moment (PostgreSQL's row lock)."""
    if connection.vendor != "postgresql":
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("REQUIRE_SERVICES=1 but DATABASE_URL is not PostgreSQL: the concurrency test cannot run")
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…); SQLite serialises writers anyway")
    world = World(ChapterFactory())
    _history(world)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(services.chapter_enforce(chapter=world.chapter, now=NOW))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(len(r.fines) for r in results) == [0, 2]
    assert Fine.objects.count() == 2 and ExpulsionCase.objects.count() == 1
    assert Notification.objects.filter(kind="case").count() == 2  # member and president, once each


def test_fine_issue_returns_none_when_the_fine_exists(world):
    _history(world)
    evaluation = chapter_evaluate(chapter=world.chapter, today=date(2026, 2, 10))
    finding = evaluation.findings[0]
    assert services.fine_issue(finding=finding) is not None
    assert services.fine_issue(finding=finding) is None  # a second worker that evaluated before the first wrote


# Paid and waived ---------------------------------------------------------------------------------


def test_waiving_needs_a_reason_and_is_audited(db):
    fine = FineFactory()
    officer = MembershipFactory(chapter=fine.chapter, role=Membership.Role.PRESIDENT).user
    with pytest.raises(ValidationError):
        services.fine_resolve(fine=fine, by=officer, status="waived", reason=" ")
    services.fine_resolve(fine=fine, by=officer, status="waived", reason="Hospital")
    fine.refresh_from_db()
    assert (fine.status, fine.resolution_reason, fine.resolved_by) == ("waived", "Hospital", officer)
    event = AuditEvent.objects.get(action="fine.waived")
    assert event.reason == "Hospital" and event.actor == officer


def test_a_fine_is_resolved_once(db):
    fine = FineFactory()
    services.fine_resolve(fine=fine, by=None, status="paid")
    with pytest.raises(ValidationError):
        services.fine_resolve(fine=Fine.objects.get(pk=fine.pk), by=None, status="waived", reason="late")
    assert Fine.objects.get(pk=fine.pk).status == "paid"


# Rules versions ----------------------------------------------------------------------------------


def _data(**changes):
    data = {k: ChapterRules._meta.get_field(k).get_default() for k in ChapterRules.RULE_FIELDS}
    return {**data, **changes}


def test_a_rules_change_makes_a_new_version_and_keeps_the_old(db):
    chapter = ChapterFactory()
    officer = MembershipFactory(chapter=chapter, role=Membership.Role.PRESIDENT).user
    today = datetime.now(chapter.tz).date()
    v1 = services.rules_create(chapter=chapter, by=officer, data=_data(), effective_from=today, reason="Start")
    v2 = services.rules_create(chapter=chapter, by=officer, data=_data(absences_allowed=2), effective_from=today,
                               reason="Stricter")
    assert (v1.number, v2.number) == (1, 2)
    assert ChapterRules.objects.get(pk=v1.pk).absences_allowed == 3
    event = AuditEvent.objects.filter(action="rules.version_created").first()
    assert event.after == {"absences_allowed": 2} and event.before == {"absences_allowed": 3}


def test_a_rules_version_cannot_start_in_the_past(db):
    chapter = ChapterFactory()
    with pytest.raises(ValidationError) as exc:
        services.rules_create(chapter=chapter, by=None, data=_data(), effective_from=date(2020, 1, 1))
    assert "effective_from" in exc.value.message_dict


def test_a_rules_version_cannot_start_more_than_a_year_ahead(db):
    chapter = ChapterFactory()
    today = datetime.now(chapter.tz).date()
    with pytest.raises(ValidationError) as exc:
        services.rules_create(chapter=chapter, by=None, data=_data(), effective_from=date(9999, 12, 31))
    assert "at most 12 months ahead" in exc.value.message_dict["effective_from"][0]
    with pytest.raises(ValidationError):  # the demo's and imports' backdating does not lift the cap
        services.rules_create(chapter=chapter, by=None, data=_data(), effective_from=date(9999, 12, 31),
                              allow_backdate=True)
    assert not ChapterRules.objects.exists()
    services.rules_create(chapter=chapter, by=None, data=_data(), effective_from=rules_effective_from_max(today))


def test_rules_outside_the_admin_limits_are_refused(db):
    chapter = ChapterFactory()
    RulesLimits.objects.create(region=None, absences_allowed_max=6, fine_max=D("50"))
    RulesLimits.objects.create(region=chapter.region, absences_allowed_max=4, fine_max=D("20"))
    today = datetime.now(chapter.tz).date()
    with pytest.raises(ValidationError) as exc:
        services.rules_create(chapter=chapter, by=None, data=_data(absences_allowed=5, fine_absence=D("25")),
                              effective_from=today)
    assert set(exc.value.message_dict) == {"absences_allowed", "fine_absence"}
    other = ChapterFactory(region=None)  # no region: the organisation default applies
    services.rules_create(chapter=other, by=None, data=_data(absences_allowed=5), effective_from=today)


def test_a_version_identical_to_the_one_in_force_is_refused(db):
    chapter = ChapterFactory()
    today = datetime.now(chapter.tz).date()
    services.rules_create(chapter=chapter, by=None, data=_data(), effective_from=today, reason="Start")
    with pytest.raises(ValidationError) as exc:
        services.rules_create(chapter=chapter, by=None, data=_data(late_weight=D("0.5")),
                              effective_from=today + timedelta(days=3), reason="Same again")
    assert exc.value.messages[0].startswith("Nothing changed")
    assert ChapterRules.objects.filter(chapter=chapter).count() == 1


def test_a_case_names_a_missed_quota_by_its_period_and_an_absence_by_its_day(world):
    """A missed quota is a month (or week), not a day: the case says which period, both for a fine already
    on record and for one issued in the same run."""
    ann = world.member("Ann")
    world.rules(absences_allowed=3, referral_quota=1, fine_quota=D("5.00"), expulsion_violations=3)
    for i in range(5):
        world.meeting(JAN7 + timedelta(days=7 * i), {"Ann": "absent"})  # 28 Jan and 4 Feb over the limit
    FineFactory(membership=ann, rules=world.chapter.rules_versions.get(), kind=Fine.Kind.QUOTA,
                period_start=date(2025, 12, 1), period_end=date(2025, 12, 31), amount=D("5.00"))
    [case] = services.chapter_enforce(chapter=world.chapter, now=NOW).cases
    assert "  • 1 Dec 2025 – 31 Dec 2025: referral quota missed (£5.00)" in case.explanation
    assert "  • 1 Jan 2026 – 31 Jan 2026: referral quota missed (£5.00)" in case.explanation  # issued this run
    assert "  • Wed, 28 Jan 2026: absence over the limit (£10.00)" in case.explanation


def test_two_meetings_on_one_day_are_two_absences_and_two_fines(world):
    """A one-off meeting may share a day with the regular one: each absence over the limit is its own fine."""
    world.member("Ann")
    world.rules(absences_allowed=1, fine_absence=D("10.00"), fine_late=D("2.00"), expulsion_violations=9,
                late_fee_stacks_with_absence=True)
    world.meeting(JAN7, {"Ann": "absent"})
    world.meeting(date(2026, 1, 14), {"Ann": "absent"})  # 14 Jan 07:00, over the limit
    evening = world.meeting(date(2026, 1, 14), {"Ann": "absent"}, kind="one_off",
                            starts_at=datetime(2026, 1, 14, 19, tzinfo=UTC))
    world.meeting(date(2026, 1, 21), {"Ann": "late"})
    world.meeting(date(2026, 1, 21), {"Ann": "late"}, kind="one_off", starts_at=datetime(2026, 1, 21, 19, tzinfo=UTC))
    result = services.chapter_enforce(chapter=world.chapter, now=NOW)
    absences = [f for f in result.fines if f.kind == Fine.Kind.ABSENCE]
    lates = [f for f in result.fines if f.kind == Fine.Kind.LATE]
    assert sorted((f.period_start, f.amount) for f in absences) == [
        (date(2026, 1, 14), D("10.00")), (date(2026, 1, 14), D("10.00")),
        (date(2026, 1, 21), D("5.00")), (date(2026, 1, 21), D("5.00")),
    ]
    assert evening.pk in {f.meeting_id for f in absences}
    assert len(lates) == 2
    again = services.chapter_enforce(chapter=world.chapter, now=NOW)
    assert again.fines == [] and again.evaluation.already_issued == 6
    assert Fine.objects.count() == 6
