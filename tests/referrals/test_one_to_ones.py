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
