"""The top bar is rendered once per version of a person's navigation and kept in the process.

The invalidation tests in test_navigation.py read the menu through this kept fragment too; these
check that it is reused, never shown to someone else, fresh after changes to the person's own row
and on chapter pages, and that every page gets its own CSRF token.
"""

import re
from unittest import mock

import pytest
from django.urls import reverse

from home.templatetags import navigation as tags
from members.notifications import notification_send

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ANY_TOKEN = re.compile(r'(?<=csrfmiddlewaretoken" value=")[^"]+|(?<="X-CSRFToken": ")[^"]+')


@pytest.fixture(autouse=True)
def nav_cache(settings):
    settings.NAV_CACHE = True


def topnav(html: str) -> str:
    return html.split('<nav class="container-fluid topnav"', 1)[1].split("</nav>", 1)[0]


def test_the_top_bar_is_rendered_once_and_reused(client, personas):
    personas.login(client, "member")
    first = client.get(reverse("dashboard")).content.decode()
    inner = _topnav_nodelist()
    with mock.patch.object(inner, "render", wraps=inner.render) as render:
        again = client.get(reverse("dashboard")).content.decode()
        client.get(reverse("profile"))  # another page renders its own once
        client.get(reverse("profile"))
    assert render.call_count == 1
    assert TOKEN.sub("", topnav(first)) == TOKEN.sub("", topnav(again))


def _topnav_nodelist():
    from django.template.loader import get_template

    template = get_template("base.html").template
    return next(node for node in template.nodelist.get_nodes_by_type(tags.NavFragmentNode)).nodelist


def test_the_kept_top_bar_is_the_one_rendered_without_it(client, personas, settings):
    personas.login(client, "president")
    notification_send(user=personas.president.user, kind="fine", title="One", chapter=personas.chapter)
    client.get(reverse("dashboard"))
    kept = client.get(reverse("dashboard")).content.decode()
    settings.NAV_CACHE = False
    fresh = client.get(reverse("dashboard")).content.decode()
    assert TOKEN.sub("", kept) != ""
    assert TOKEN.sub("", topnav(kept)) == TOKEN.sub("", topnav(fresh))


def test_each_page_gets_its_own_csrf_token_and_it_works(client, personas):
    personas.login(client, "member")
    client.get(reverse("dashboard"))
    html = client.get(reverse("dashboard")).content.decode()
    tokens = TOKEN.findall(html)
    assert tokens and tags._CSRF_MARK not in html
    client.handler.enforce_csrf_checks = True
    response = client.post(reverse("account_logout"), {"csrfmiddlewaretoken": tokens[0]})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_never_shown_to_someone_else(client, personas):
    from django.test import Client

    personas.login(client, "member")
    other = Client()
    personas.login(other, "outsider")
    mine = topnav(client.get(reverse("dashboard")).content.decode())
    theirs = topnav(other.get(reverse("dashboard")).content.decode())
    mine_again = topnav(client.get(reverse("dashboard")).content.decode())
    assert personas.chapter.name in mine and personas.chapter.name not in theirs
    assert personas.other_chapter.name in theirs and personas.other_chapter.name not in mine_again
    assert personas.member.user.get_short_name() in mine_again
    assert personas.outsider.user.get_short_name() in theirs


def test_a_new_name_shows_at_once(client, personas):
    personas.login(client, "member")
    user = personas.member.user
    assert "Renamedperson" not in topnav(client.get(reverse("dashboard")).content.decode())
    type(user).objects.filter(pk=user.pk).update(full_name="Renamedperson Smith")  # no signal: the row itself is the key
    assert "Renamedperson" in topnav(client.get(reverse("dashboard")).content.decode())


def test_a_chapter_page_marks_its_chapter_and_the_dashboard_does_not(client, personas):
    personas.login(client, "member")
    client.get(reverse("dashboard"))
    on_chapter = topnav(client.get(personas.url("chapters:home")).content.decode())
    on_dashboard = topnav(client.get(reverse("dashboard")).content.decode())
    assert 'aria-current="page"' in on_chapter and personas.url("referrals:new") in on_chapter
    assert 'aria-current="page"' not in on_dashboard and personas.url("referrals:new") not in on_dashboard


def test_signed_out_pages_are_not_kept(client):
    tags.fragments.clear()
    client.get(reverse("account_login"))
    assert not tags.fragments.items


def main(html: str) -> str:
    return html.split('<main class="container">', 1)[1].split("</main>", 1)[0]


def test_the_dashboards_headcount_follows_someone_else_joining(client, personas):
    from members.models import Membership
    from tests.factories import MembershipFactory

    personas.login(client, "member")
    client.get(reverse("dashboard"))
    before = main(client.get(reverse("dashboard")).content.decode())
    count = Membership.objects.filter(chapter=personas.chapter, status=Membership.Status.ACTIVE).count()
    assert f"{count} active" in before
    MembershipFactory(chapter=personas.chapter)  # not the viewer's seat: their navigation stays as it was
    assert f"{count + 1} active" in main(client.get(reverse("dashboard")).content.decode())


def test_the_dashboards_notices_follow_new_ones_and_the_clock(client, personas):
    import datetime as dt

    import time_machine

    personas.login(client, "member")
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        notification_send(user=personas.member.user, kind="fine", title="First notice", chapter=personas.chapter)
        client.get(reverse("dashboard"))
        assert "just now" in main(client.get(reverse("dashboard")).content.decode())
    with time_machine.travel(start + dt.timedelta(hours=2), tick=False):
        html = main(client.get(reverse("dashboard")).content.decode())
        assert "2 hours ago" in html and "just now" not in html
        notification_send(user=personas.member.user, kind="fine", title="Second notice", chapter=personas.chapter)
        html = main(client.get(reverse("dashboard")).content.decode())
        assert "Second notice" in html and "First notice" in html


def test_the_dashboards_sections_are_never_someone_elses(client, personas):
    from django.test import Client

    notification_send(user=personas.member.user, kind="fine", title="For the member only", chapter=personas.chapter)
    personas.login(client, "member")
    other = Client()
    personas.login(other, "member2")
    for _ in range(2):
        mine = main(client.get(reverse("dashboard")).content.decode())
        theirs = main(other.get(reverse("dashboard")).content.decode())
        assert "For the member only" in mine and "For the member only" not in theirs


def test_the_dashboard_kept_is_the_dashboard_rendered_without_it(client, personas, settings):
    notification_send(user=personas.president.user, kind="fine", title="One", chapter=personas.chapter)
    personas.login(client, "president")
    client.get(reverse("dashboard"))
    kept = client.get(reverse("dashboard")).content.decode()
    settings.NAV_CACHE = False
    fresh = client.get(reverse("dashboard")).content.decode()
    assert "One" in main(kept) and ANY_TOKEN.sub("", kept) == ANY_TOKEN.sub("", fresh)  # the whole page
