import re

import pytest
from playwright.sync_api import expect

from members.models import Membership
from members.services import invitation_create
from tests.conftest import browser_login
from tests.factories import ChapterFactory, ClassificationFactory, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_president_signs_in_and_sees_the_roster(live_server, desktop):
    chapter = ChapterFactory(name="Riverside", slug="riverside")
    president = MembershipFactory(chapter=chapter, role="president", user__email="pres@example.com",
                                  user__full_name="Paula President")
    MembershipFactory(chapter=chapter, user__full_name="Mona Member", classification__name="Florist")
    browser_login(desktop, live_server, president.user.email)
    desktop.get_by_role("link", name="Riverside").first.click()
    desktop.get_by_role("navigation", name="Chapter").get_by_role("link", name="Roster").click()
    expect(desktop).to_have_url(re.compile(r"/c/riverside/roster/$"))
    expect(desktop.locator("table")).to_contain_text("Mona Member")
    expect(desktop.locator("table")).to_contain_text("Florist")
    expect(desktop.locator("table")).to_contain_text("President")


def test_invited_person_accepts_and_lands_in_the_chapter(live_server, phone):
    chapter = ChapterFactory(name="Harbour", slug="harbour")
    president = MembershipFactory(chapter=chapter, role="president")
    _, link = invitation_create(
        chapter=chapter, email="newbie@example.com", full_name="Nina Newbie", role="member",
        classification=ClassificationFactory(name="Photographer"), invited_by=president.user,
    )
    phone.goto(live_server.url + link.split("testserver", 1)[-1].replace("http://127.0.0.1:8000", ""))
    expect(phone.get_by_role("heading", name="Join Harbour")).to_be_visible()
    phone.get_by_label("Choose a password").fill("correct-Horse-battery-9")
    phone.get_by_label("Password again").fill("correct-Horse-battery-9")
    phone.get_by_role("button", name="Set password and join").click()
    expect(phone).to_have_url(re.compile(r"/c/harbour/$"))
    expect(phone.get_by_text("Welcome to Harbour!")).to_be_visible()
    assert Membership.objects.get(user__email="newbie@example.com").chapter == chapter


def test_member_management_keeps_status_and_edit_on_a_phone_screen(live_server, phone):
    chapter = ChapterFactory(name="Riverside", slug="riverside")
    president = MembershipFactory(chapter=chapter, role="president", user__email="pres@example.com")
    MembershipFactory(chapter=chapter, user__full_name="Mona Member",
                      user__email="mona.member-with-a-long-address@riverside-breakfast.example.org",
                      classification__name="Commercial real estate agent")
    from members.services import invitation_create

    invitation_create(chapter=chapter, email="a-rather-long-address-for-an-invitee@riverside-breakfast.example.org",
                      full_name="", role="member", classification=None, invited_by=president.user)
    browser_login(phone, live_server, president.user.email)
    phone.goto(f"{live_server.url}/c/riverside/members/")
    row = phone.locator("tr", has_text="Mona Member")
    invitation = phone.locator("[data-testid=invitations] li", has_text="a-rather-long-address")
    # inside the page's margin (the container's 16 px each side), not touching the screen's edge
    for cell in (row.get_by_role("link", name="Edit"), row.get_by_role("link", name="Standing"),
                 row.get_by_text("Active"), invitation.get_by_role("button", name="Withdraw")):
        box = cell.bounding_box()
        assert box and box["x"] + box["width"] <= 390 - 16, f"{box} is not within a 390px screen's margin"
    assert phone.evaluate("[...document.querySelectorAll('main .table-wrap')].every(w => w.scrollWidth <= w.clientWidth)")
    row.get_by_role("link", name="Mona Member").click()
    expect(phone).to_have_url(re.compile(r"/c/riverside/members/\d+/$"))
