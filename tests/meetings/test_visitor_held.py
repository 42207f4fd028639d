"""Issue 17 (item 6): converting a visitor whose classification a member holds warns before it goes ahead."""

import pytest

from members.models import Membership
from tests.meetings.factories import MeetingFactory, VisitorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rival(personas):
    """A visitor in the classification Mona Member holds."""
    assert personas.member.classification is not None
    return VisitorFactory(meeting=MeetingFactory(chapter=personas.chapter), name="Rita Rival",
                          email="rita@example.com", classification=personas.member.classification)


def test_a_held_classification_is_warned_about_and_nothing_happens_without_the_tick(client, personas, rival):
    personas.login(client, "president")
    page = client.get(personas.url("meetings:visitor-edit", rival.pk)).content.decode()
    assert 'data-testid="held-warning"' in page and 'name="confirm_held"' in page
    response = client.post(personas.url("meetings:visitor-convert", rival.pk), follow=True)
    assert "is held by a member of the chapter: tick the box" in response.content.decode()
    assert not Membership.objects.filter(user__email="rita@example.com").exists()


def test_with_the_tick_the_visitor_becomes_an_applicant(client, personas, rival):
    personas.login(client, "president")
    client.post(personas.url("meetings:visitor-convert", rival.pk), {"confirm_held": "1"})
    assert Membership.objects.get(user__email="rita@example.com").status == "applicant"


def test_a_free_classification_needs_no_tick(client, personas):
    visitor = VisitorFactory(meeting=MeetingFactory(chapter=personas.chapter), email="free@example.com",
                             classification=None)
    personas.login(client, "president")
    assert 'data-testid="held-warning"' not in client.get(
        personas.url("meetings:visitor-edit", visitor.pk)).content.decode()
    client.post(personas.url("meetings:visitor-convert", visitor.pk))
    assert Membership.objects.get(user__email="free@example.com").status == "applicant"
