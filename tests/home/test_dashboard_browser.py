"""The dashboard on a 390 px phone as each role: nothing wider than the screen once the traffic lights have loaded.

Screenshots go to /tmp/leadsgroups-dashboard-shots (never the repository), to be looked at.
"""

import time
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from members.models import Membership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/leadsgroups-dashboard-shots")
PASSWORD = "demo-pass-2026"
WIDER_THAN_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(e => {
    const box = e.getBoundingClientRect();
    return box.width > 0 && box.right > width + 1 && !e.closest('.table-wrap') && !e.closest('details:not([open])');
  }).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
  return {page: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
}"""


def _wait_until(page, expression: str, timeout: float = 20.0) -> None:
    """Poll from Python (the Content-Security-Policy refuses the eval Playwright's wait_for_function needs)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        time.sleep(0.05)


def _sign_in(page, live_server, email: str) -> None:
    """Through the real sign-in form (the page's main form: the navigation's language buttons submit too)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/**")


def _people() -> dict[str, str]:
    two = Membership.objects.filter(chapter__slug="riverside", user__memberships__chapter__slug="city-lunch").first()
    one = (Membership.objects.filter(chapter__slug="riverside", role=Membership.Role.MEMBER, status="active")
           .exclude(user=two.user).exclude(user__memberships__chapter__slug="city-lunch").order_by("pk").first())
    return {
        "member": one.user.email,
        "member of two chapters": two.user.email,
        "president": "president.riverside@demo.leadsgroups.org",
        "region staff": "director.north@demo.leadsgroups.org",
        "org admin": "admin@demo.leadsgroups.org",
    }


def test_the_dashboard_fits_a_phone_for_every_role_with_the_lights_loaded(live_server, phone):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    errors = []
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    phone.on("pageerror", lambda e: errors.append(str(e)))
    SHOTS.mkdir(exist_ok=True)
    for role, email in _people().items():
        phone.context.clear_cookies()
        _sign_in(phone, live_server, email)
        phone.goto(f"{live_server.url}/")
        expect(phone.get_by_role("heading", name="Needs my attention")).to_be_visible()
        seats = Membership.objects.filter(user__email=email, status__in=Membership.SEATED_STATUSES).count()
        if seats:
            # the second request swaps the lights in: one card a seat, each with its eight lights in words
            _wait_until(phone, f"document.querySelectorAll('[data-testid=lights-card]').length === {seats}")
            expect(phone.get_by_test_id("lights-loading")).to_have_count(0)
            expect(phone.locator("[data-testid=my-light-absences]").first).to_contain_text("absence")
            expect(phone.get_by_test_id("next-meeting").first).to_contain_text("Next meeting")
        else:
            expect(phone.get_by_role("heading", name="My traffic lights")).to_have_count(0)
        found = phone.evaluate(WIDER_THAN_SCREEN)
        phone.screenshot(path=str(SHOTS / f"{role.replace(' ', '-')}-phone.png"), full_page=True)
        assert found["page"] <= 390 and not found["wide"], (role, found)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, role
    assert errors == []
