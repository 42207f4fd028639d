"""Issue 17 (item 6): a visitor made an applicant is emailed an invitation to set a password and see the chapter."""

import pytest
from django.core import mail

from chapters.models import Chapter
from meetings import services
from members.models import Invitation, Membership, OutboundEmail
from members.outbox import email_send
from tests.meetings.factories import MeetingFactory, VisitorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def vera(personas):
    """A visitor without an account, in a free classification."""
    return VisitorFactory(meeting=MeetingFactory(chapter=personas.chapter), name="Vera Visitor",
                          email="vera@example.com", classification=None)


def _invitation_email():
    return OutboundEmail.objects.get(kind=OutboundEmail.Kind.INVITATION, to="vera@example.com")


def test_converting_queues_one_invitation_email_with_a_link(personas, vera, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        seat = services.visitor_convert(visitor=vera, by=personas.president.user)
    assert seat.status == "applicant" and not seat.user.has_usable_password()
    invitation = Invitation.objects.get(chapter=personas.chapter, email="vera@example.com")
    assert invitation.is_open and invitation.invited_by == personas.president.user
    email = _invitation_email()
    assert email.status == "queued" and email.invitation == invitation and "/invitations/" in email.body
    assert callbacks  # its send is queued once the conversion commits
    vera.refresh_from_db()
    assert vera.invitation == invitation and vera.applicant_membership == seat


def test_converting_twice_emails_once(personas, vera):
    first = services.visitor_convert(visitor=vera, by=personas.president.user)
    again = services.visitor_convert(visitor=vera, by=personas.vice_president.user)
    assert again == first
    assert Invitation.objects.filter(email="vera@example.com").count() == 1
    assert OutboundEmail.objects.filter(to="vera@example.com").count() == 1


def test_the_email_is_in_the_chapters_language(personas, vera):
    Chapter.objects.filter(pk=personas.chapter.pk).update(language="de")
    vera.meeting.chapter.refresh_from_db()
    services.visitor_convert(visitor=vera, by=personas.president.user)
    email = _invitation_email()
    assert "Passwort" in email.body and "Sie" in email.body


def test_the_president_sees_the_invitation_queued_then_sent(client, personas, vera):
    personas.login(client, "president")
    response = client.post(personas.url("meetings:visitor-convert", vera.pk), follow=True)
    html = response.content.decode()
    assert "is now an applicant of the chapter" in html and "queued for vera@example.com" in html
    assert 'data-testid="applicant-invitation"' in html and "Email queued" in html
    email_send(email_id=_invitation_email().pk)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["vera@example.com"]
    html = client.get(personas.url("meetings:visitor-edit", vera.pk)).content.decode()
    assert "Email sent" in html and "Email queued" not in html


def test_accepting_sets_the_password_and_opens_the_chapter(client, personas, vera):
    services.visitor_convert(visitor=vera, by=personas.president.user)
    link = next(line for line in _invitation_email().body.splitlines() if "/invitations/" in line)
    path = link[link.index("/invitations/"):].split()[0]
    response = client.post(path, {"full_name": "Vera Visitor", "password1": "a-long-pass-2026",
                                  "password2": "a-long-pass-2026"})
    assert response.status_code == 302 and response["Location"] == personas.url("chapters:home")
    seat = Membership.objects.get(user__email="vera@example.com", chapter=personas.chapter)
    assert seat.user.check_password("a-long-pass-2026") and seat.is_seated
    assert client.get(personas.url("chapters:home")).status_code == 200
    client.logout()
    assert client.login(email="vera@example.com", password="a-long-pass-2026")


def test_a_visitor_without_an_email_is_told_and_nothing_is_sent(client, personas):
    nobody = VisitorFactory(meeting=MeetingFactory(chapter=personas.chapter), name="No Mail", email="",
                            classification=None)
    personas.login(client, "president")
    response = client.post(personas.url("meetings:visitor-convert", nobody.pk), follow=True)
    assert response.status_code == 200
    assert "Add the visitor&#x27;s email address first" in response.content.decode()
    assert not OutboundEmail.objects.exists() and not Invitation.objects.exists()


def test_an_account_with_a_password_is_still_asked_to_sign_in(personas, vera):
    """Only an account nobody can sign in to is claimed through the link; any other needs its own sign-in."""
    from django.core.exceptions import ValidationError

    from members.services import invitation_accept

    services.visitor_convert(visitor=vera, by=personas.president.user)
    seat = Membership.objects.get(user__email="vera@example.com")
    seat.user.set_password("someone-set-it-2026")
    seat.user.save()
    with pytest.raises(ValidationError, match="sign in first"):
        invitation_accept(invitation=Invitation.objects.get(email="vera@example.com"), user=None,
                          full_name="X", password="another-pass-2026")
