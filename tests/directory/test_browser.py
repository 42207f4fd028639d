"""The directory, the read-out and the run sheet in Chromium, on a desktop and a 390 px phone, on screen and in print.

Screenshots go to /tmp/leadsgroups-directory-shots (never into the repository).
"""

from pathlib import Path

import pytest
from django.core.management import call_command

from meetings.models import Meeting
from tests.conftest import browser_login, chapter_menu
from tests.directory.photos import image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/leadsgroups-directory-shots")
PASSWORD = "demo-pass-2026"
LOADED = "i => i.complete ? i.naturalWidth : new Promise(done => i.addEventListener('load', () => done(i.naturalWidth)))"
WIDER_THAN_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('main *')].filter(e => {
    const box = e.getBoundingClientRect();
    return box.width > 0 && box.right > width + 1 && !e.closest('.table-wrap');
  }).map(e => e.tagName + '.' + e.className);
  const boxes = [...document.querySelectorAll('main .table-wrap')].filter(b => b.scrollWidth > b.clientWidth + 1)
    .map(b => 'table-wrap: ' + (b.querySelector('th') || b).innerText);
  return {page: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5), boxes};
}"""


def _shot(page, name: str, **kwargs) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, **kwargs)


def _fits(page, what: str) -> None:
    found = page.evaluate(WIDER_THAN_SCREEN)
    assert found["page"] <= found["width"], (what, found)
    assert not found["wide"] and not found["boxes"], (what, found)


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))


def _with_ideal_referral():
    from members.models import Membership

    return (Membership.objects.filter(chapter__slug="riverside", status="active")
            .exclude(user__profile__ideal_referral="").select_related("user__profile").order_by("pk").first())


def _last_closed():
    return Meeting.objects.filter(chapter__slug="riverside", status="closed").order_by("-starts_at").first()


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_member_searches_the_directory(live_server, demo, request, device):
    page = request.getfixturevalue(device)
    browser_login(page, live_server, "maya.evans.riverside@demo.leadsgroups.org", PASSWORD)
    page.goto(f"{live_server.url}/c/riverside/")
    chapter_menu(page).get_by_role("link", name="Directory").click()
    page.wait_for_url("**/c/riverside/directory/")
    assert page.locator('[data-testid="dir-card"]').count() >= 20
    assert page.locator(".dir-photo img").count() >= 3  # the demo's generated photos load through the view
    for src in page.eval_on_selector_all(".dir-photo img", "imgs => imgs.map(i => i.getAttribute('src'))"):
        response = page.request.get(live_server.url + src)
        assert response.status == 200 and response.headers["content-type"] == "image/jpeg", src
    _shot(page, f"directory-member-{device}")
    _fits(page, "directory")
    total = page.locator('[data-testid="dir-card"]').count()
    seat = _with_ideal_referral()
    words = " ".join(seat.user.profile.ideal_referral.split()[:3])
    page.fill('[data-testid="dir-search"]', words)
    page.keyboard.press("Enter")
    page.wait_for_url("**?q=*")
    found = page.locator('[data-testid="dir-card"]')
    assert 1 <= found.count() < total
    assert seat.user.full_name in found.all_inner_texts()[0] or seat.user.full_name in " ".join(found.all_inner_texts())
    # across all her chapters, from the user menu
    page.goto(f"{live_server.url}/directory/?q=maya")
    chapters = page.locator('[data-testid="dir-card"] a').all_inner_texts()
    assert "Riverside Breakfast Club" in chapters and "City Lunch Referrals" in chapters
    _shot(page, f"directory-search-{device}")
    _fits(page, "directory search")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_president_reads_the_directory_read_out_and_run_sheet(live_server, demo, request, device):
    page = request.getfixturevalue(device)
    meeting = _last_closed()
    browser_login(page, live_server, "president.riverside@demo.leadsgroups.org", PASSWORD)
    page.goto(f"{live_server.url}/c/riverside/directory/")
    _shot(page, f"directory-president-{device}")
    _fits(page, "directory (president)")

    page.goto(f"{live_server.url}/c/riverside/meetings/{meeting.pk}/")
    page.get_by_test_id("readout-link").click()
    page.wait_for_url(f"**/meetings/{meeting.pk}/read-out/")
    assert page.get_by_test_id("readout-state").inner_text() == "Final"
    assert int(page.get_by_test_id("this-referrals").inner_text()) > 0
    _shot(page, f"readout-{device}")
    _fits(page, "read-out")

    page.goto(f"{live_server.url}/c/riverside/meetings/{meeting.pk}/")
    page.get_by_test_id("run-sheet-link").click()
    page.wait_for_url(f"**/meetings/{meeting.pk}/run-sheet/")
    assert "Education moment" in page.get_by_test_id("run-sheet-agenda").inner_text()
    _shot(page, f"run-sheet-{device}")
    _fits(page, "run sheet")


def test_print_layout_has_no_navigation_and_whole_tables(live_server, demo, desktop):
    meeting = _last_closed()
    browser_login(desktop, live_server, "president.riverside@demo.leadsgroups.org", PASSWORD)
    desktop.emulate_media(media="print")
    for name, path in (
        ("readout", f"/c/riverside/meetings/{meeting.pk}/read-out/"),
        ("run-sheet", f"/c/riverside/meetings/{meeting.pk}/run-sheet/"),
        ("roster", "/c/riverside/roster/"),
        ("directory", "/c/riverside/directory/"),
    ):
        desktop.goto(live_server.url + path)
        for hidden in (".site-header", ".site-footer", "button", "main form"):
            assert not desktop.locator(hidden).first.is_visible(), (name, hidden)
        printed = desktop.evaluate("""() => ({
          color: getComputedStyle(document.querySelector('main h1')).color,
          background: getComputedStyle(document.body).backgroundColor,
          theadRepeats: [...document.querySelectorAll('thead')].every(t => getComputedStyle(t).display === 'table-header-group'),
          rowsWhole: [...document.querySelectorAll('tbody tr')].every(r => getComputedStyle(r).breakInside === 'avoid'),
          scrolling: [...document.querySelectorAll('.table-wrap')].filter(b => b.scrollWidth > b.clientWidth + 1).length,
          linkAfter: [...document.querySelectorAll('main a[href]')].some(a => !['none', 'normal', ''].includes(getComputedStyle(a, '::after').content)),
        })""")
        assert printed["color"] == "rgb(0, 0, 0)" and printed["background"] in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"), (name, printed)
        assert printed["theadRepeats"] and printed["rowsWhole"] and printed["scrolling"] == 0, (name, printed)
        assert not printed["linkAfter"], (name, printed)
        _shot(desktop, f"print-{name}")


def test_a_member_uploads_a_photo_on_the_phone_and_the_chapter_sees_it(live_server, demo, phone, tmp_path):
    picture = tmp_path / "me.png"
    picture.write_bytes(image_bytes((1200, 900), fmt="PNG", color=(10, 120, 200)))
    browser_login(phone, live_server, "maya.evans.riverside@demo.leadsgroups.org", PASSWORD)
    phone.goto(f"{live_server.url}/profile/")
    _fits(phone, "profile")
    phone.set_input_files('input[name="photo"]', str(picture))
    phone.check('input[name="photo_visibility"][value="chapters"]')
    phone.check('input[name="phone_visibility"][value="hidden"]')
    phone.get_by_role("button", name="Save").click()
    phone.wait_for_url("**/profile/")
    assert phone.locator(".profile-photo img").evaluate(LOADED) == 400
    _shot(phone, "profile-phone")
    phone.goto(f"{live_server.url}/c/riverside/directory/?q=maya")
    card = phone.locator('[data-testid="dir-card"]').first
    assert card.locator("img").evaluate(LOADED) == 400
    assert card.locator('[data-testid="dir-phone"]').count() == 0
