"""On a phone, the leadership tables keep their columns on screen: no table scrolls sideways inside its box."""

import pytest
from django.core.management import call_command

from enforcement.models import ExpulsionCase
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERFLOWING = """[...document.querySelectorAll('main table')].map(t => {
  const box = t.closest('.table-wrap') || t.parentElement;
  return {table: t.id || t.querySelector('th, td').innerText, scroll: box.scrollWidth, client: box.clientWidth};
}).filter(m => m.scroll > m.client)"""


def test_no_table_overflows_a_390px_screen(live_server, phone):
    call_command("seed_demo")
    case = ExpulsionCase.objects.filter(membership__chapter__slug="riverside").order_by("pk").first()
    browser_login(phone, live_server, "president.riverside@demo.leadsgroups.org", "demo-pass-2026")
    for path, must_see in (
        ("/c/riverside/roster/", "On leave"),
        ("/c/riverside/meetings/visitors/", "Interested"),
        ("/c/riverside/fines/", "Unpaid"),
        (f"/c/riverside/cases/{case.pk}/", "absent"),
        ("/c/riverside/meetings/", "Scheduled"),
    ):
        phone.goto(live_server.url + path)
        assert phone.locator("main table").count(), path
        assert phone.evaluate(OVERFLOWING) == [], path
        cell = phone.locator("main table").get_by_text(must_see).first
        box = cell.bounding_box()
        assert box and box["x"] + box["width"] <= 390, (path, must_see, box)


def test_the_dashboard_fits_a_390px_screen_with_long_chapter_names(live_server, phone):
    """An organisation admin sees every chapter as a card: long names wrap, the page never scrolls sideways."""
    call_command("seed_demo")
    browser_login(phone, live_server, "admin@demo.leadsgroups.org", "demo-pass-2026")
    phone.goto(live_server.url + "/")
    assert phone.get_by_role("link", name="Harbour Business Network").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    box = phone.get_by_role("link", name="Harbour Business Network").bounding_box()
    assert box["x"] + box["width"] <= 390, box
