import re
from datetime import UTC, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from members.models import AuditEvent, Invitation, Membership, User
from members.services import invitation_accept, invitation_create
from tests.factories import ClassificationFactory, MembershipFactory, UserFactory
from tests.outbox import outbox_flush


def _invite(personas, email="newbie@example.com", classification=None, role="member"):
    return invitation_create(
        chapter=personas.chapter, email=email, full_name="New Bie", role=role,
        classification=classification, invited_by=personas.president.user,
    )


def _token(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


def test_invitation_emails_a_link_and_keeps_only_a_hash(personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, link = _invite(personas)
    assert outbox_flush() == 1
    assert len(mail.outbox) == 1
    assert link in mail.outbox[0].body
    assert mail.outbox[0].alternatives  # an HTML part too
    assert _token(link) not in invitation.token_hash


def test_accepting_creates_the_account_and_seat_and_signs_in(client, personas):
    classification = ClassificationFactory()
    _, link = _invite(personas, classification=classification)
    response = client.post(
        reverse("invitation-accept", args=[_token(link)]),
        {"full_name": "New Bie", "password1": "a-long-Passphrase-9", "password2": "a-long-Passphrase-9"},
    )
    assert response.status_code == 302
    assert response.url == reverse("chapters:home", args=[personas.chapter.slug])
    membership = Membership.objects.get(user__email="newbie@example.com", chapter=personas.chapter)
    assert membership.status == Membership.Status.ACTIVE and membership.classification == classification
    assert client.get(response.url).status_code == 200  # signed in, seated
    assert AuditEvent.objects.filter(action="membership.joined", target_id=str(membership.pk)).exists()


def test_invitation_link_works_once(client, personas):
    invitation, link = _invite(personas)
    user = UserFactory(email="newbie@example.com")
    invitation_accept(invitation=invitation, user=user)
    response = client.get(reverse("invitation-accept", args=[_token(link)]))
    assert response.status_code == 410


def test_expired_invitation_is_refused(client, personas):
    invitation, link = _invite(personas)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.get(reverse("invitation-accept", args=[_token(link)])).status_code == 410
    assert not User.objects.filter(email="newbie@example.com").exists()


def test_weak_password_is_refused_inline_and_keeps_the_name(client, personas):
    _, link = _invite(personas)
    response = client.post(
        reverse("invitation-accept", args=[_token(link)]),
        {"full_name": "New Bie", "password1": "123", "password2": "123"},
    )
    assert response.status_code == 200
    assert "password1" in response.context["form"].errors
    assert b'value="New Bie"' in response.content
    assert not User.objects.filter(email="newbie@example.com").exists()


def test_signed_in_person_with_another_email_cannot_take_the_seat(client, personas):
    _, link = _invite(personas)
    client.force_login(personas.outsider.user)
    page = client.get(reverse("invitation-accept", args=[_token(link)])).content.decode()
    assert "This invitation is for newbie@example.com" in page and "Join the chapter" not in page
    response = client.post(reverse("invitation-accept", args=[_token(link)]))
    assert "This invitation is for newbie@example.com" in response.content.decode()
    assert not Membership.objects.filter(chapter=personas.chapter, user=personas.outsider.user).exists()


def test_existing_user_joins_a_second_chapter(client, personas):
    _, link = invitation_create(
        chapter=personas.other_chapter, email=personas.member.user.email, full_name="", role="member",
        classification=None, invited_by=personas.outsider.user,
    )
    client.force_login(personas.member.user)
    response = client.post(reverse("invitation-accept", args=[_token(link)]))
    assert response.status_code == 302
    assert personas.member.user.memberships.count() == 2


def test_cannot_invite_into_a_held_classification(personas):
    with pytest.raises(ValidationError) as exc:
        _invite(personas, classification=personas.member.classification)
    assert "classification" in exc.value.message_dict


def test_second_open_invitation_for_the_same_address_is_refused(personas):
    _invite(personas)
    with pytest.raises(ValidationError, match="open invitation"):
        _invite(personas)


def test_invite_form_shows_errors_inline(client, personas):
    personas.login(client, "president")
    response = client.post(personas.url("chapters:member-invite"), {"email": "not-an-email", "role": "member"})
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert b'value="not-an-email"' in response.content


def test_invited_classification_taken_meanwhile_is_refused_on_accept(personas):
    classification = ClassificationFactory()
    invitation, _ = _invite(personas, classification=classification)
    MembershipFactory(chapter=personas.chapter, classification=classification)
    with pytest.raises(ValidationError, match="taken meanwhile"):
        invitation_accept(invitation=invitation, user=None, full_name="X", password="a-long-Passphrase-9")


def test_open_signup_is_off_by_default(client, db):
    response = client.get(reverse("account_signup"))
    assert b"Sign Up Closed" in response.content or response.status_code in (302, 403)


def test_accepting_a_presidency_invitation_hands_the_presidency_over(personas):
    invitation, _ = _invite(personas, role="president")
    membership = invitation_accept(invitation=invitation, user=None, full_name="New Pres", password="a-long-Passphrase-9")
    personas.president.refresh_from_db()
    assert membership.role == "president" and personas.president.role == "member"


def test_the_inviter_is_not_shown_the_secret_link(client, personas):
    personas.login(client, "president")
    response = client.post(personas.url("chapters:member-invite"), {"email": "n@example.com", "role": "member"}, follow=True)
    assert "Invitation queued for n@example.com" in response.content.decode()
    assert not re.search(r"/invitations/[\w-]{20,}/", response.content.decode())  # no token anywhere


def test_the_join_date_is_the_chapters_date(personas):
    from datetime import datetime

    import time_machine

    personas.chapter.timezone = "Pacific/Auckland"
    personas.chapter.save()
    invitation, _ = _invite(personas)
    with time_machine.travel(datetime(2026, 11, 25, 20, 0, tzinfo=UTC)):  # already 26 Nov in Auckland
        membership = invitation_accept(invitation=invitation, user=None, full_name="K", password="a-long-Passphrase-9")
    assert str(membership.joined_on) == "2026-11-26"


def test_an_open_invitation_holds_its_classification(client, personas):
    classification = ClassificationFactory(name="Veterinarian")
    _invite(personas, email="first@example.com", classification=classification)
    personas.login(client, "president")
    response = client.post(personas.url("chapters:member-invite"), {
        "email": "second@example.com", "role": "member", "classification": classification.pk})
    assert response.status_code == 200
    assert "open invitation to first@example.com already offers this classification" in response.content.decode()
    assert not Invitation.objects.filter(email="second@example.com").exists()
    Invitation.objects.filter(email="first@example.com").update(revoked_at=timezone.now())  # withdrawn: free again
    _invite(personas, email="second@example.com", classification=classification)


def test_an_expired_invitation_does_not_block_inviting_the_address_again(personas):
    old, _ = _invite(personas, classification=ClassificationFactory())
    Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))
    new, link = _invite(personas, classification=old.classification)
    assert new.pk != old.pk and new.is_open
    invitation_accept(invitation=new, user=None, full_name="New Bie", password="a-long-Passphrase-9")
    assert Membership.objects.get(user__email="newbie@example.com").classification == old.classification


def test_members_page_marks_an_expired_invitation(client, personas):
    invitation, _ = _invite(personas)
    personas.login(client, "president")
    assert "Expired" not in client.get(personas.url("chapters:members")).content.decode()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(days=1))
    html = client.get(personas.url("chapters:members")).content.decode()
    assert "newbie@example.com" in html and "Expired" in html
