"""The organisation overview in a real browser, as an organisation admin and as region staff, on a desktop
and a 390 px phone: reached from the user menu, the page no wider than the screen (the table scrolls inside
its wrapper). Screenshots go to /tmp/leadsgroups-overview-screens (never the repository), to be looked at."""

from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from chapters.models import Chapter
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/leadsgroups-overview-screens")
PASSWORD = "demo-pass-2026"
ROLES = {"org_admin": "admin@demo.leadsgroups.org", "region_staff": "director.north@demo.leadsgroups.org"}


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_overseers_open_the_overview_from_the_menu(live_server, request, device):
    page = request.getfixturevalue(device)
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    for role, email in ROLES.items():
        page.context.clear_cookies()
        browser_login(page, live_server, email, PASSWORD)
        page.goto(f"{live_server.url}/")
        page.locator("details.dropdown summary").last.click()
        page.get_by_role("link", name="Organisation overview").click()
        expect(page.get_by_role("heading", name="Organisation overview", level=1)).to_be_visible()
        rows = page.get_by_test_id("overview-row")
        expect(rows.first).to_be_visible()
        if role == "org_admin":
            expect(rows).to_have_count(min(Chapter.objects.count(), 20))
        expect(page.locator("svg.spark").first).to_be_attached()
        expect(page.get_by_test_id("overview-totals")).to_contain_text("Computed at")
        width = page.viewport_size["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page is wider than the screen"
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{role}-{device}.png"), full_page=True)
        # the chapter's name leads to its health page
        rows.first.get_by_role("link").first.click()
        expect(page.get_by_role("heading", name="Chapter health", level=1)).to_be_visible()
    assert errors == []
