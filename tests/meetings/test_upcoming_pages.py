"""Issue 17 (item 3): the upcoming meetings list and the presentation rota page instead of stopping
at ten rows with no way to see more."""

from datetime import timedelta

import pytest
from django.utils import timezone

from meetings.views import UPCOMING_PER_PAGE
from tests.meetings.factories import MeetingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def year_ahead(personas):
    start = timezone.now() + timedelta(days=1)
    return [
        MeetingFactory(chapter=personas.chapter, starts_at=start + timedelta(weeks=i),
                       local_date=(start + timedelta(weeks=i)).astimezone(personas.chapter.tz).date())
        for i in range(UPCOMING_PER_PAGE + 3)
    ]


@pytest.mark.parametrize("name", ["meetings:list", "meetings:rota"])
def test_every_upcoming_meeting_is_reachable_page_by_page(client, personas, year_ahead, name):
    personas.login(client, "member")
    url = personas.url(name)
    first = client.get(url).content.decode()
    second = client.get(url, {"page": 2}).content.decode()
    assert 'data-testid="pager"' in first and "Page 1 of 2" in first and 'rel="next"' in first
    for meeting in year_ahead:
        link = f'href="{meeting.get_absolute_url()}"'
        assert (link in first) != (link in second), meeting.local_date  # on exactly one page
    assert "Page 2 of 2" in second


def test_the_pager_in_german(client, personas, year_ahead):
    personas.member.user.language = "de"
    personas.member.user.save(update_fields=["language"])
    personas.login(client, "member")
    html = client.get(personas.url("meetings:rota")).content.decode()
    assert "Seite 1 von 2" in html
