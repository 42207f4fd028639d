"""One-to-ones count once the other confirms; education credits."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from members.models import Notification
from referrals import services
from referrals.models import EducationCredit, OneToOne


def test_recording_notifies_the_other_who_confirms(client, personas):
    personas.login(client, "member")
    today = timezone.localdate(timezone=personas.chapter.tz)
    response = client.post(
        personas.url("referrals:one-to-ones"),
        {"other": personas.president.pk, "met_on": today.isoformat(), "notes": "Coffee"},
    )
    assert response.status_code == 302
    one = OneToOne.objects.get()
    assert one.status == "pending"
    assert Notification.objects.filter(
        user=personas.president.user, kind=Notification.Kind.ONE_TO_ONE
    ).exists()
    personas.login(client, "president")
    assert b"Confirm" in client.get(personas.url("referrals:one-to-ones")).content
    client.post(personas.url("referrals:one-to-one-answer", one.pk), {"answer": "confirm"})
    one.refresh_from_db()
    assert one.status == "confirmed"


def test_the_initiator_cannot_confirm_their_own(personas):
    one = services.one_to_one_record(
        chapter=personas.chapter, by=personas.member, other=personas.member2, met_on=timezone.localdate()
    )
    with pytest.raises(PermissionDenied):
        services.one_to_one_answer(one_to_one=one, by=personas.member, confirm=True)


@pytest.mark.parametrize("other,days", [("member", 0), ("outsider", 0), ("member2", -2)])
def test_one_to_one_validation(personas, other, days):
    with pytest.raises(ValidationError):
        services.one_to_one_record(
            chapter=personas.chapter,
            by=personas.member,
            other=getattr(personas, other),
            met_on=timezone.localdate() - timedelta(days=days),
        )


def test_foreign_one_to_one_id_is_404(client, personas):
    one = services.one_to_one_record(
        chapter=personas.chapter, by=personas.member, other=personas.member2, met_on=timezone.localdate()
    )
    personas.login(client, "outsider")
    url = personas.url("referrals:one-to-one-answer", one.pk, chapter=personas.other_chapter)
    assert client.post(url, {"answer": "confirm"}).status_code == 404


def test_education_credit_recorded_and_bad_hours_refused(client, personas):
    personas.login(client, "member")
    url = personas.url("referrals:education")
    today = timezone.localdate(timezone=personas.chapter.tz).isoformat()
    assert (
        client.post(url, {"completed_on": today, "title": "Pitch skills", "hours": "-1"}).status_code == 422
    )
    assert (
        client.post(url, {"completed_on": today, "title": "Pitch skills", "hours": "500"}).status_code == 422
    )
    assert (
        client.post(url, {"completed_on": today, "title": "Pitch skills", "hours": "1.5"}).status_code == 302
    )
    assert EducationCredit.objects.get().membership == personas.member


def test_both_recording_the_same_meeting_counts_it_once(client, personas):
    today = timezone.localdate(timezone=personas.chapter.tz)
    services.one_to_one_record(
        chapter=personas.chapter, by=personas.member, other=personas.member2, met_on=today
    )
    personas.login(client, "member2")
    response = client.post(
        personas.url("referrals:one-to-ones"), {"other": personas.member.pk, "met_on": today.isoformat()}
    )
    assert response.status_code == 302
    (one,) = OneToOne.objects.all()
    assert one.initiator == personas.member and one.status == "confirmed"
    assert "now confirmed" in client.get(response.url).content.decode()
    with pytest.raises(ValidationError):
        services.one_to_one_record(
            chapter=personas.chapter, by=personas.member2, other=personas.member, met_on=today
        )
    assert OneToOne.objects.count() == 1


# Taking back what was recorded by mistake -------------------------------------------------------


def _credit(personas, who="member", **kwargs):
    from tests.referrals.factories import EducationCreditFactory

    return EducationCreditFactory(membership=getattr(personas, who), **kwargs)


def test_a_member_corrects_their_own_education_credit(client, personas):
    credit = _credit(personas, hours=2)
    personas.login(client, "member")
    page = client.get(personas.url("referrals:education")).content.decode()
    edit = personas.url("referrals:education-edit", credit.pk)
    assert edit in page
    assert 'value="Negotiation workshop"' in client.get(edit).content.decode()
    today = timezone.localdate(timezone=personas.chapter.tz)
    response = client.post(edit, {"completed_on": today.isoformat(), "title": "Sales workshop", "hours": "1.5"})
    assert response.status_code == 302
    credit.refresh_from_db()
    assert (credit.title, str(credit.hours), credit.completed_on) == ("Sales workshop", "1.50", today)


def test_a_correction_is_validated_like_a_new_credit_and_keeps_what_was_typed(client, personas):
    credit = _credit(personas, hours=2)
    personas.login(client, "member")
    today = timezone.localdate(timezone=personas.chapter.tz)
    response = client.post(
        personas.url("referrals:education-edit", credit.pk),
        {"completed_on": today.isoformat(), "title": "Typed title", "hours": "99"},
    )
    assert response.status_code == 422 and b'value="Typed title"' in response.content
    credit.refresh_from_db()
    assert credit.hours == 2


def test_a_member_deletes_their_own_education_credit_and_the_stats_follow(client, personas):
    from referrals import selectors

    credit = _credit(personas, hours=3, completed_on=timezone.localdate(timezone=personas.chapter.tz))
    personas.login(client, "member")
    response = client.post(personas.url("referrals:education-delete", credit.pk))
    assert response.status_code == 302 and not EducationCredit.objects.exists()
    start, end = selectors.default_period(personas.chapter)
    _rows, total = selectors.chapter_stats(chapter=personas.chapter, start=start, end=end)
    assert total.ceu_hours == 0


@pytest.mark.parametrize("who,status", [("member2", 404), ("president", 404), ("org_admin", 403)])
def test_nobody_else_corrects_or_deletes_a_members_credit(client, personas, who, status):
    """Another member's credit is not theirs to find (404), as with a foreign id; seatless oversight
    cannot keep credits at all (403, as on the education page)."""
    credit = _credit(personas, hours=2)
    personas.login(client, who)
    assert client.get(personas.url("referrals:education-edit", credit.pk)).status_code == status
    assert client.post(personas.url("referrals:education-delete", credit.pk)).status_code == status
    today = timezone.localdate(timezone=personas.chapter.tz).isoformat()
    edit = {"completed_on": today, "title": "Hacked", "hours": "40"}
    assert client.post(personas.url("referrals:education-edit", credit.pk), edit).status_code == status
    credit.refresh_from_db()
    assert credit.title == "Negotiation workshop" and credit.hours == 2


def test_the_services_refuse_someone_elses_credit(personas):
    credit = _credit(personas)
    with pytest.raises(PermissionDenied):
        services.education_credit_delete(credit=credit, by=personas.member2)
    with pytest.raises(PermissionDenied):
        services.education_credit_update(
            credit=credit, by=personas.member2, completed_on=credit.completed_on, title="x", hours=1
        )


def test_the_initiator_withdraws_an_unanswered_one_to_one(client, personas):
    personas.login(client, "member")
    today = timezone.localdate(timezone=personas.chapter.tz)
    client.post(personas.url("referrals:one-to-ones"), {"other": personas.president.pk, "met_on": today.isoformat()})
    one = OneToOne.objects.get()
    page = client.get(personas.url("referrals:one-to-ones")).content.decode()
    assert "Withdraw: recorded by mistake" in page
    response = client.post(personas.url("referrals:one-to-one-withdraw", one.pk), follow=True)
    assert "withdrawn" in response.content.decode() and not OneToOne.objects.exists()
    notice = Notification.objects.get(user=personas.president.user, kind=Notification.Kind.ONE_TO_ONE)
    assert notice.read_at is not None  # the request to confirm it no longer waits for the president
    # Recorded again (the right day this time), it works as new.
    client.post(personas.url("referrals:one-to-ones"), {"other": personas.president.pk, "met_on": today.isoformat()})
    assert OneToOne.objects.filter(status="pending").count() == 1


def test_an_answered_one_to_one_cannot_be_withdrawn(client, personas):
    from tests.referrals.factories import OneToOneFactory

    one = OneToOneFactory(initiator=personas.member, other=personas.president, status="confirmed")
    personas.login(client, "member")
    assert b"Withdraw" not in client.get(personas.url("referrals:one-to-ones")).content
    response = client.post(personas.url("referrals:one-to-one-withdraw", one.pk), follow=True)
    assert "can no longer be withdrawn" in response.content.decode()
    assert OneToOne.objects.filter(pk=one.pk, status="confirmed").exists()


@pytest.mark.parametrize("who,status", [("president", 403), ("member2", 403), ("region_staff", 403)])
def test_only_the_initiator_withdraws(client, personas, who, status):
    from tests.referrals.factories import OneToOneFactory

    one = OneToOneFactory(initiator=personas.member, other=personas.president)
    personas.login(client, who)
    assert client.post(personas.url("referrals:one-to-one-withdraw", one.pk)).status_code == status
    assert OneToOne.objects.filter(pk=one.pk).exists()
    with pytest.raises(PermissionDenied):
        services.one_to_one_withdraw(one_to_one=one, by=personas.president)
