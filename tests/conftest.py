"""Personas shared by every app's tests: one chapter with its people, and outsiders."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from members.models import Membership
from tests.factories import (
    ChapterFactory,
    MembershipFactory,
    RegionFactory,
    RegionStaffFactory,
    UserFactory,
)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@dataclass
class Personas:
    """A chapter (`chapter`) with every role in it, and people outside it."""

    chapter: object
    other_chapter: object
    president: Membership
    vice_president: Membership
    treasurer: Membership
    member: Membership
    member2: Membership
    outsider: Membership  # president of another chapter: the strongest outside probe
    region_staff: object  # oversees the chapter's region
    other_region_staff: object  # oversees another region
    org_admin: object

    def user(self, who: str):
        if who == "anon":
            return None
        value = getattr(self, who)
        return getattr(value, "user", value)

    def login(self, client, who: str) -> None:
        user = self.user(who)
        if user is not None:
            client.force_login(user)

    def url(self, name: str, *args, chapter=None) -> str:
        return reverse(name, args=[(chapter or self.chapter).slug, *args])


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test starts with an empty cache (ids repeat across tests), and without the navigation's cache.

    With it, a page's query count would depend on whether an earlier request of the test built the
    navigation; tests/home turn it on (`settings.NAV_CACHE = True`) to test it and the pages' steady state.
    """
    from django.core.cache import cache

    settings.NAV_CACHE = False
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def personas(db) -> Personas:
    region = RegionFactory()
    chapter = ChapterFactory(region=region, slug="home-chapter", name="Home Chapter")
    other = ChapterFactory(slug="other-chapter", name="Other Chapter")
    role = Membership.Role
    return Personas(
        chapter=chapter,
        other_chapter=other,
        president=MembershipFactory(chapter=chapter, role=role.PRESIDENT, user__full_name="Paula President"),
        vice_president=MembershipFactory(chapter=chapter, role=role.VICE_PRESIDENT, user__full_name="Victor Vice"),
        treasurer=MembershipFactory(chapter=chapter, role=role.SECRETARY_TREASURER, user__full_name="Tess Treasurer"),
        member=MembershipFactory(chapter=chapter, user__full_name="Mona Member"),
        member2=MembershipFactory(chapter=chapter, user__full_name="Max Member"),
        outsider=MembershipFactory(chapter=other, role=role.PRESIDENT, user__full_name="Otto Outsider"),
        region_staff=RegionStaffFactory(region=region).user,
        other_region_staff=RegionStaffFactory().user,
        org_admin=UserFactory(is_org_admin=True, is_staff=True, full_name="Olga Admin"),
    )


# Any day, any zone --------------------------------------------------------------------------------

_trip = None


def pytest_configure(config):
    """TRAVEL_TO=2027-03-28 (09:00 UTC) or TRAVEL_TO=2027-03-28T00:30+00:00: the whole run lives then.

    `make test-dates` runs the date-sensitive tests this way on every weekday, both DST changes of
    two zones, and month, quarter and year ends; no test may depend on the day it runs.
    """
    global _trip
    day = os.environ.get("TRAVEL_TO")
    if day:
        import time_machine

        moment = datetime.fromisoformat(day)
        if "T" not in day:
            moment = moment.replace(hour=9)
        _trip = time_machine.travel(moment if moment.tzinfo else moment.replace(tzinfo=UTC), tick=True)
        _trip.start()


def pytest_report_header(config):
    if os.environ.get("TRAVEL_TO"):
        return f"travelling: the run lives at {os.environ['TRAVEL_TO']} (UTC 09:00 unless given)"


def pytest_unconfigure(config):
    if _trip is not None:
        _trip.stop()


# Browser tests -----------------------------------------------------------------------------------


def pytest_collection_modifyitems(config, items):
    """Without Chromium, browser tests are skipped on a newcomer's machine and fail in CI."""
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM) or IN_CI:
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not found: install it with `sudo apt-get install chromium`")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Drive Debian's Chromium; Playwright's own browser download does not work here."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ],
    }


@pytest.fixture
def phone(browser):
    """A phone-sized page (iPhone 13-ish viewport, touch)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def browser_login(page, live_server, email: str, password: str = "pw-for-tests-1") -> None:
    """Sign in through the real allauth form."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("form:has(input[name=login]) button[type=submit]")  # not the language switcher's
    page.wait_for_url(f"{live_server.url}/**")


def chapter_menu(page):
    """The chapter's navigation, opened first on a phone (where its links fold behind a "Menu" button)."""
    nav = page.get_by_role("navigation", name="Chapter")
    button = nav.locator(".chapter-menu > summary")
    if button.is_visible() and button.locator("xpath=..").get_attribute("open") is None:
        button.click()
    return nav


def pytest_sessionstart(session):
    """The translations' .mo files, compiled when a .po changed (as `make test` does), once per run."""
    if not hasattr(session.config, "workerinput"):  # the xdist controller, or a run without xdist
        from leadsgroups.catalogs import compile_all

        compile_all()


@pytest.fixture(autouse=True)
def _language_reset():
    """Each test starts in the site's language: a test that renders German (a request, or
    translation.activate) must not leave German active for the next test's words."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
