"""Issue 17 (item 8): a compact header on a phone, the page starting within its first 120 px; desktop unchanged.

A member, a president (with the Leadership menu) and an organisation admin: on a 390 × 844 phone the main
heading starts at most 120 px from the top, the chapter's links open from one "Menu" button by keyboard (and
without JavaScript), and the notifications and language switcher stay reachable; on a desktop "More" and
"Leadership" line up with the links beside them.
"""

import pytest

from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = ["member", "president", "org_admin"]
TOP = 120


def _sign_in(page, live_server, personas, who):
    browser_login(page, live_server, personas.user(who).email)


def _h1_top(page) -> float:
    box = page.locator("main h1").first.bounding_box()
    assert box is not None
    return box["y"]


@pytest.mark.parametrize("who", ROLES)
def test_on_a_phone_the_page_starts_within_120_px(live_server, phone, personas, who):
    _sign_in(phone, live_server, personas, who)
    for path in (personas.url("meetings:list"), "/"):
        phone.goto(live_server.url + path)
        assert _h1_top(phone) <= TOP, (who, path, _h1_top(phone))
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, (who, path)  # nothing off the side
        notifications = phone.get_by_role("link", name="Notifications")
        assert notifications.is_visible()
        box = notifications.bounding_box()
        assert box["x"] + box["width"] <= 390


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_the_header_stays_one_row_in_every_language(live_server, phone, personas, language):
    """Longer words ("+ Recommandation", "Meine Chapter") cut the chapter switcher and the person's menu
    short with an ellipsis; nothing wraps onto a second row and nothing leaves the screen."""
    for who in ("president", "org_admin"):
        user = personas.user(who)
        user.language = language
        user.save(update_fields=["language"])
    for who in ("president", "org_admin"):
        phone.context.clear_cookies()
        _sign_in(phone, live_server, personas, who)
        for path in ("/", "/notifications/", personas.url("meetings:list")):
            phone.goto(live_server.url + path)
            assert phone.locator("html").get_attribute("lang") == language
            assert _h1_top(phone) <= TOP, (language, who, path, _h1_top(phone))
            assert phone.evaluate("document.documentElement.scrollWidth") <= 390, (language, who, path)


def _tab_to(page, text: str, limit: int = 40):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.innerText.trim()") == text:
            return
    raise AssertionError(f"{text!r} is not reachable with Tab")


@pytest.mark.parametrize("who", ["member", "president"])
def test_the_chapter_menu_opens_from_the_keyboard(live_server, phone, personas, who):
    _sign_in(phone, live_server, personas, who)
    phone.goto(live_server.url + personas.url("chapters:home"))
    menu = phone.get_by_test_id("chapter-menu")
    assert not phone.get_by_role("link", name="Roster").is_visible()  # folded away
    _tab_to(phone, "Menu")
    phone.keyboard.press("Enter")
    assert menu.get_attribute("open") is not None
    roster = phone.get_by_role("navigation", name="Chapter").get_by_role("link", name="Roster")
    assert roster.is_visible()
    _tab_to(phone, "Roster")
    if who == "president":
        _tab_to(phone, "Leadership")
        phone.keyboard.press("Enter")
        assert phone.get_by_role("link", name="Chapter settings").is_visible()
    phone.get_by_test_id("chapter-menu").locator("summary").first.focus()
    phone.keyboard.press("Enter")  # and closes again
    assert menu.get_attribute("open") is None


def test_the_language_switcher_is_still_reachable_on_a_phone(live_server, phone, personas):
    _sign_in(phone, live_server, personas, "member")
    phone.goto(live_server.url + personas.url("meetings:list"))
    _tab_to(phone, "Mona")  # the user menu
    phone.keyboard.press("Enter")
    deutsch = phone.get_by_role("button", name="Deutsch")
    assert deutsch.is_visible()
    box = deutsch.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390


def test_the_menu_works_without_javascript(live_server, browser, personas):
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    try:
        _sign_in(page, live_server, personas, "president")
        page.goto(live_server.url + personas.url("meetings:list"))
        assert _h1_top(page) <= TOP
        page.get_by_test_id("chapter-menu").locator("summary").first.click()
        assert page.get_by_role("link", name="Roster").is_visible()
    finally:
        context.close()


@pytest.mark.parametrize("width", [1024, 1280])
def test_on_a_desktop_more_and_leadership_line_up_with_the_links(live_server, browser, personas, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        _sign_in(page, live_server, personas, "president")
        page.goto(live_server.url + personas.url("meetings:list"))
        bar = page.get_by_role("navigation", name="Chapter")
        assert not page.get_by_test_id("chapter-menu").locator("summary").first.is_visible()  # no Menu button
        link = bar.get_by_role("link", name="Directory").bounding_box()
        for name in ("More", "Leadership"):
            summary = bar.locator("summary", has_text=name).bounding_box()
            assert abs(summary["y"] - link["y"]) <= 2, (name, summary, link)
            assert abs(summary["y"] + summary["height"] - link["y"] - link["height"]) <= 2, (name, summary, link)
        assert bar.get_by_role("link", name="Roster").is_visible()  # the links show as a bar, as before
        assert page.get_by_role("link", name="Notifications").is_visible()
    finally:
        context.close()
