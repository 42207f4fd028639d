"""The app and the Django admin work in Chromium under the Content-Security-Policy, with no violation.

Every page load reports each `securitypolicyviolation` event and each console error or uncaught
error to the test (through a function exposed to the page, which survives navigations); any one
fails it. The admin runs under the same policy as the app: Django 5.2's admin keeps its scripts in
static files (data attributes instead of inline code), so it needs no exception.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from meetings.models import Meeting
from referrals.models import Referral
from tests.conftest import browser_login
from tests.factories import ChapterFactory, MembershipFactory, UserFactory
from tests.referrals.factories import ReferralFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) =>
  window.__cspViolation([e.violatedDirective, e.blockedURI, e.sourceFile + ":" + e.lineNumber].join(" ")));
"""


def _watch(page) -> list[str]:
    """Everything that went wrong in the page, from now on: CSP violations, console errors, uncaught errors."""
    problems: list[str] = []
    page.context.expose_function("__cspViolation", lambda text: problems.append(f"CSP violation: {text}"))
    page.context.add_init_script(REPORT_VIOLATIONS)
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    return problems


def _settled(page, problems) -> list[str]:
    page.wait_for_timeout(300)  # violation reports are dispatched after the fact
    return problems


@pytest.fixture
def riverside():
    chapter = ChapterFactory(name="Riverside", slug="riverside")
    long_ago = date(2020, 1, 1)
    president = MembershipFactory(chapter=chapter, role="president", user__email="pres@example.com",
                                  user__full_name="Paula President", joined_on=long_ago)
    members = [MembershipFactory(chapter=chapter, user__full_name=f"Member {n}", user__email=f"m{n}@example.com",
                                 joined_on=long_ago) for n in range(1, 4)]
    return chapter, president, members


def test_roll_call_and_referrals_work_on_a_phone_under_the_policy(live_server, phone, riverside):
    chapter, president, members = riverside
    starts = timezone.now() - timedelta(minutes=10)  # under way: roll call is open
    meeting = Meeting.objects.create(chapter=chapter, starts_at=starts, local_date=starts.astimezone(chapter.tz).date(),
                                     scheduled_date=starts.astimezone(chapter.tz).date(), venue="Quay Hotel")
    problems = _watch(phone)
    browser_login(phone, live_server, president.user.email)
    expect(phone.get_by_role("heading", level=1)).to_be_visible()  # the dashboard

    # Roll call: htmx swaps a row per tap and the counts with it; the substitute form opens in place.
    phone.goto(f"{live_server.url}/c/riverside/meetings/{meeting.pk}/")
    phone.locator(f"#roll-{members[0].pk}").locator("button[name=status][value=present]").tap()
    expect(phone.locator(f"#roll-{members[0].pk}")).to_have_attribute("data-status", "present")
    sub = phone.locator(f"#roll-{members[1].pk}")
    sub.locator("summary").tap()
    sub.get_by_label("Substitute's name").fill("Sam Stand-in")
    sub.get_by_role("button", name="Mark substitute").tap()
    expect(phone.locator(f"#roll-{members[1].pk}")).to_have_attribute("data-status", "substitute")
    expect(phone.get_by_test_id("count-present")).to_have_text("1")
    phone.get_by_test_id("visitor-section").locator("summary").tap()  # loaded by htmx when opened
    expect(phone.locator("#visitors").get_by_label("Name")).to_be_visible()

    # The referral form, then the receiver's inbox where htmx moves the card along.
    phone.goto(f"{live_server.url}/c/riverside/referrals/new/")
    phone.fill("input[name=receiver]", "Member 3")
    phone.check("input[name=kind][value=outside]")
    phone.fill("input[name=prospect_name]", "Petra Prospect")
    phone.fill("input[name=prospect_phone]", "07700 900123")
    phone.check("input[name=consent][value=stated]")
    phone.click("button:has-text('Pass referral')")
    phone.wait_for_url("**/referrals/*/")
    expect(phone.get_by_test_id("prospect")).to_contain_text("Petra Prospect")
    received = ReferralFactory(giver=members[2], receiver=president)
    phone.goto(f"{live_server.url}/c/riverside/referrals/")
    phone.locator(f"#referral-{received.pk}").get_by_role("button", name="Accept").tap()
    expect(phone.locator(f"#referral-{received.pk} [data-testid=status]")).to_have_text("Accepted")
    phone.goto(f"{live_server.url}/c/riverside/referrals/stats/")
    expect(phone.get_by_test_id("leaderboard")).to_be_visible()

    assert Referral.objects.get(pk=received.pk).status == "accepted"
    assert not _settled(phone, problems), problems


def test_an_erasure_request_is_counted_and_erased_under_the_policy(live_server, desktop, riverside):
    chapter, president, members = riverside
    ReferralFactory(giver=members[0], receiver=members[1], prospect_email="petra@prospect.example")
    ReferralFactory(giver=members[1], receiver=president, prospect_email="petra@prospect.example")
    UserFactory(email="admin@example.com", is_org_admin=True)
    problems = _watch(desktop)
    browser_login(desktop, live_server, "admin@example.com")
    desktop.goto(f"{live_server.url}/c/riverside/referrals/erase/")
    desktop.get_by_label("Reference of the erasure request").fill("REQ-2026-4")
    desktop.get_by_label("The prospect's email address or phone number").fill("petra@prospect.example")
    desktop.get_by_role("button", name="Count referrals").click()
    expect(desktop.get_by_test_id("erase-count")).to_contain_text("2 referrals hold this contact")
    desktop.get_by_test_id("erase-all").click()
    expect(desktop.get_by_role("status")).to_contain_text("prospect data erased from 2 referrals")
    assert Referral.objects.filter(prospect_erased_at__isnull=False).count() == 2
    assert not _settled(desktop, problems), problems


def test_the_django_admin_works_under_the_same_policy(live_server, desktop, riverside):
    chapter, president, members = riverside
    ReferralFactory(giver=members[0], receiver=members[1])
    UserFactory(email="super@example.com", is_staff=True, is_superuser=True)
    problems = _watch(desktop)
    browser_login(desktop, live_server, "super@example.com")

    desktop.goto(f"{live_server.url}/admin/")
    expect(desktop.locator("#site-name")).to_be_visible()
    # The referral list with the chapter filter's search box (its style in static/css/admin.css).
    desktop.goto(f"{live_server.url}/admin/referrals/referral/")
    box = desktop.locator(".chapter-filter-form input[type=search]")
    box.fill("River")
    box.press("Enter")
    expect(desktop.locator("#changelist-filter")).to_contain_text("Riverside")
    desktop.locator("#action-toggle").check()  # the actions bar's select-all (admin/js/actions.js)
    expect(desktop.locator(".action-counter")).to_contain_text("1 of 1 selected")

    # A change form with autocompletes (select2), date shortcuts and a calendar popup.
    desktop.goto(f"{live_server.url}/admin/members/membership/add/")
    desktop.locator(".select2-selection").first.click()
    desktop.keyboard.type("Member 1")
    desktop.locator(".select2-results__option", has_text="Member 1").click()
    desktop.locator("#id_renewal_due").fill("")
    desktop.locator("#id_renewal_due + .datetimeshortcuts a", has_text="Today").click()
    expect(desktop.locator("#id_renewal_due")).not_to_have_value("")
    desktop.locator("#calendarlink1").click()
    expect(desktop.locator("#calendarbox1")).to_be_visible()

    # A user's page: the groups and permissions pickers (SelectFilter2); a prepopulated slug.
    desktop.goto(f"{live_server.url}/admin/members/user/{president.user.pk}/change/")
    expect(desktop.locator(".selector").first).to_be_visible()
    desktop.goto(f"{live_server.url}/admin/chapters/chapter/add/")
    desktop.locator("#id_name").press_sequentially("Zeta Lunch")
    expect(desktop.locator("#id_slug")).to_have_value("zeta-lunch")

    assert not _settled(desktop, problems), problems
