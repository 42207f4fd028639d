"""The language switcher in the navigation, with the keyboard alone, on a 390 px phone."""

import pytest

from tests.conftest import browser_login
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _tab_to(page, text: str, limit: int = 30) -> None:
    """Press Tab until the focused element reads `text` (fails after `limit` presses)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.innerText.trim()") == text:
            return
    raise AssertionError(f"{text!r} is not reachable with Tab")


def test_the_switcher_works_from_the_keyboard_and_fits_a_phone(live_server, phone):
    user = UserFactory(full_name="Mona Member")
    browser_login(phone, live_server, user.email)
    phone.goto(f"{live_server.url}/profile/")
    _tab_to(phone, "Mona")  # the user menu
    phone.keyboard.press("Enter")
    for name in ("Deutsch", "Français", "Español"):
        box = phone.get_by_role("button", name=name).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    _tab_to(phone, "Deutsch")
    phone.keyboard.press("Enter")
    phone.wait_for_url(f"{live_server.url}/profile/")
    phone.wait_for_selector('html[lang="de"]')
    assert phone.locator("h1").inner_text() == "Profil & E-Mail"
    user.refresh_from_db()
    assert user.language == "de"
