"""The notification settings page in Chromium on a 390 px phone and a desktop: it fits, works with the keyboard
alone and without JavaScript, and each radio has a name a screen reader reads.

Screenshots go to /tmp/leadsgroups-notify-shots (never the repository).
"""

from pathlib import Path

import pytest

from members.models import Membership, User
from tests.conftest import browser_login
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/leadsgroups-notify-shots")
WIDER_THAN_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('main *')].filter(e => {
    const box = e.getBoundingClientRect();
    return box.width > 0 && box.right > width + 1;
  }).map(e => e.tagName + '.' + e.className);
  return {page: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
}"""


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_member_sets_a_kind_off_with_the_keyboard(live_server, request, device):
    page = request.getfixturevalue(device)
    member = MembershipFactory(role=Membership.Role.MEMBER)
    browser_login(page, live_server, member.user.email)
    page.goto(f"{live_server.url}/notifications/")
    page.get_by_role("link", name="Notification settings").click()
    page.wait_for_url("**/profile/notifications/")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"settings-{device}.png"), full_page=True)

    found = page.evaluate(WIDER_THAN_SCREEN)
    assert found["page"] <= found["width"] and not found["wide"], found

    row = page.locator("#delivery-thank_you")
    digest = row.get_by_role("radio", name="In the daily digest")
    assert digest.is_checked()  # the default of a routine step
    assert digest.get_attribute("aria-describedby") == "kind-thank_you"
    fine = page.locator("#delivery-fine")
    assert fine.get_by_role("radio").count() == 1 and "Cannot be turned off." in fine.inner_text()
    assert fine.get_by_role("radio", name="By email at once").get_attribute("aria-describedby") == (
        "kind-fine kind-fine-why")

    digest.focus()
    page.keyboard.press("ArrowRight")  # the next choice of the group: off
    assert row.get_by_role("radio", name="Off").is_checked()
    page.get_by_role("button", name="Save notification settings").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Notification settings saved." in page.content()
    assert User.objects.get(pk=member.user.pk).notification_delivery == {"thank_you": "off"}
    assert page.locator("#delivery-thank_you").get_by_role("radio", name="Off").is_checked()


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}])
def test_the_settings_page_has_no_serious_axe_finding(live_server, browser, viewport):
    from tests.a11y.axe import axe_context, axe_scan

    member = MembershipFactory(role=Membership.Role.MEMBER)
    context = axe_context(browser, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    browser_login(page, live_server, member.user.email)
    page.goto(f"{live_server.url}/profile/notifications/")
    findings = axe_scan(page, f"notification settings {viewport['width']} px")
    # and with an error shown: a required kind posted as "off" (a forged form) is refused in its row
    page.evaluate("""() => { const r = document.querySelector('#delivery-fine input');
                      r.value = 'off'; r.checked = true; }""")
    with page.expect_navigation():
        page.get_by_role("button", name="Save notification settings").click()
    assert "A fine has a time to pay or contest it" in page.locator("#delivery-fine").inner_text()
    findings += axe_scan(page, f"notification settings with an error {viewport['width']} px", menus=False)
    context.close()
    assert not findings, "\n".join(str(f) for f in findings)
