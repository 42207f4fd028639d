"""The review of an expulsion case: who recommends, appeals and decides; the deadline; each decision's effect."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from enforcement import review, tasks
from enforcement.models import ExpulsionCase
from members.models import AuditEvent, Membership, Notification
from tests.enforcement.factories import ExpulsionCaseFactory
from tests.factories import MembershipFactory, RegionStaffFactory, UserFactory

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def case(personas):
    c = ExpulsionCaseFactory(membership=personas.member)
    ExpulsionCase.objects.filter(pk=c.pk).update(opened_at=NOW, appeal_deadline=NOW + timedelta(days=14))
    c.refresh_from_db()
    return c


AFTER = NOW + timedelta(days=15)


def decide(case, by, decision="dismiss", **kw):
    kw.setdefault("reason", "Weighed the evidence and the appeal.")
    return review.case_decide(case=case, by=by, decision=decision, now=kw.pop("now", AFTER), **kw)


# The deadline -------------------------------------------------------------------------------------


def test_a_new_case_gets_the_configured_appeal_days(personas):
    with override_settings(EXPULSION_APPEAL_DAYS=5):
        case = ExpulsionCaseFactory(membership=personas.member)
    assert case.appeal_deadline - case.opened_at == pytest.approx(timedelta(days=5), abs=timedelta(seconds=2))


def test_appeal_days_default_to_14(personas, settings):
    if hasattr(settings, "EXPULSION_APPEAL_DAYS"):
        del settings.EXPULSION_APPEAL_DAYS
    case = ExpulsionCaseFactory(membership=personas.member)
    assert case.appeal_deadline - case.opened_at == pytest.approx(timedelta(days=14), abs=timedelta(seconds=2))


def test_no_decision_before_the_deadline(case, personas):
    with pytest.raises(ValidationError, match="may appeal until"):
        decide(case, personas.org_admin, now=NOW + timedelta(days=13))
    case.refresh_from_db()
    assert case.status == "open"


def test_decision_after_the_deadline_without_an_appeal(case, personas):
    decide(case, personas.org_admin, now=NOW + timedelta(days=14))
    case.refresh_from_db()
    assert case.status == "decided" and case.decision == "dismiss"


def test_an_appeal_alone_does_not_shorten_the_deadline(case, personas):
    review.case_appeal(case=case, by=personas.member.user, text="I was ill.", now=NOW + timedelta(days=1))
    with pytest.raises(ValidationError):
        decide(case, personas.org_admin, now=NOW + timedelta(days=2))


def test_waiving_the_appeal_allows_a_decision_at_once(case, personas):
    review.case_appeal_waive(case=case, by=personas.member.user, now=NOW + timedelta(days=1))
    decide(case, personas.org_admin, now=NOW + timedelta(days=1, hours=1))
    assert ExpulsionCase.objects.get(pk=case.pk).status == "decided"


def test_appeal_with_waive_rest_allows_a_decision_at_once(case, personas):
    review.case_appeal(case=case, by=personas.member.user, text="Sorry.", waive_rest=True, now=NOW + timedelta(days=1))
    decide(case, personas.org_admin, now=NOW + timedelta(days=1, hours=1))
    case.refresh_from_db()
    assert case.appeal_text == "Sorry." and case.status == "decided"


def test_no_appeal_after_the_deadline(case, personas):
    with pytest.raises(ValidationError, match="deadline"):
        review.case_appeal(case=case, by=personas.member.user, text="Late.", now=NOW + timedelta(days=14))


def test_only_one_appeal(case, personas):
    review.case_appeal(case=case, by=personas.member.user, text="First.", now=NOW)
    with pytest.raises(ValidationError, match="already"):
        review.case_appeal(case=case, by=personas.member.user, text="Second.", now=NOW)
    case.refresh_from_db()
    assert case.appeal_text == "First."


def test_an_empty_appeal_is_refused(case, personas):
    with pytest.raises(ValidationError):
        review.case_appeal(case=case, by=personas.member.user, text="   ", now=NOW)


# Who may act ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["president", "vice_president", "member2", "org_admin", "region_staff", "outsider"])
def test_only_the_member_appeals(case, personas, who):
    with pytest.raises(PermissionDenied):
        review.case_appeal(case=case, by=personas.user(who), text="On their behalf.", now=NOW)


@pytest.mark.parametrize("who", ["member", "vice_president", "org_admin", "region_staff", "outsider"])
def test_only_the_president_recommends(case, personas, who):
    with pytest.raises(PermissionDenied):
        review.case_recommend(case=case, by=personas.user(who), recommendation="keep", note="Fine.")


def test_the_president_recommends_and_may_change_it(case, personas):
    review.case_recommend(case=case, by=personas.president.user, recommendation="expel", note="Never there.")
    review.case_recommend(case=case, by=personas.president.user, recommendation="probation", note="Give a chance.")
    case.refresh_from_db()
    assert (case.recommendation, case.president_recommendation) == ("probation", "Give a chance.")
    assert case.recommended_by == personas.president.user and case.status == "open"


def test_a_recommendation_needs_a_note(case, personas):
    with pytest.raises(ValidationError):
        review.case_recommend(case=case, by=personas.president.user, recommendation="keep", note="")


@pytest.mark.parametrize("who", ["president", "vice_president", "member2", "outsider", "other_region_staff"])
def test_these_cannot_decide(case, personas, who):
    with pytest.raises(PermissionDenied):
        decide(case, personas.user(who))
    assert ExpulsionCase.objects.get(pk=case.pk).status == "open"


@pytest.mark.parametrize("who", ["org_admin", "region_staff"])
def test_org_admins_and_the_regions_staff_decide(case, personas, who):
    decide(case, personas.user(who))
    assert ExpulsionCase.objects.get(pk=case.pk).decided_by == personas.user(who)


def test_a_member_cannot_decide_their_own_case_even_as_an_admin(case, personas):
    user = personas.member.user
    user.is_org_admin = True
    user.save()
    with pytest.raises(PermissionDenied):
        decide(case, user)


def test_a_president_cannot_recommend_on_their_own_case(personas):
    own = ExpulsionCaseFactory(membership=personas.president)
    with pytest.raises(PermissionDenied):
        review.case_recommend(case=own, by=personas.president.user, recommendation="keep", note="Me.")


def test_a_decided_case_takes_nothing_more(case, personas):
    decide(case, personas.org_admin)
    with pytest.raises(ValidationError):
        decide(case, personas.region_staff)
    with pytest.raises(ValidationError):
        review.case_recommend(case=case, by=personas.president.user, recommendation="keep", note="Late.")


@pytest.mark.parametrize("reason", [" ", "x", "  ok.     "])
def test_a_decision_needs_a_written_reason(case, personas, reason):
    with pytest.raises(ValidationError) as exc:
        decide(case, personas.org_admin, reason=reason)
    assert "reason" in exc.value.message_dict
    case.refresh_from_db()
    assert case.status == ExpulsionCase.Status.OPEN


def test_a_recommendation_needs_a_written_note(case, personas):
    with pytest.raises(ValidationError) as exc:
        review.case_recommend(case=case, by=personas.president.user, recommendation="keep", note="x")
    assert "note" in exc.value.message_dict
    case.refresh_from_db()
    assert case.recommendation == ""


# Effects of each decision --------------------------------------------------------------------------


def test_expel_ends_the_membership_and_frees_the_classification(case, personas):
    classification = personas.member.classification
    decide(case, personas.org_admin, decision="expel")
    m = Membership.objects.get(pk=personas.member.pk)
    assert m.status == "expelled" and m.left_on is not None and not m.is_seated
    assert "case #" in m.status_note
    newcomer = MembershipFactory(chapter=personas.chapter, classification=classification)  # the seat is free
    assert newcomer.is_seated


def test_probation_sets_the_membership_status_with_end_and_conditions(case, personas):
    decide(case, personas.region_staff, decision="probation", probation_until=date(2026, 6, 30),
           conditions="No absence until then.")
    case.refresh_from_db()
    m = Membership.objects.get(pk=personas.member.pk)
    assert m.status == "probation" and m.classification == personas.member.classification
    assert case.probation_until == date(2026, 6, 30) and case.probation_conditions == "No absence until then."
    assert "30 Jun 2026" in m.status_note


@pytest.mark.parametrize("data,field", [
    ({}, "probation_until"),
    ({"probation_until": date(2026, 3, 1), "conditions": "x"}, "probation_until"),
    ({"probation_until": date(2026, 6, 30)}, "conditions"),
])
def test_probation_needs_a_future_end_and_conditions(case, personas, data, field):
    with pytest.raises(ValidationError) as exc:
        decide(case, personas.org_admin, decision="probation", **data)
    assert field in exc.value.message_dict
    assert Membership.objects.get(pk=personas.member.pk).status == "active"


def test_probation_cannot_end_more_than_two_years_ahead(case, personas):
    with pytest.raises(ValidationError) as exc:
        decide(case, personas.org_admin, decision="probation", probation_until=date(9999, 12, 31), conditions="x")
    assert exc.value.message_dict["probation_until"] == ["Probation may last at most 2 years: end it by 17 Mar 2028."]
    assert ExpulsionCase.objects.get(pk=case.pk).status == "open"
    decide(case, personas.org_admin, decision="probation", probation_until=date(2028, 3, 17), conditions="x")
    assert ExpulsionCase.objects.get(pk=case.pk).probation_until == date(2028, 3, 17)


def test_dismiss_leaves_the_membership_as_it_was(case, personas):
    decide(case, personas.org_admin, decision="dismiss")
    assert Membership.objects.get(pk=personas.member.pk).status == "active"
    assert ExpulsionCase.objects.get(pk=case.pk).decision == "dismiss"


def test_dismissal_is_recorded_on_the_membership_with_an_audit_event(case, personas):
    decide(case, personas.org_admin, decision="dismiss", reason="Absences were excused after all.")
    m = Membership.objects.get(pk=personas.member.pk)
    assert m.status_note == f"Expulsion case #{case.pk} dismissed: Absences were excused after all."
    event = AuditEvent.objects.get(action="membership.noted", target_id=str(m.pk))
    assert event.actor == personas.org_admin and event.chapter == personas.chapter
    assert event.after == {"status_note": m.status_note}


def test_dismissal_keeps_a_departed_members_note_on_why_they_left(case, personas):
    Membership.objects.filter(pk=personas.member.pk).update(status="resigned", status_note="Moved abroad")
    decide(case, personas.org_admin, decision="dismiss")
    assert Membership.objects.get(pk=personas.member.pk).status_note == "Moved abroad"
    assert ExpulsionCase.objects.get(pk=case.pk).decision == "dismiss"


def test_only_dismissal_for_a_member_who_left(case, personas):
    Membership.objects.filter(pk=personas.member.pk).update(status="resigned")
    with pytest.raises(ValidationError, match="only dismissal"):
        decide(case, personas.org_admin, decision="expel")


def test_a_decision_tells_the_member_and_the_president_once(case, personas):
    decide(case, personas.org_admin, decision="expel")
    mine = Notification.objects.filter(user=personas.member.user, kind="case", dedupe_key=f"case-decided:{case.pk}")
    assert mine.count() == 1 and "expelled" in mine.get().title and "Weighed" in mine.get().body
    assert Notification.objects.filter(user=personas.president.user, kind="case", title__contains="decided").count() == 1
    # the membership change itself does not send a second notice
    assert not Notification.objects.filter(user=personas.member.user, kind="membership").exists()


@pytest.mark.parametrize("decision,extra,to_member,to_president", [
    ("probation", {"probation_until": date(2026, 6, 30), "conditions": "Attend."},
     "You are on probation until 30 Jun 2026.\nConditions: Attend.", "Mona Member is on probation until 30 Jun 2026."),
    ("dismiss", {}, "Your case is dismissed; your membership continues as before.",
     "The case of Mona Member is dismissed"),
    ("expel", {}, "Your membership of Home Chapter has ended: you are expelled.",
     "The membership of Mona Member in Home Chapter has ended"),
])
def test_the_decision_notice_addresses_the_member_as_you(case, personas, decision, extra, to_member, to_president):
    decide(case, personas.org_admin, decision=decision, **extra)
    key = f"case-decided:{case.pk}"
    mine = Notification.objects.get(user=personas.member.user, dedupe_key=key).body
    theirs = Notification.objects.get(user=personas.president.user, dedupe_key=key).body
    assert mine.startswith(to_member) and "Mona Member" not in mine
    assert theirs.startswith(to_president)


def test_region_staff_of_another_region_do_not_hear_of_the_appeal(case, personas):
    review.case_appeal(case=case, by=personas.member.user, text="Hear me.", now=NOW)
    told = set(Notification.objects.filter(kind="case", dedupe_key=f"case-appeal:{case.pk}").values_list("user", flat=True))
    assert {personas.president.user.pk, personas.region_staff.pk, personas.org_admin.pk} <= told
    assert personas.other_region_staff.pk not in told and personas.member.user.pk not in told


def test_the_member_hears_of_the_recommendation(case, personas):
    review.case_recommend(case=case, by=personas.president.user, recommendation="keep", note="Good member.")
    assert Notification.objects.filter(user=personas.member.user, kind="case", body__contains="Good member.").exists()
    assert Notification.objects.filter(user=personas.org_admin, kind="case", title__contains="Recommendation").exists()


# Probation that ends ---------------------------------------------------------------------------------


@pytest.fixture
def on_probation(case, personas):
    decide(case, personas.org_admin, decision="probation", probation_until=date(2026, 4, 30), conditions="Attend.")
    return ExpulsionCase.objects.get(pk=case.pk)


def test_probation_is_not_lifted_on_its_last_day(on_probation):
    last_day = datetime(2026, 4, 30, 22, 0, tzinfo=UTC)  # 23:00 in London (BST)
    assert review.probations_due(now=last_day) == []
    assert review.probation_lift(case_id=on_probation.pk, now=last_day) is False


def test_probation_that_ended_is_lifted_once(on_probation, personas):
    after = datetime(2026, 5, 1, 6, 0, tzinfo=UTC)
    assert review.probations_due(now=after) == [on_probation.pk]
    assert review.probation_lift(case_id=on_probation.pk, now=after) is True
    assert review.probation_lift(case_id=on_probation.pk, now=after) is False  # rerun: nothing
    assert review.probations_due(now=after) == []
    m = Membership.objects.get(pk=personas.member.pk)
    assert m.status == "active"
    assert Notification.objects.filter(user=m.user, kind="case", dedupe_key=f"probation-lifted:{on_probation.pk}").count() == 1
    assert Notification.objects.filter(user=personas.president.user, dedupe_key=f"probation-lifted:{on_probation.pk}").exists()
    mine = Notification.objects.get(user=m.user, dedupe_key=f"probation-lifted:{on_probation.pk}")
    assert mine.body == "Your probation ended on 30 Apr 2026; your membership is active again."


def test_the_daily_task_lifts_ended_probation(on_probation, personas, time_machine, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.probation_lift_task, "delay", queued.append)
    time_machine.move_to(datetime(2026, 5, 2, 3, 0, tzinfo=UTC))
    assert tasks.probations_lift_sweep.apply().get() == 1
    assert queued == [on_probation.pk]
    assert tasks.probation_lift_task.apply(args=[on_probation.pk]).get() is True
    assert Membership.objects.get(pk=personas.member.pk).status == "active"
    assert tasks.probations_lift_sweep.apply().get() == 0


def test_ended_probation_of_a_member_who_left_changes_no_status(on_probation, personas):
    Membership.objects.filter(pk=personas.member.pk).update(status="resigned")
    assert review.probation_lift(case_id=on_probation.pk, now=datetime(2026, 5, 2, tzinfo=UTC))
    assert Membership.objects.get(pk=personas.member.pk).status == "resigned"


def test_beat_runs_the_lift_daily():
    from leadsgroups.celery import app  # what beat is configured with, not the module that defines it

    assert app.conf.beat_schedule["enforcement-probations-lift"]["task"] == "enforcement.tasks.probations_lift_sweep"


def test_region_staff_of_a_chapter_without_region_do_not_oversee(db):
    case = ExpulsionCaseFactory(membership__chapter__region=None)
    staff = RegionStaffFactory().user
    assert not review.can_decide(staff, case)
    assert review.can_decide(UserFactory(is_org_admin=True), case)


def test_an_expelled_member_still_reads_the_decision(client, personas):
    from django.urls import reverse

    from enforcement import review
    from members.models import Notification
    from tests.enforcement.factories import ExpulsionCaseFactory

    case = ExpulsionCaseFactory(membership=personas.member)
    review.case_appeal_waive(case=case, by=personas.member.user)
    review.case_decide(case=case, by=personas.org_admin, decision="expel", reason="Nine absences in a row.")
    notice = Notification.objects.filter(user=personas.member.user, kind="case").order_by("-pk").first()
    assert notice.url == reverse("my-case", args=[case.pk])
    personas.login(client, "member")
    assert client.get(case.get_absolute_url()).status_code == 404  # the chapter's pages are closed now
    body = client.get(notice.url).content.decode()
    assert "Decision: Expel" in body and "Nine absences in a row." in body


def test_a_seated_member_is_sent_to_the_full_case_page(client, personas):
    from django.urls import reverse

    from tests.enforcement.factories import ExpulsionCaseFactory

    case = ExpulsionCaseFactory(membership=personas.member)
    personas.login(client, "member")
    response = client.get(reverse("my-case", args=[case.pk]))
    assert response.status_code == 302 and response.url == case.get_absolute_url()


def test_the_case_opened_notice_still_opens_after_an_expulsion(client, personas):
    """The member's 'under review' notice links to their own case letter, not to a chapter page."""
    from django.urls import reverse

    from enforcement import services
    from tests.enforcement.factories import AttendanceFactory, ChapterRulesFactory, MeetingFactory

    Membership.objects.filter(pk=personas.member.pk).update(joined_on=date(2024, 1, 1))
    ChapterRulesFactory(chapter=personas.chapter, absences_allowed=0, expulsion_violations=1)
    AttendanceFactory(meeting=MeetingFactory(chapter=personas.chapter, local_date=date(2026, 2, 4)),
                      membership=personas.member, status="absent")
    [case] = services.chapter_enforce(chapter=personas.chapter, now=datetime(2026, 3, 2, 12, tzinfo=UTC)).cases
    notice = Notification.objects.get(user=personas.member.user, dedupe_key=f"case:{case.pk}")
    assert notice.url == reverse("my-case", args=[case.pk])
    review.case_appeal_waive(case=case, by=personas.member.user)
    review.case_decide(case=case, by=personas.org_admin, decision="expel", reason="Absent without a word.")
    personas.login(client, "member")
    assert client.get(notice.url).status_code == 200


def test_an_expelled_members_letter_lists_what_they_still_owe_and_the_recommendation(client, personas):
    from django.urls import reverse

    from tests.enforcement.factories import FineFactory

    FineFactory(membership=personas.member, amount="10.00")
    case = ExpulsionCaseFactory(membership=personas.member)
    review.case_recommend(case=case, by=personas.president.user, recommendation="expel", note="Never came back.")
    review.case_appeal_waive(case=case, by=personas.member.user)
    review.case_decide(case=case, by=personas.org_admin, decision="expel", reason="Nine absences in a row.")
    personas.login(client, "member")
    html = client.get(reverse("my-case", args=[case.pk])).content.decode()
    assert 'id="letter-fines"' in html and "Unpaid £10.00" in html
    assert "Never came back." in html
    assert "enforcement/enforcement.css" in html  # the explanation wraps on a phone
