"""The navigation is cached per person; every change it shows makes it fresh on the next page."""

from unittest import mock

import pytest
from django.core.mail import BadHeaderError
from django.urls import reverse

from home import navigation
from members.models import Membership, OutboundEmail
from members.notifications import notification_send, notifications_mark_read
from members.outbox import email_queue, email_send, emails_retry
from tests.factories import ChapterFactory, MembershipFactory, RegionStaffFactory


@pytest.fixture(autouse=True)
def nav_cache(settings):
    settings.NAV_CACHE = True


def menu(client) -> str:
    html = client.get(reverse("profile")).content.decode()
    return html.split('class="dropdown chapter-switcher"', 1)[1].split("</details>", 1)[0]


def unread_badge(client) -> str:
    html = client.get(reverse("profile")).content.decode()
    if 'data-testid="unread-count"' not in html:
        return ""
    return html.split('data-testid="unread-count">', 1)[1].split("<", 1)[0]


def test_a_second_page_reads_the_navigation_from_the_cache(client, personas, django_assert_max_num_queries):
    personas.login(client, "member")
    client.get(reverse("profile"))
    with mock.patch.object(navigation, "_build", wraps=navigation._build) as build:
        client.get(reverse("profile"))
        client.get(reverse("notifications"))
    assert build.call_count == 0


def test_signing_in_builds_the_navigation_for_the_first_page(client, personas):
    personas.login(client, "member")
    with mock.patch.object(navigation, "_build", wraps=navigation._build) as build:
        client.get(reverse("profile"))
    assert build.call_count == 0


def test_a_new_seat_shows_at_once(client, personas):
    personas.login(client, "member")
    assert "Other Chapter" not in menu(client)
    MembershipFactory(user=personas.member.user, chapter=personas.other_chapter)
    assert "Other Chapter" in menu(client)


def test_a_seat_given_up_leaves_the_menu(client, personas):
    seat = MembershipFactory(user=personas.member.user, chapter=personas.other_chapter)
    personas.login(client, "member")
    assert "Other Chapter" in menu(client)
    seat.status = Membership.Status.RESIGNED
    seat.save()
    assert "Other Chapter" not in menu(client)


def test_a_deleted_seat_leaves_the_menu(client, personas):
    seat = MembershipFactory(user=personas.member.user, chapter=personas.other_chapter)
    personas.login(client, "member")
    assert "Other Chapter" in menu(client)
    seat.delete()
    assert "Other Chapter" not in menu(client)


def test_a_region_role_given_and_taken_shows_at_once(client, personas):
    personas.login(client, "member")
    assert "Cases to review" not in client.get(reverse("profile")).content.decode()
    role = RegionStaffFactory(user=personas.member.user, region=personas.other_chapter.region)
    html = client.get(reverse("profile")).content.decode()
    assert "Cases to review" in html and "Other Chapter" in menu(client)
    role.delete()
    assert "Cases to review" not in client.get(reverse("profile")).content.decode()
    assert "Other Chapter" not in menu(client)


def test_becoming_an_org_admin_shows_at_once(client, personas):
    personas.login(client, "member")
    assert "Email outbox" not in client.get(reverse("profile")).content.decode()
    user = personas.member.user
    user.is_org_admin = True
    user.save()
    html = client.get(reverse("profile")).content.decode()
    assert "Email outbox" in html and "Other Chapter" in menu(client)


def test_a_renamed_chapter_is_renamed_in_everyones_menu(client, personas):
    personas.login(client, "member")
    assert "Home Chapter" in menu(client)
    chapter = personas.chapter
    chapter.name = "Harbour Chapter"
    chapter.save()
    assert "Harbour Chapter" in menu(client) and "Home Chapter" not in menu(client)


def test_a_new_notification_counts_at_once(client, personas):
    personas.login(client, "member")
    assert unread_badge(client) == ""
    notification_send(user=personas.member.user, kind="fine", title="One", chapter=personas.chapter)
    assert unread_badge(client) == "1"


def test_reading_notifications_clears_the_count(client, personas):
    n = notification_send(user=personas.member.user, kind="fine", title="One", chapter=personas.chapter)
    notification_send(user=personas.member.user, kind="fine", title="Two", chapter=personas.chapter)
    personas.login(client, "member")
    assert unread_badge(client) == "2"
    notifications_mark_read(user=personas.member.user, ids=[n.pk])  # a bulk update, no post_save
    assert unread_badge(client) == "1"
    client.post(reverse("notifications-read"))
    assert unread_badge(client) == ""


def test_opening_a_notification_clears_it_from_the_count(client, personas):
    n = notification_send(user=personas.member.user, kind="fine", title="One", chapter=personas.chapter,
                          url=personas.url("chapters:home"))
    personas.login(client, "member")
    assert unread_badge(client) == "1"
    client.get(reverse("notification-open", args=[n.pk]))
    assert unread_badge(client) == ""


def test_someone_elses_notification_leaves_my_navigation_cached(client, personas):
    personas.login(client, "member")
    client.get(reverse("profile"))
    with mock.patch.object(navigation, "_build", wraps=navigation._build) as build:
        notification_send(user=personas.member2.user, kind="fine", title="Not yours", chapter=personas.chapter)
        client.get(reverse("profile"))
    assert build.call_count == 0


def _failed_badge(client) -> str:
    html = client.get(reverse("profile")).content.decode()
    if 'data-testid="menu-outbox-failed"' not in html:
        return ""
    return html.split('data-testid="menu-outbox-failed"', 1)[1].split(">", 1)[1].split("<", 1)[0]


def test_an_email_failing_and_recovering_updates_the_admins_badge(client, personas):
    email = email_queue(kind=OutboundEmail.Kind.NOTIFICATION, to="x@example.com", subject="Hi", body="Hi")
    personas.login(client, "org_admin")
    assert _failed_badge(client) == ""
    broken = mock.Mock()
    broken.send.side_effect = BadHeaderError("bad header")  # fails for good at once
    with mock.patch("members.outbox._message", return_value=broken):
        email_send(email_id=email.pk)
    assert OutboundEmail.objects.get(pk=email.pk).status == OutboundEmail.Status.FAILED
    assert _failed_badge(client) == "1"
    emails_retry(email_ids=[email.pk])
    assert _failed_badge(client) == ""


def test_a_version_key_lost_from_the_cache_never_brings_back_an_old_entry(client, personas):
    from django.core.cache import cache

    personas.login(client, "member")
    assert "Other Chapter" not in menu(client)
    cache.delete(f"nav:u:{personas.member.user.pk}")  # evicted
    MembershipFactory(user=personas.member.user, chapter=personas.other_chapter)
    assert "Other Chapter" in menu(client)


def test_versions_live_in_the_shared_cache_so_another_process_sees_a_bump(personas):
    """What another web process or Celery worker does reaches this one through the cache alone."""
    from django.core.cache import cache

    from members.models import User

    user = personas.member.user
    navigation.nav_state(User.objects.get(pk=user.pk))
    before = cache.get(f"nav:u:{user.pk}")
    # another process (a worker) marks the notifications read: it only touches the shared cache
    navigation._bump(f"nav:u:{user.pk}")
    assert cache.get(f"nav:u:{user.pk}") != before
    with mock.patch.object(navigation, "_build", wraps=navigation._build) as build:
        navigation.nav_state(User.objects.get(pk=user.pk))  # a later request's user
    assert build.call_count == 1


def test_a_request_bumps_again_when_it_ends(client, personas):
    """A reader between the change and its commit may cache the old state: the end of the request bumps again."""
    from django.core.cache import cache

    personas.login(client, "member")
    key = f"nav:u:{personas.member.user.pk}"
    navigation.nav_invalidate_user(personas.member.user.pk)
    once = cache.get(key)
    client.get(reverse("profile"))  # request_finished
    assert cache.get(key) == once + 1


def test_an_overseers_menu_lists_a_few_chapters_and_links_to_the_search(client, personas):
    for n in range(navigation.NAV_CHAPTERS_SHOWN + 3):
        ChapterFactory(name=f"Zz chapter {n:02d}")
    personas.login(client, "org_admin")
    html = menu(client)
    assert html.count("<li><a href=") == navigation.NAV_CHAPTERS_SHOWN + 1  # the chapters, then the link
    assert 'data-testid="nav-more-chapters"' in html
    assert "Zz chapter 10" not in html


def test_a_member_with_few_chapters_gets_no_search_link(client, personas):
    personas.login(client, "member")
    assert 'data-testid="nav-more-chapters"' not in menu(client)


@pytest.mark.parametrize("seconds,text", [(5, "just now"), (60, "1 minute ago"), (7200, "2 hours ago"),
                                          (86400 * 3, "3 days ago"), (86400 * 400, "1 year ago")])
def test_dashboard_says_how_long_ago_in_one_unit(seconds, text):
    from datetime import UTC, datetime, timedelta

    from home.views import ago

    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert ago(now - timedelta(seconds=seconds), now) == text
