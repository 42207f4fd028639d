"""Scorecards and chapter health in a real browser, as each role that may open them, on a desktop and a phone.

Screenshots go to /tmp/leadsgroups-reports-screens (never the repository), to be looked at.
"""

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from chapters.models import Chapter
from members.models import Membership
from tests.conftest import browser_login, chapter_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/leadsgroups-reports-screens")
PASSWORD = "demo-pass-2026"
ROLES = {
    "president": "president.riverside@demo.leadsgroups.org",
    "region_staff": "director.north@demo.leadsgroups.org",
    "org_admin": "admin@demo.leadsgroups.org",
}
CHARTS = ("attendance", "referrals", "conversion", "tyfcb", "visitors", "members")



def _wait_until(page, expression: str, timeout: float = 15.0) -> None:
    """Poll a JavaScript expression from Python until it is true. Playwright's wait_for_function compiles
    its predicate in the page with eval, which the Content-Security-Policy refuses once it has to poll;
    page.evaluate goes through the DevTools protocol, outside the page's policy."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        time.sleep(0.05)

def _watch(page) -> list[str]:
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _fits(page, name: str) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} is wider than the screen"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _live_charts(page) -> int:
    return page.evaluate("window.leadsgroupsCharts.count()")


def _health(page, base, name):
    page.goto(f"{base}/c/riverside/reports/health/")
    expect(page.get_by_role("heading", name="Chapter health", level=1)).to_be_visible()
    for key in CHARTS:
        expect(page.locator(f"[data-testid=chart-{key}] canvas")).to_be_visible()
    _wait_until(page, "window.leadsgroupsCharts && window.leadsgroupsCharts.count() === 6")
    # each chart's numbers one click away, in a real table
    card = page.locator("[data-testid=chart-referrals]")
    card.get_by_text("Data table").click()
    expect(card.get_by_role("table")).to_be_visible()
    expect(card.get_by_role("columnheader", name="With consent")).to_be_visible()
    expect(page.locator("[data-testid=scorecard-row]").first).to_be_visible()
    _fits(page, f"{name}-health")


def _scorecard(page, base, membership, name, *, own=False):
    page.goto(f"{base}/c/riverside/members/{membership.pk}/scorecard/")
    title = "My scorecard" if own else f"Scorecard: {membership.display_name}"
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    expect(page.locator("[data-testid=light-absences] [data-testid=reason]")).to_contain_text(" in 26 weeks: ")
    expect(page.locator("[data-testid=band-reason]")).to_contain_text("of 100 points")
    _fits(page, f"{name}-scorecard")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_each_role_opens_the_reports_it_may_see(live_server, request, device):
    page = request.getfixturevalue(device)
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    member = Membership.objects.filter(chapter__slug="riverside", user__memberships__chapter__slug="city-lunch").get()
    errors = _watch(page)
    # the member: their own scorecard, from the chapter's menu
    browser_login(page, live_server, member.user.email, PASSWORD)
    page.goto(f"{live_server.url}/c/riverside/")
    chapter_menu(page).get_by_text("More").click()
    page.get_by_role("link", name="My scorecard").click()
    expect(page.get_by_role("heading", name="My scorecard", level=1)).to_be_visible()
    _scorecard(page, live_server.url, member, f"member-{device}", own=True)
    assert page.goto(f"{live_server.url}/c/riverside/reports/health/").status == 403
    errors.clear()  # the browser logs that refusal as an error
    for role, email in ROLES.items():
        page.context.clear_cookies()
        browser_login(page, live_server, email, PASSWORD)
        _health(page, live_server.url, f"{role}-{device}")
        page.get_by_role("link", name=member.display_name).click()  # from the roster of scorecards
        _scorecard(page, live_server.url, member, f"{role}-{device}")
    assert errors == []


def test_charts_are_redrawn_after_htmx_swaps_without_piling_up(live_server, desktop):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    errors = _watch(desktop)
    browser_login(desktop, live_server, ROLES["president"], PASSWORD)
    desktop.goto(f"{live_server.url}/c/riverside/")
    desktop.get_by_test_id("health-link").click()
    _wait_until(desktop, "window.leadsgroupsCharts && window.leadsgroupsCharts.count() === 6")
    desktop.evaluate("document.querySelector('canvas').dataset.drawnFirst = 'yes'")
    # sorting swaps the table only: the charts stay as they are
    desktop.locator("th").get_by_role("link", name="Member").click()
    expect(desktop.locator("th[aria-sort=ascending]")).to_have_text("Member ▲")
    assert "sort=name" in desktop.url
    assert _live_charts(desktop) == 6 and desktop.evaluate("document.querySelector('canvas').dataset.drawnFirst") == "yes"
    # a new range swaps the whole report: the old charts are destroyed and the new ones drawn
    today = timezone.localdate(timezone=Chapter.objects.get(slug="riverside").tz)
    for weeks in (20, 30, 12):
        start = f"{today - timedelta(weeks=weeks):%Y-%m-%d}"
        desktop.get_by_role("textbox", name="From", exact=True).fill(start)
        desktop.get_by_role("button", name="Show").click()
        desktop.wait_for_url(f"**start={start}**")  # htmx pushes the range it swapped in
        # today's date in the browser's English (en-GB "5 Dec 2026" or en-US "Dec 5, 2026")
        expect(desktop.locator("[data-testid=range-form] + p")).to_contain_text(
            re.compile(rf"{today.day} {today:%b}t? {today.year}|{today:%b} {today.day}, {today.year}"))  # en-GB: "Sept"
        _wait_until(desktop, "document.querySelector('canvas') && !document.querySelector('canvas').dataset.drawnFirst"
                                  " && window.leadsgroupsCharts.count() === document.querySelectorAll('canvas').length")
        assert _live_charts(desktop) == 6 and desktop.evaluate("document.querySelector('canvas').dataset.drawnFirst") is None
    assert f"start={start}" in desktop.url and "sort=name" in desktop.url  # the sort is kept
    # two years back, before the demo's history: the charts say so in words (the seats alone have figures)
    desktop.get_by_role("textbox", name="From", exact=True).fill(f"{today - timedelta(weeks=100):%Y-%m-%d}")
    desktop.get_by_role("textbox", name="To", exact=True).fill(f"{today - timedelta(weeks=90):%Y-%m-%d}")
    desktop.get_by_role("button", name="Show").click()
    expect(desktop.get_by_text("No referral was given in this range.")).to_be_visible()
    expect(desktop.get_by_test_id("chart-empty")).to_have_count(5)
    _wait_until(desktop, "window.leadsgroupsCharts.count() === 1")
    _fits(desktop, "president-desktop-health-empty")
    assert errors == []


def test_the_switch_to_the_figures_without_flagged_activity_travels_with_htmx(live_server, desktop):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    errors = _watch(desktop)
    browser_login(desktop, live_server, ROLES["president"], PASSWORD)
    desktop.goto(f"{live_server.url}/c/riverside/reports/health/")
    _wait_until(desktop, "window.leadsgroupsCharts && window.leadsgroupsCharts.count() === 6")
    expect(desktop.get_by_role("radio", name="All activity")).to_be_checked()
    desktop.get_by_role("radio", name="Without flagged activity").check()
    desktop.get_by_role("button", name="Show").click()
    desktop.wait_for_url("**flagged=exclude**")  # htmx pushes the choice it swapped in
    expect(desktop.get_by_test_id("flagged-note")).to_contain_text("Without flagged activity: the figures leave out")
    expect(desktop.get_by_role("radio", name="Without flagged activity")).to_be_checked()
    _wait_until(desktop, "window.leadsgroupsCharts.count() === 6")
    # sorting keeps it, and so do the CSV links and each member's scorecard
    desktop.locator("th").get_by_role("link", name="Member").click()
    desktop.wait_for_url("**sort=name**")
    assert "flagged=exclude" in desktop.url
    assert "flagged=exclude" in desktop.get_by_role("button", name="Weekly figures (CSV)").get_attribute("href")
    desktop.locator("[data-testid=scorecard-row] a").first.click()
    expect(desktop.get_by_role("radio", name="Without flagged activity")).to_be_checked()
    _fits(desktop, "president-desktop-scorecard-without-flagged")
    assert errors == []
