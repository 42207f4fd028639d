"""A classification an open invitation offers is kept for its invitee: member edit, visitor conversion, activation."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from meetings import services as meeting_services
from members.models import AuditEvent, Membership, User
from members.services import invitation_accept, invitation_create, membership_change
from tests.factories import ClassificationFactory, MembershipFactory
from tests.meetings.factories import MeetingFactory, VisitorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bakery(personas):
    """The Bakery classification, nobody's yet, offered to Nina by an open invitation."""
    bakery = ClassificationFactory(name="Bakery")
    invitation_create(chapter=personas.chapter, email="nina@example.com", full_name="Nina New", role="member",
                      classification=bakery, invited_by=personas.president.user)
    return bakery


def _edit(client, personas, target, **data):
    personas.login(client, "president")
    base = {"role": target.role, "status": target.status, "classification": target.classification.pk, "reason": ""}
    return client.post(personas.url("chapters:member-edit", target.pk), {**base, **data})


def test_member_edit_refuses_a_classification_an_open_invitation_offers(client, personas, bakery):
    """Issue 10: editing a member cannot give away the classification promised to an invitee."""
    before = personas.member.classification
    response = _edit(client, personas, personas.member, classification=bakery.pk)
    html = response.content.decode()
    assert response.status_code == 200
    assert "The open invitation to nina@example.com" in html and "offers the classification Bakery" in html
    personas.member.refresh_from_db()
    assert personas.member.classification == before
    assert not AuditEvent.objects.filter(action="membership.changed").exists()


def test_activation_refuses_an_applicant_whose_classification_is_offered_to_someone_else(personas):
    applicant = MembershipFactory(chapter=personas.chapter, status="applicant", classification=None)
    bakery = ClassificationFactory(name="Bakery")
    Membership.objects.filter(pk=applicant.pk).update(classification=bakery)  # applied as a baker
    invitation_create(chapter=personas.chapter, email="nina@example.com", full_name="", role="member",
                      classification=bakery, invited_by=personas.president.user)
    with pytest.raises(ValidationError, match="open invitation to nina@example.com"):
        membership_change(membership=applicant, by=personas.president.user, status="active", reason="Approved")
    applicant.refresh_from_db()
    assert applicant.status == "applicant"


def test_activation_through_the_edit_page_names_the_invitation(client, personas, bakery):
    applicant = MembershipFactory(chapter=personas.chapter, status="applicant", classification=bakery)
    response = _edit(client, personas, applicant, status="active", reason="Approved by the committee")
    assert "The open invitation to nina@example.com" in response.content.decode()
    assert Membership.objects.get(pk=applicant.pk).status == "applicant"


def test_the_invitees_own_seat_may_take_the_classification(personas, bakery):
    nina = MembershipFactory(chapter=personas.chapter, status="applicant", classification=bakery,
                             user__email="nina@example.com")
    membership_change(membership=nina, by=personas.president.user, status="active", reason="Approved")
    assert Membership.objects.get(pk=nina.pk).status == "active"


def test_an_expired_invitation_reserves_nothing(personas, bakery):
    with time_machine.travel(timezone.now() + timedelta(days=60)):
        membership_change(membership=personas.member, by=personas.president.user, classification=bakery)
    assert Membership.objects.get(pk=personas.member.pk).classification == bakery


def test_other_changes_to_a_seat_are_not_held_up(personas, bakery):
    """Probation, a role: nothing newly given, so no reservation is in the way (the seat keeps its own)."""
    membership_change(membership=personas.member, by=personas.president.user, status="probation", reason="Late fees")
    membership_change(membership=personas.member, by=personas.president.user, role="vice_president")
    assert Membership.objects.get(pk=personas.member.pk).status == "probation"


def test_visitor_conversion_refuses_a_classification_an_open_invitation_offers(client, personas, bakery):
    visitor = VisitorFactory(meeting=MeetingFactory(chapter=personas.chapter), name="Vic Visitor",
                             email="vic@example.com", classification=bakery)
    with pytest.raises(ValidationError, match="open invitation to nina@example.com"):
        meeting_services.visitor_convert(visitor=visitor, by=personas.president.user)
    personas.login(client, "president")
    response = client.post(personas.url("meetings:visitor-convert", visitor.pk), follow=True)
    assert "The open invitation to nina@example.com" in response.content.decode()
    assert not User.objects.filter(email="vic@example.com").exists()
    visitor.refresh_from_db()
    assert visitor.applicant_membership is None and visitor.follow_up == "new"


def test_once_the_invitee_accepts_the_classification_is_theirs(personas, bakery):
    invitation = personas.chapter.invitations.get(email="nina@example.com")
    seat = invitation_accept(invitation=invitation, user=None, full_name="Nina New", password="pw-for-tests-1")
    assert seat.classification == bakery and seat.status == "active"
