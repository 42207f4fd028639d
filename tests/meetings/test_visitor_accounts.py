"""Converting a visitor whose email already has an account invites its owner; it never seats them."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from meetings import services
from members.models import AuditEvent, Invitation, Membership
from members.services import invitation_accept, membership_change
from tests.factories import ClassificationFactory, MembershipFactory
from tests.meetings.factories import MeetingFactory, VisitorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def otto_visits(personas):
    """The president of another chapter, who has an account, recorded as a visitor with his email."""
    return VisitorFactory(meeting=MeetingFactory(chapter=personas.chapter), name="Otto Outsider",
                          email=personas.outsider.user.email.upper(), classification=ClassificationFactory(name="Law"))


def test_converting_a_visitor_with_an_account_invites_them_and_seats_nobody(client, personas, otto_visits):
    """Issue 10: a president cannot seat someone's existing account by adding them as a visitor."""
    personas.login(client, "president")
    response = client.post(personas.url("meetings:visitor-convert", otto_visits.pk), follow=True)
    html = response.content.decode()
    assert "already has an account" in html and "they get their seat when they accept it" in html
    assert "an invitation to join is queued for them" in html  # queued: its email has not gone yet

    otto = personas.outsider.user
    assert not Membership.objects.filter(user=otto, chapter=personas.chapter).exists()
    invitation = Invitation.objects.get(chapter=personas.chapter)
    assert (invitation.email, invitation.role, invitation.classification.name) == (otto.email, "member", "Law")
    assert invitation.invited_by == personas.president.user and invitation.is_open
    otto_visits.refresh_from_db()
    assert otto_visits.invitation == invitation and otto_visits.applicant_membership is None
    assert otto_visits.follow_up == "applied"
    event = AuditEvent.objects.get(action="visitor.invited")
    assert event.actor == personas.president.user and event.target_id == str(invitation.pk)
    assert 'data-testid="visitor-invitation"' in html and "waiting for them to accept" in html
    assert "Open their seat" not in html


def test_converting_again_sends_no_second_invitation_and_still_seats_nobody(personas, otto_visits):
    first = services.visitor_convert(visitor=otto_visits, by=personas.president.user)
    again = services.visitor_convert(visitor=otto_visits, by=personas.vice_president.user)
    assert again == first and Invitation.objects.count() == 1
    assert not Membership.objects.filter(user=personas.outsider.user, chapter=personas.chapter).exists()


def test_only_accepting_the_invitation_seats_them(client, personas, otto_visits):
    invitation = services.visitor_convert(visitor=otto_visits, by=personas.president.user)
    otto = personas.outsider.user
    seat = invitation_accept(invitation=invitation, user=otto)
    assert seat.status == "active" and seat.chapter == personas.chapter and seat.user == otto
    personas.login(client, "president")
    html = client.get(personas.url("meetings:visitor-edit", otto_visits.pk)).content.decode()
    assert "Joined by accepting the invitation" in html
    assert personas.url("chapters:member-edit", seat.pk) in html


def test_a_former_member_with_an_account_is_invited_not_put_back(personas):
    """A departed seat is not revived as an applicant the president could then activate."""
    former = MembershipFactory(chapter=personas.chapter, status="resigned", joined_on=date(2022, 1, 1),
                               classification=None, user__email="fred@example.com")
    visitor = VisitorFactory(meeting=MeetingFactory(chapter=personas.chapter), email="fred@example.com",
                             classification=None)
    result = services.visitor_convert(visitor=visitor, by=personas.president.user)
    assert isinstance(result, Invitation) and result.email == "fred@example.com"
    former.refresh_from_db()
    assert former.status == "resigned"


def test_an_open_invitation_already_sent_is_the_one_the_visitor_gets(personas, otto_visits):
    from members.services import invitation_create

    sent, _link = invitation_create(chapter=personas.chapter, email=personas.outsider.user.email, full_name="Otto",
                                    role="member", classification=None, invited_by=personas.vice_president.user)
    assert services.visitor_convert(visitor=otto_visits, by=personas.president.user) == sent
    assert Invitation.objects.count() == 1


def test_an_invitation_that_cannot_be_made_is_explained_and_nothing_is_kept(personas, otto_visits):
    otto_visits.classification = personas.member.classification  # held by a member of the chapter
    otto_visits.save()
    with pytest.raises(ValidationError, match="already has an account, so they are invited rather than seated"):
        services.visitor_convert(visitor=otto_visits, by=personas.president.user)
    assert not Invitation.objects.exists() and not AuditEvent.objects.filter(action="visitor.invited").exists()
    otto_visits.refresh_from_db()
    assert otto_visits.invitation is None and otto_visits.follow_up == "new"


def test_a_visitor_without_an_account_still_becomes_an_applicant(personas):
    visitor = VisitorFactory(meeting=MeetingFactory(chapter=personas.chapter), email="new.face@example.com")
    membership = services.visitor_convert(visitor=visitor, by=personas.president.user)
    assert isinstance(membership, Membership) and membership.status == "applicant"
    # ... and is invited to set a password (issue 17, item 6): test_visitor_invitation.py
    assert list(Invitation.objects.values_list("email", flat=True)) == ["new.face@example.com"]


def test_the_president_cannot_seat_the_account_without_its_owner_accepting(client, personas, otto_visits):
    """After converting (twice, even) Otto has no seat to activate: he is an open invitation, nothing more."""
    personas.login(client, "president")
    for _ in range(2):
        client.post(personas.url("meetings:visitor-convert", otto_visits.pk))
    otto = personas.outsider.user
    assert not Membership.objects.filter(user=otto, chapter=personas.chapter).exists()
    page = client.get(personas.url("chapters:members")).content.decode()
    invited, seats_below = page.split('data-testid="invitations"', 1)[1].split("</ul>", 1)
    assert otto.email in invited  # listed as invited, to accept or not
    assert otto.email not in seats_below and "Otto Outsider" not in seats_below  # and nowhere among the seats


def test_an_applicant_made_from_an_earlier_visit_keeps_todays_path(personas):
    """Their account was made by an earlier conversion, and they are an applicant here already."""
    earlier = VisitorFactory(meeting=MeetingFactory(chapter=personas.chapter), email="abe@example.com",
                             classification=None)
    applicant = services.visitor_convert(visitor=earlier, by=personas.president.user)
    again = VisitorFactory(meeting=MeetingFactory(chapter=personas.chapter), email="abe@example.com",
                           classification=None)
    assert services.visitor_convert(visitor=again, by=personas.president.user) == applicant
    assert Invitation.objects.count() == 1  # the first conversion's invitation stands: no second email
    membership_change(membership=applicant, by=personas.president.user, status="active", reason="Approved")
