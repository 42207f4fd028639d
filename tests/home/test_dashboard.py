"""The dashboard: each chapter's next meeting (in the chapter's own time) and "you present next", and the
traffic lights loaded in a second request, with the query counts of both."""

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.urls import reverse

from home import navigation
from meetings.models import Meeting, Presentation
from members.models import Membership
from tests.factories import ChapterFactory, MembershipFactory
from tests.home.test_pages_at_scale import grow_members, queries
from tests.meetings.factories import MeetingFactory, PresentationFactory

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday, 09:00 in London, 04:00 in New York
LIGHTS = reverse("my-lights")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def seated_for_years(personas):
    """Seats taken long ago (a seat taken today would be judged over a single day)."""
    Membership.objects.filter(chapter__in=[personas.chapter, personas.other_chapter]).update(joined_on=date(2020, 1, 1))


def _meeting(chapter, day: date, at: time, **kwargs) -> Meeting:
    return MeetingFactory(chapter=chapter, local_date=day, starts_at=datetime.combine(day, at, tzinfo=chapter.tz),
                          **kwargs)


@pytest.fixture
def new_york(personas):
    """A second chapter, five hours behind London, where the member also sits."""
    chapter = ChapterFactory(name="Midtown Lunch", slug="midtown", timezone="America/New_York")
    seat = MembershipFactory(chapter=chapter, user=personas.member.user, joined_on=date(2020, 1, 1))
    return chapter, seat


def _card(html: str, chapter_name: str) -> str:
    return html.split(f"<strong>{chapter_name}</strong>", 1)[1].split('data-testid="chapter-card"', 1)[0]


def test_each_chapter_shows_its_next_meeting_in_its_own_time_and_venue(client, personas, new_york):
    chapter, seat = new_york
    _meeting(personas.chapter, date(2026, 12, 8), time(7), status=Meeting.Status.CANCELLED)
    _meeting(personas.chapter, date(2026, 12, 10), time(7), venue="The Riverside Hotel")
    _meeting(personas.chapter, date(2026, 12, 17), time(7), venue="Somewhere later")
    _meeting(chapter, date(2026, 12, 9), time(12, 30), venue="Midtown Club")  # 17:30 in London
    personas.login(client, "member")
    html = client.get("/").content.decode()
    home, midtown = _card(html, "Home Chapter"), _card(html, "Midtown Lunch")
    assert "Next meeting" in home and "Thursday 10 December, 07:00</time></a> · The Riverside Hotel" in home
    assert "Somewhere later" not in home
    assert "Wednesday 9 December, 12:30</time></a> · Midtown Club" in midtown
    assert 'datetime="2026-12-09T12:30:00-05:00"' in midtown


def test_a_meeting_under_way_is_still_next_and_a_closed_one_is_not(client, personas):
    _meeting(personas.chapter, date(2026, 12, 7), time(7), venue="Under way")  # began two hours ago
    personas.login(client, "member")
    assert "Under way" in _card(client.get("/").content.decode(), "Home Chapter")
    Meeting.objects.filter(venue="Under way").update(status=Meeting.Status.CLOSED)
    home = _card(client.get("/").content.decode(), "Home Chapter")
    assert "Under way" not in home and "No meeting scheduled yet." in home


def test_you_present_next_only_at_the_next_meeting_and_only_your_own_slot(client, personas, new_york):
    chapter, seat = new_york
    first = _meeting(personas.chapter, date(2026, 12, 10), time(7))
    later = _meeting(personas.chapter, date(2026, 12, 17), time(7))
    PresentationFactory(meeting=first, presenter=personas.member2)  # someone else's slot at the next meeting
    PresentationFactory(meeting=later, presenter=personas.member)  # mine, but not at the next meeting
    ny = _meeting(chapter, date(2026, 12, 9), time(12))
    PresentationFactory(meeting=ny, presenter=seat, kind=Presentation.Kind.EDUCATION)
    personas.login(client, "member")
    html = client.get("/").content.decode()
    assert "You present next" not in _card(html, "Home Chapter")
    midtown = _card(html, "Midtown Lunch")
    assert 'data-testid="you-present">You present next</strong> <small>Education moment</small>' in midtown
    personas.login(client, "member2")
    assert "You present next" in _card(client.get("/").content.decode(), "Home Chapter")


def test_the_kept_chapter_cards_follow_a_moved_meeting(client, personas, settings):
    settings.NAV_CACHE = True
    meeting = _meeting(personas.chapter, date(2026, 12, 10), time(7), venue="Old venue")
    personas.login(client, "member")
    assert "Old venue" in client.get("/").content.decode()
    Meeting.objects.filter(pk=meeting.pk).update(venue="New venue")  # no signal: the cards key on the values
    html = client.get("/").content.decode()
    assert "New venue" in html and "Old venue" not in html


def test_the_lights_region_loads_after_the_page_and_links_the_scorecards_without_javascript(
        client, personas, new_york):
    chapter, seat = new_york
    personas.login(client, "member")
    html = client.get("/").content.decode()
    region = html.split('<h2 id="lights-title">My traffic lights</h2>', 1)[1].split("</section>", 1)[0]
    assert f'hx-get="{LIGHTS}" hx-trigger="load"' in region
    assert "Loading your traffic lights…" in region
    assert f'href="{reverse("reports:scorecard", args=[personas.chapter.slug, personas.member.pk])}"' in region
    assert f'href="{reverse("reports:scorecard", args=[chapter.slug, seat.pk])}">My scorecard in Midtown Lunch' in region


def test_staff_without_a_seat_get_no_lights_region(client, personas):
    personas.login(client, "org_admin")
    assert "My traffic lights" not in client.get("/").content.decode()


def test_the_lights_are_the_persons_own_scorecards_with_colours_and_words(client, personas, new_york):
    chapter, seat = new_york
    personas.login(client, "member")
    response = client.get(LIGHTS, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and html.count('data-testid="lights-card"') == 2
    assert html.index("Home Chapter") < html.index("Midtown Lunch")  # as the chapter cards, by name
    assert 'data-testid="my-light-absences"' in html and "0 absences in 26 weeks: 15 of 15 points" in html
    assert '<span class="light light-green">Green</span>' in html and "0 referrals given in 26 weeks" in html
    assert reverse("reports:scorecard", args=[chapter.slug, seat.pk]) in html
    for other in (personas.member2, personas.president):
        assert reverse("reports:scorecard", args=[personas.chapter.slug, other.pk]) not in html
    assert [c.membership.pk for c in response.context["cards"]] == [personas.member.pk, seat.pk]


def test_someone_signed_out_is_sent_to_sign_in_by_the_whole_browser(client, personas):
    assert client.get(LIGHTS).status_code == 302
    response = client.get(LIGHTS, headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/"})
    assert response.headers["HX-Redirect"].startswith(reverse("account_login"))


# Query counts ------------------------------------------------------------------------------------

# The dashboard as a member sees it with the navigation cached and warm: session, user, and one statement for
# what waits on the person's seats, each chapter's headcount, next meeting and the person's slots on it. Three
# before the next meetings were shown, three now.
DASHBOARD_QUERIES = 3
# The lights: session, user, the person's seats with their chapters, the chapters' scorecard rules, and the
# scorecards' eight grouped reads.
LIGHTS_QUERIES = 12


@pytest.fixture
def nav_cache(settings):
    settings.NAV_CACHE = True


def _with_meetings(personas, chapter, seat):
    meeting = _meeting(chapter, date(2026, 12, 10), time(7))
    PresentationFactory(meeting=meeting, presenter=seat)


def test_the_dashboard_costs_the_same_for_one_chapter_or_two_and_no_more_than_before(
        client, personas, new_york, nav_cache):
    chapter, seat = new_york
    Membership.objects.filter(pk=seat.pk).update(status=Membership.Status.RESIGNED, left_on=date(2026, 1, 1))
    navigation.nav_invalidate_user(personas.member.user.pk)
    _with_meetings(personas, personas.chapter, personas.member)
    personas.login(client, "member")
    one, _ = queries(client, "/")
    Membership.objects.filter(pk=seat.pk).update(status=Membership.Status.ACTIVE, left_on=None)
    navigation.nav_invalidate_user(personas.member.user.pk)
    _with_meetings(personas, chapter, seat)
    two, _ = queries(client, "/")
    assert one == two == DASHBOARD_QUERIES


def _lights_queries(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIGHTS, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_lights_cost_the_same_for_one_chapter_or_two(client, personas, new_york):
    chapter, seat = new_york
    Membership.objects.filter(pk=seat.pk).update(status=Membership.Status.RESIGNED, left_on=date(2026, 1, 1))
    personas.login(client, "member")
    one = _lights_queries(client)
    Membership.objects.filter(pk=seat.pk).update(status=Membership.Status.ACTIVE, left_on=None)
    assert one == _lights_queries(client) == LIGHTS_QUERIES


def test_the_lights_cost_the_same_at_10_and_150_members(client, personas):
    grow_members(personas, 10)
    personas.login(client, "member")
    small = _lights_queries(client)
    grow_members(personas, 150)
    assert small == _lights_queries(client) == LIGHTS_QUERIES


def test_the_dashboard_costs_the_same_at_10_and_150_members_with_meetings_and_slots(
        client, personas, nav_cache):
    _with_meetings(personas, personas.chapter, personas.member)
    grow_members(personas, 10)
    personas.login(client, "member")
    small, _ = queries(client, "/")
    grow_members(personas, 150)
    meeting = Meeting.objects.get(chapter=personas.chapter)
    for seat in Membership.objects.filter(chapter=personas.chapter).exclude(pk=personas.member.pk)[:20]:
        PresentationFactory(meeting=meeting, presenter=seat, kind=Presentation.Kind.EDUCATION)
    large, _ = queries(client, "/")
    assert small == large == DASHBOARD_QUERIES
