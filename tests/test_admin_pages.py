"""The Django admin: every registered model's list (with search) and detail open for an organisation admin."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import User


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))


def test_admin_lists_and_detail_pages_open(client, demo):
    client.force_login(User.objects.get(email="admin@demo.leadsgroups.org"))
    for model, model_admin in admin.site._registry.items():
        info = model._meta.app_label, model._meta.model_name
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        assert client.get(changelist).status_code == 200, changelist
        if model_admin.search_fields:
            assert client.get(changelist, {"q": "a"}).status_code == 200, changelist
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            change = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
            assert client.get(change).status_code == 200, change


def test_region_staff_without_staff_flag_cannot_use_the_admin(client, demo):
    client.force_login(User.objects.get(email="director.north@demo.leadsgroups.org"))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302


def test_attendance_and_meeting_status_cannot_be_changed_behind_the_audit(client, demo):
    from meetings.models import Attendance, Meeting

    client.force_login(User.objects.get(email="admin@demo.leadsgroups.org"))
    mark = Attendance.objects.exclude(status="medical").first()
    url = reverse("admin:meetings_attendance_change", args=[mark.pk])
    response = client.post(url, {"meeting": mark.meeting_id, "membership": mark.membership_id, "status": "medical"})
    assert response.status_code == 403
    assert Attendance.objects.get(pk=mark.pk).status == mark.status
    meeting = Meeting.objects.filter(status="closed").first()
    url = reverse("admin:meetings_meeting_change", args=[meeting.pk])
    client.post(url, {"chapter": meeting.chapter_id, "kind": meeting.kind, "starts_at_0": meeting.local_date,
                      "starts_at_1": "07:00", "local_date": meeting.local_date, "duration_minutes": 90,
                      "status": "scheduled"})
    assert Meeting.objects.get(pk=meeting.pk).status == "closed"


@pytest.mark.parametrize("app_model", ["enforcement_fine", "enforcement_expulsioncase", "members_auditevent"])
def test_fines_cases_and_audit_events_are_view_only_in_the_admin(client, demo, app_model):
    """Every field is read-only, so the page offers no Save; a forged POST changes nothing."""
    from django.apps import apps

    model = apps.get_model(*app_model.split("_", 1))
    obj = model._default_manager.order_by("pk").first()
    client.force_login(User.objects.get(email="admin@demo.leadsgroups.org"))
    changelist = reverse(f"admin:{app_model}_changelist")
    assert client.get(changelist, {"q": "a"}).status_code == 200
    html = client.get(reverse(f"admin:{app_model}_change", args=[obj.pk])).content.decode()
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert "Delete" not in html
    assert client.post(reverse(f"admin:{app_model}_change", args=[obj.pk]), {}).status_code == 403


def test_fines_and_cases_can_be_found_by_the_member_name_in_the_admin(client, demo):
    from enforcement.models import ExpulsionCase, Fine

    client.force_login(User.objects.get(email="admin@demo.leadsgroups.org"))
    for model, name in ((Fine, "fine"), (ExpulsionCase, "expulsioncase")):
        obj = model.objects.select_related("membership__user").order_by("pk").first()
        other = model.objects.exclude(membership__user=obj.membership.user).order_by("pk").first()
        html = client.get(reverse(f"admin:enforcement_{name}_changelist"),
                          {"q": obj.membership.user.full_name}).content.decode()
        assert reverse(f"admin:enforcement_{name}_change", args=[obj.pk]) in html
        assert reverse(f"admin:enforcement_{name}_change", args=[other.pk]) not in html


# At scale: every list's queries do not grow with its rows; every list and change page opens ----------


def _build(model, n: int) -> None:
    """`n` more rows of `model`, each with its own chapter, people and meeting where it has them."""
    import secrets
    from datetime import date, timedelta
    from decimal import Decimal

    from django.utils import timezone

    from chapters.models import Chapter, Classification, Region
    from enforcement.models import (
        ChapterEvaluationState,
        ChapterRules,
        ExpulsionCase,
        Fine,
        RulesLimits,
        SweepRun,
    )
    from meetings.models import (
        Attendance,
        CalendarFeed,
        ChapterMeetingSettings,
        Meeting,
        Presentation,
        Testimonial,
        Visitor,
    )
    from members.audit import audit_record
    from members.models import Invitation, Membership, Notification, OutboundEmail
    from referrals.models import ConsentRequest, EducationCredit, OneToOne, Referral, ThankYou
    from tests.enforcement import factories as ef
    from tests.factories import (
        ChapterFactory,
        ClassificationFactory,
        MembershipFactory,
        RegionFactory,
        UserFactory,
    )
    from tests.meetings import factories as mf
    from tests.referrals import factories as rf

    now = timezone.now()
    for _ in range(n):
        chapter = ChapterFactory()
        seat = MembershipFactory(chapter=chapter)
        if model is Region:
            RegionFactory()
        elif model is Chapter:
            pass  # made above
        elif model is Classification:
            ClassificationFactory()
        elif model is User:
            UserFactory()
        elif model is Membership or model.__name__ == "EmailAddress":
            pass  # made above (a person's address comes with their account)
        elif model.__name__ == "Group":
            from django.contrib.auth.models import Group

            Group.objects.create(name=f"Group {secrets.token_hex(4)}")
        elif model is Invitation:
            Invitation.objects.create(chapter=chapter, email=f"{secrets.token_hex(4)}@example.com",
                                      classification=seat.classification, invited_by=seat.user,
                                      token_hash=secrets.token_hex(32), expires_at=now + timedelta(days=14))
        elif model is Notification:
            Notification.objects.create(user=seat.user, chapter=chapter, kind="fine", title="A fine")
        elif model is OutboundEmail:
            OutboundEmail.objects.create(kind="notification", to=seat.user.email, subject="Hello", body="Hi",
                                         chapter=chapter)
        elif model.__name__ == "AuditEvent":
            audit_record(actor=seat.user, action="test.done", target=seat, chapter=chapter, summary="Done")
        elif model is Meeting:
            mf.MeetingFactory(chapter=chapter)
        elif model is Attendance:
            mf.AttendanceFactory(meeting=mf.MeetingFactory(chapter=chapter), membership=seat)
        elif model is Visitor:
            mf.VisitorFactory(meeting=mf.MeetingFactory(chapter=chapter), invited_by=seat)
        elif model is Presentation:
            mf.PresentationFactory(meeting=mf.MeetingFactory(chapter=chapter), presenter=seat)
        elif model is Testimonial:
            mf.TestimonialFactory(meeting=mf.MeetingFactory(chapter=chapter), given_by=seat)
        elif model is CalendarFeed:
            CalendarFeed.objects.create(user=seat.user, token=secrets.token_hex(32))
        elif model is ChapterMeetingSettings:
            ChapterMeetingSettings.objects.create(chapter=chapter)
        elif model is RulesLimits:
            RulesLimits.objects.create(region=chapter.region)
        elif model is ChapterRules:
            ef.ChapterRulesFactory(chapter=chapter, created_by=seat.user)
        elif model is Fine:
            ef.FineFactory(membership=seat)
        elif model is ExpulsionCase:
            ef.ExpulsionCaseFactory(membership=seat)
        elif model is ChapterEvaluationState:
            ChapterEvaluationState.objects.create(chapter=chapter, evaluated_on=date(2026, 1, 5),
                                                  next_due_on=date(2026, 1, 12))
        elif model is SweepRun:
            SweepRun.objects.create(batches=2, batches_done=2, chapters=150, finished_at=now)
        elif model is Referral:
            rf.ReferralFactory(giver=seat)
        elif model is ThankYou:
            referral = rf.ReferralFactory(giver=seat)
            ThankYou.objects.create(chapter=chapter, referral=referral, giver=seat, receiver=referral.receiver,
                                    value=Decimal("100"), closed_on=date(2026, 1, 5), business_type="new")
        elif model is OneToOne:
            rf.OneToOneFactory(initiator=seat)
        elif model is EducationCredit:
            rf.EducationCreditFactory(membership=seat)
        elif model is ConsentRequest:
            ConsentRequest.objects.create(referral=rf.ReferralFactory(giver=seat), token_hash=secrets.token_hex(32),
                                          sent_by=seat.user, expires_at=now + timedelta(days=7))
        elif model.__name__ == "TaskRun":
            from leadsgroups.beat import BEAT_SCHEDULE

            entry = secrets.choice(sorted(BEAT_SCHEDULE))
            model.objects.create(task_name=BEAT_SCHEDULE[entry]["task"], beat_entry=entry, task_id=secrets.token_hex(8),
                                 state=secrets.choice(["succeeded", "failed"]), finished_at=now, error="ValueError: x")
        elif model.__name__ == "ScorecardLimits":
            model.objects.create(region=chapter.region)
        elif model.__name__ == "ScorecardRules":
            model.objects.create(chapter=chapter, updated_by=seat.user)
        elif model.__name__ == "ApiToken":
            from api.services import api_token_create

            api_token_create(user=seat.user, name="Spreadsheet", scope="read", days=30)
        elif model.__name__ == "IntegrityFlag":
            model.objects.create(chapter=chapter, kind="ring", key=str(seat.pk), figures={}).memberships.set([seat])
        elif model.__name__ == "IntegrityRules":
            model.objects.create(chapter=chapter, updated_by=seat.user)
        elif model.__name__ == "IntegrityCheck":
            model.objects.create(chapter=chapter, checked_at=now)
        else:
            raise AssertionError(f"no rows are built for {model.__name__}: add it to _build")


REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_each_admin_list_runs_as_many_queries_for_30_rows_as_for_3(client, db, model):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    counts = []
    for n in (3, 27):
        _build(model, n)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    assert model._default_manager.count() >= 30
    assert counts[0] == counts[1], f"{model.__name__}: {counts[0]} queries for 3 rows, {counts[1]} for 30"


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_each_admin_list_and_change_page_opens_for_a_superuser(client, db, model):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    _build(model, 2)
    info = model._meta.app_label, model._meta.model_name
    changelist = reverse("admin:{}_{}_changelist".format(*info))
    assert client.get(changelist).status_code == 200
    model_admin = admin.site._registry[model]
    if model_admin.search_fields:
        assert client.get(changelist, {"q": "Person 1"}).status_code == 200
    obj = model._default_manager.order_by("pk").last()
    assert client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk])).status_code == 200


def test_no_change_page_renders_a_select_of_every_chapter_or_person(client, db):
    """Foreign keys to big tables are autocompletes or raw ids, never a <select> of all their rows."""
    from django.db.models import ForeignKey

    from chapters.models import Chapter
    from meetings.models import Meeting
    from members.models import Membership

    big = {Chapter, User, Membership, Meeting}
    offenders = []
    for model, model_admin in admin.site._registry.items():
        shown = set(model_admin.autocomplete_fields) | set(model_admin.raw_id_fields)
        readonly = set(model_admin.readonly_fields)
        editable = model_admin.has_change_permission.__func__ is admin.ModelAdmin.has_change_permission
        for field in model._meta.get_fields():
            if isinstance(field, ForeignKey) and field.related_model in big and editable:
                if field.name not in shown | readonly and field.name not in (model_admin.exclude or []):
                    offenders.append(f"{model.__name__}.{field.name}")
    assert offenders == []


def test_the_chapter_filter_narrows_by_name_prefix_or_slug(client, db):
    from tests.enforcement.factories import FineFactory
    from tests.factories import ChapterFactory, MembershipFactory, UserFactory

    north = FineFactory(membership=MembershipFactory(chapter=ChapterFactory(name="Northside Builders", slug="nb")))
    south = FineFactory(membership=MembershipFactory(chapter=ChapterFactory(name="Southside", slug="ss")))
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:enforcement_fine_changelist")
    for value in ("north", "nb"):
        html = client.get(url, {"chapter": value, "status__exact": "open"}).content.decode()
        assert reverse("admin:enforcement_fine_change", args=[north.pk]) in html
        assert reverse("admin:enforcement_fine_change", args=[south.pk]) not in html
        assert '<input type="hidden" name="status__exact" value="open">' in html  # other filters kept
    html = client.get(url).content.decode()
    assert "Southside" in html  # the rows name their chapter ...
    assert "?chapter=ss" not in html  # ... but the filter lists no chapters until asked


def test_a_search_for_a_whole_name_finds_the_member(client, db):
    from tests.enforcement.factories import FineFactory
    from tests.factories import MembershipFactory, UserFactory

    fine = FineFactory(membership=MembershipFactory(user__full_name="Ann Marie Smith"))
    other = FineFactory(membership=MembershipFactory(user__full_name="Ann Other"))
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    html = client.get(reverse("admin:enforcement_fine_changelist"), {"q": "Ann Marie"}).content.decode()
    assert reverse("admin:enforcement_fine_change", args=[fine.pk]) in html
    assert reverse("admin:enforcement_fine_change", args=[other.pk]) not in html


def test_big_tables_are_counted_from_the_planners_estimate_on_postgresql(db, monkeypatch):
    """On PostgreSQL a list above the threshold takes pg_class.reltuples (whole) or EXPLAIN's rows (filtered)."""
    from django.db import connection

    from leadsgroups import admin_lists
    from members.models import Notification
    from tests.factories import UserFactory

    user = UserFactory()
    for i in range(5):
        Notification.objects.create(user=user, kind="fine" if i < 3 else "case", title=f"N{i}")
    exact = admin_lists.EstimatedCountPaginator(Notification.objects.order_by("pk"), 100)
    assert exact.count == 5  # below the threshold (and on SQLite): exact
    if connection.vendor != "postgresql":
        return
    monkeypatch.setattr(admin_lists, "EXACT_COUNT_BELOW", 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE members_notification")
    whole = admin_lists.EstimatedCountPaginator(Notification.objects.order_by("pk"), 100)
    with CaptureQueriesContext(connection) as queries:
        assert whole.count == 5  # fresh statistics: the estimate is the count
    assert "reltuples" in queries[0]["sql"] and "COUNT(" not in queries[0]["sql"]
    filtered = admin_lists.EstimatedCountPaginator(Notification.objects.filter(kind="fine").order_by("pk"), 100)
    with CaptureQueriesContext(connection) as queries:
        assert filtered.count >= 1
    assert queries[0]["sql"].startswith("EXPLAIN")
