import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from meetings.models import Attendance, Meeting, Visitor
from tests.conftest import browser_login, chapter_menu
from tests.factories import ChapterFactory, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_president_runs_roll_call_on_a_phone(live_server, phone):
    chapter = ChapterFactory(name="Riverside", slug="riverside")
    long_ago = date(2020, 1, 1)
    president = MembershipFactory(chapter=chapter, role="president", user__email="pres@example.com",
                                  user__full_name="Paula President", joined_on=long_ago)
    members = [MembershipFactory(chapter=chapter, user__full_name=f"Member {n}", joined_on=long_ago)
               for n in range(1, 7)]
    starts = timezone.now() - timedelta(minutes=10)  # under way: roll call and closing are open
    meeting = Meeting.objects.create(chapter=chapter, starts_at=starts, local_date=starts.astimezone(chapter.tz).date(),
                                     scheduled_date=starts.astimezone(chapter.tz).date(), venue="Quay Hotel")

    browser_login(phone, live_server, president.user.email)
    phone.goto(f"{live_server.url}/c/riverside/")
    chapter_menu(phone).get_by_role("link", name="Next meeting").click()
    expect(phone).to_have_url(re.compile(rf"/c/riverside/meetings/{meeting.pk}/$"))
    phone.evaluate("window.__samePage = true")

    for member, mark in zip(members[:4], ["present", "present", "late", "present"], strict=True):
        row = phone.locator(f"#roll-{member.pk}")
        row.get_by_role("button", name=f"Mark {member.display_name} {mark}", exact=True).tap()
        expect(phone.locator(f"#roll-{member.pk}")).to_have_attribute("data-status", mark)
    sub_row = phone.locator(f"#roll-{members[4].pk}")
    sub_row.locator("summary").tap()
    sub_row.get_by_label("Substitute's name").fill("Sam Stand-in")
    sub_row.get_by_label("Substitute's business").fill("Stand-in Plumbing")
    sub_row.get_by_role("button", name="Mark substitute").tap()
    expect(phone.locator(f"#roll-{members[4].pk}")).to_have_attribute("data-status", "substitute")
    expect(phone.locator(f"#roll-{members[4].pk}")).to_contain_text("Sam Stand-in")
    expect(phone.get_by_test_id("count-present")).to_have_text("3")
    expect(phone.get_by_test_id("count-late")).to_have_text("1")
    expect(phone.get_by_test_id("count-substitute")).to_have_text("1")
    expect(phone.get_by_test_id("count-unmarked")).to_have_text("2")  # the president and member 6
    assert phone.evaluate("window.__samePage") is True  # htmx swapped rows; the page never reloaded

    visitors = phone.locator("#visitors")
    visitors.get_by_text("Add a visitor").tap()
    visitors.get_by_label("Name").fill("Vera Visitor")
    visitors.get_by_label("Business").fill("Vera's Bakes")
    visitors.get_by_label("Invited by").select_option(label="Member 1")
    visitors.get_by_role("button", name="Add visitor").tap()
    expect(phone.locator("#visitors")).to_contain_text("Vera Visitor")

    phone.get_by_test_id("close-meeting").tap()
    expect(phone.get_by_test_id("unmarked")).to_contain_text("Paula President")
    expect(phone.get_by_test_id("unmarked")).to_contain_text("Member 6")
    phone.get_by_test_id("confirm-close").tap()
    expect(phone.get_by_test_id("meeting-status")).to_have_text("Closed")
    expect(phone.get_by_text("Final figures")).to_be_visible()

    meeting.refresh_from_db()
    assert meeting.status == "closed" and meeting.closed_by == president.user
    marks = dict(Attendance.objects.filter(meeting=meeting).values_list("membership__user__full_name", "status"))
    assert marks == {"Member 1": "present", "Member 2": "present", "Member 3": "late", "Member 4": "present",
                     "Member 5": "substitute", "Member 6": "absent", "Paula President": "absent"}
    assert Attendance.objects.get(meeting=meeting, membership=members[4]).substitute_name == "Sam Stand-in"
    assert Visitor.objects.get(meeting=meeting).invited_by == members[0]


def _overlap(a: dict, b: dict) -> bool:
    return a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def test_counts_stay_in_view_during_roll_call_only_on_a_phone(live_server, phone):
    chapter = ChapterFactory(name="Riverside", slug="riverside")
    president = MembershipFactory(chapter=chapter, role="president", user__email="pres@example.com",
                                  joined_on=date(2020, 1, 1))
    for n in range(1, 16):
        MembershipFactory(chapter=chapter, user__full_name=f"Member {n:02}", joined_on=date(2020, 1, 1))
    starts = timezone.now() - timedelta(minutes=10)
    meeting = Meeting.objects.create(chapter=chapter, starts_at=starts, local_date=starts.astimezone(chapter.tz).date(),
                                     scheduled_date=starts.astimezone(chapter.tz).date())
    browser_login(phone, live_server, president.user.email)
    phone.goto(f"{live_server.url}/c/riverside/meetings/{meeting.pk}/")
    counts = phone.locator("#roll-counts")

    phone.locator("#roll-call li.roll-row").nth(10).scroll_into_view_if_needed()
    box = counts.bounding_box()
    assert box is not None and -1 <= box["y"] <= 1  # stuck to the top while the roll call scrolls by

    for section in ("#agenda", "#visitors", "#testimonials"):
        heading = phone.locator(f"{section} h2")
        phone.evaluate(f"document.querySelector('{section}').scrollIntoView({{block: 'start'}})")
        assert not _overlap(counts.bounding_box(), heading.bounding_box()), f"the counts cover {section}"


def _poll(page) -> None:
    """Run the counts panel's poll now, instead of waiting its 15 seconds."""
    page.evaluate("""() => new Promise(done => {
        const panel = document.querySelector('#roll-counts');
        htmx.ajax('GET', panel.getAttribute('hx-get'), {target: panel, swap: 'outerHTML'}).then(done);
    })""")


def test_second_leader_sees_marks_live_without_losing_a_substitute_being_typed(live_server, phone):
    """Issue 4: rows marked by another leader refresh with the poll; a row being edited is left alone."""
    from meetings import services

    chapter = ChapterFactory(name="Riverside", slug="riverside")
    long_ago = date(2020, 1, 1)
    president = MembershipFactory(chapter=chapter, role="president", user__email="pres@example.com",
                                  joined_on=long_ago)
    vp = MembershipFactory(chapter=chapter, role="vice_president", joined_on=long_ago)
    members = [MembershipFactory(chapter=chapter, user__full_name=f"Member {n}", joined_on=long_ago)
               for n in range(1, 4)]
    starts = timezone.now() - timedelta(minutes=10)
    meeting = Meeting.objects.create(chapter=chapter, starts_at=starts, local_date=starts.astimezone(chapter.tz).date(),
                                     scheduled_date=starts.astimezone(chapter.tz).date())
    browser_login(phone, live_server, president.user.email)
    phone.goto(f"{live_server.url}/c/riverside/meetings/{meeting.pk}/")
    phone.evaluate("window.__samePage = true")
    typing = phone.locator(f"#roll-{members[1].pk}")
    typing.locator("summary").tap()
    typing.get_by_label("Substitute's name").fill("Sam Half-typ")

    # the vice-president marks two members on their own phone meanwhile
    services.attendance_mark(meeting=meeting, membership=members[0], status="late", by=vp.user)
    services.attendance_mark(meeting=meeting, membership=members[1], status="absent", by=vp.user)
    _poll(phone)

    expect(phone.locator(f"#roll-{members[0].pk}")).to_have_attribute("data-status", "late")
    expect(phone.locator(f"#roll-{members[0].pk}").get_by_role("button", name="Mark Member 1 late")).to_have_attribute(
        "aria-pressed", "true")
    expect(phone.get_by_test_id("count-late")).to_have_text("1")
    # the row being typed in keeps the text and the open form, and says what changed
    expect(typing.get_by_label("Substitute's name")).to_have_value("Sam Half-typ")
    expect(typing.get_by_test_id("roll-note")).to_contain_text("Absent")
    assert phone.locator(f"#roll-{members[1].pk}").get_attribute("data-status") == ""
    typing.get_by_role("button", name="Mark substitute").tap()  # their tap decides
    expect(phone.locator(f"#roll-{members[1].pk}")).to_have_attribute("data-status", "substitute")
    assert Attendance.objects.get(meeting=meeting, membership=members[1]).substitute_name == "Sam Half-typ"

    # a row nobody is busy with follows the other leader, however often it changes
    services.attendance_mark(meeting=meeting, membership=members[2], status="medical", by=vp.user)
    _poll(phone)
    expect(phone.locator(f"#roll-{members[2].pk}")).to_have_attribute("data-status", "medical")
    assert phone.evaluate("window.__samePage") is True


def _meeting_under_way(**members):
    """Riverside, its president and the named members, and a meeting that began ten minutes ago."""
    chapter = ChapterFactory(name="Riverside", slug="riverside")
    long_ago = date(2020, 1, 1)
    president = MembershipFactory(chapter=chapter, role="president", user__email="pres@example.com",
                                  joined_on=long_ago)
    seats = {key: MembershipFactory(chapter=chapter, user__full_name=name, joined_on=long_ago)
             for key, name in members.items()}
    starts = timezone.now() - timedelta(minutes=10)
    meeting = Meeting.objects.create(chapter=chapter, starts_at=starts, local_date=starts.astimezone(chapter.tz).date(),
                                     scheduled_date=starts.astimezone(chapter.tz).date())
    return president, seats, meeting


@pytest.mark.parametrize("field", ["Substitute's name", "Substitute's business"])
def test_enter_in_a_substitute_field_saves_the_substitute(live_server, phone, field):
    """Issue 10: Enter (a phone's Go key) in the name or business field records the substitute, not 'present'."""
    president, seats, meeting = _meeting_under_way(member="Mona Member")
    browser_login(phone, live_server, president.user.email)
    phone.goto(f"{live_server.url}/c/riverside/meetings/{meeting.pk}/")
    phone.evaluate("window.__samePage = true")
    row = phone.locator(f"#roll-{seats['member'].pk}")
    row.locator("summary").tap()
    row.get_by_label("Substitute's name").fill("Sam Stand-in")
    row.get_by_label("Substitute's business").fill("Stand-in Plumbing")
    row.get_by_label(field).press("Enter")

    row = phone.locator(f"#roll-{seats['member'].pk}")
    expect(row).to_have_attribute("data-status", "substitute")
    expect(row.get_by_test_id("mark")).to_have_text("Substitute: Sam Stand-in (Stand-in Plumbing)")
    expect(phone.get_by_test_id("count-present")).to_have_text("0")
    assert phone.evaluate("window.__samePage") is True  # htmx swapped the row in place
    mark = Attendance.objects.get(meeting=meeting, membership=seats["member"])
    assert (mark.status, mark.substitute_name, mark.substitute_business) == (
        "substitute", "Sam Stand-in", "Stand-in Plumbing")


@pytest.mark.parametrize("field", ["Substitute's name", "Substitute's business"])
def test_enter_in_a_substitute_field_saves_the_substitute_without_javascript(live_server, browser, field):
    """The plain form: with JavaScript off, Enter posts the substitute form and the page comes back marked."""
    president, seats, meeting = _meeting_under_way(member="Mona Member")
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        browser_login(page, live_server, president.user.email)
        page.goto(f"{live_server.url}/c/riverside/meetings/{meeting.pk}/")
        row = page.locator(f"#roll-{seats['member'].pk}")
        row.locator("summary").click()
        row.get_by_label("Substitute's name").fill("Sam Stand-in")
        row.get_by_label("Substitute's business").fill("Stand-in Plumbing")
        with page.expect_navigation():
            row.get_by_label(field).press("Enter")
        expect(page).to_have_url(re.compile(rf"/meetings/{meeting.pk}/#roll-{seats['member'].pk}$"))
        row = page.locator(f"#roll-{seats['member'].pk}")
        expect(row).to_have_attribute("data-status", "substitute")
        expect(row.get_by_test_id("mark")).to_have_text("Substitute: Sam Stand-in (Stand-in Plumbing)")
    finally:
        context.close()
    assert Attendance.objects.get(meeting=meeting, membership=seats["member"]).status == "substitute"


def test_roll_call_by_keyboard_keeps_the_focus_in_the_row_just_marked(live_server, desktop):
    """Enter on a mark replaces the row; the focus comes back to the same button of the new row, so Tab goes
    on from there and Enter can change the mark again. A refused substitute puts it in the name field."""
    president, seats, meeting = _meeting_under_way(mona="Mona Member", nick="Nick Next")
    browser_login(desktop, live_server, president.user.email)
    desktop.goto(f"{live_server.url}/c/riverside/meetings/{meeting.pk}/")
    row_id = f"roll-{seats['mona'].pk}"
    desktop.locator(f"#{row_id}").get_by_role("button", name="Mark Mona Member present", exact=True).focus()
    desktop.keyboard.press("Enter")
    expect(desktop.locator(f"#{row_id}")).to_have_attribute("data-status", "present")
    expect(desktop.locator(f"#{row_id}").get_by_role("button", name="Mark Mona Member present")).to_be_focused()
    desktop.keyboard.press("Tab")  # on to Late, in the same row
    desktop.keyboard.press("Enter")
    expect(desktop.locator(f"#{row_id}")).to_have_attribute("data-status", "late")
    expect(desktop.locator(f"#{row_id}").get_by_role("button", name="Mark Mona Member late")).to_be_focused()

    nick = desktop.locator(f"#roll-{seats['nick'].pk}")
    nick.locator("summary").click()
    nick.get_by_label("Substitute's business").fill("Stand-in Ltd")
    nick.get_by_label("Substitute's business").press("Enter")  # no name yet: refused
    nick = desktop.locator(f"#roll-{seats['nick'].pk}")
    expect(nick.locator(".errorlist")).to_contain_text("Enter the substitute's name")
    expect(nick.get_by_label("Substitute's name")).to_be_focused()
    expect(nick.get_by_label("Substitute's business")).to_have_value("Stand-in Ltd")
    desktop.keyboard.type("Sam Stand-in")
    desktop.keyboard.press("Enter")
    expect(nick).to_have_attribute("data-status", "substitute")
    expect(nick.get_by_test_id("mark")).to_have_text("Substitute: Sam Stand-in (Stand-in Ltd)")


def test_visitor_and_testimonial_forms_load_when_opened_by_keyboard(live_server, desktop):
    """The roll call carries no visitor or testimonial form: opening its section (Enter on the summary)
    fetches it; the focus stays on the summary and Tab goes on into the form just loaded."""
    president, seats, meeting = _meeting_under_way(mona="Mona Member", max="Max Member")
    browser_login(desktop, live_server, president.user.email)
    desktop.goto(f"{live_server.url}/c/riverside/meetings/{meeting.pk}/")
    assert desktop.locator("select").count() == 0  # no member or classification lists on the page

    section = desktop.get_by_test_id("visitor-section")
    section.locator("summary").focus()
    desktop.keyboard.press("Enter")
    expect(section.get_by_test_id("visitor-form")).to_be_visible()
    expect(section.locator("summary")).to_be_focused()
    desktop.keyboard.press("Tab")
    expect(section.get_by_label("Name")).to_be_focused()
    desktop.keyboard.type("Vera Visitor")
    section.get_by_label("Invited by").select_option(label="Mona Member")
    section.get_by_role("button", name="Add visitor").focus()
    with desktop.expect_navigation():
        desktop.keyboard.press("Enter")
    expect(desktop.locator("#visitors")).to_contain_text("Vera Visitor")

    section = desktop.get_by_test_id("testimonial-section")
    section.locator("summary").focus()
    desktop.keyboard.press("Enter")
    form = section.get_by_test_id("testimonial-form")
    expect(form).to_be_visible()
    form.get_by_label("Given by").select_option(label="Mona Member")
    form.get_by_label("About").select_option(label="Max Member")
    form.get_by_label("Text").fill("Fixed our boiler the same day.")
    with desktop.expect_navigation():
        form.get_by_role("button", name="Record testimonial").click()
    section = desktop.get_by_test_id("testimonial-section")
    expect(section.locator("summary")).to_have_text(re.compile("1 recorded"))
    section.locator("summary").click()
    expect(section).to_contain_text("Mona Member about Max Member")
    assert Visitor.objects.get(meeting=meeting).invited_by == seats["mona"]


def test_visitor_form_without_javascript_is_a_link_to_its_page(live_server, browser):
    president, seats, meeting = _meeting_under_way(mona="Mona Member")
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        browser_login(page, live_server, president.user.email)
        page.goto(f"{live_server.url}/c/riverside/meetings/{meeting.pk}/")
        section = page.get_by_test_id("visitor-section")
        section.locator("summary").click()
        section.get_by_role("link", name="Open the visitor form").click()
        expect(page).to_have_url(re.compile(rf"/meetings/{meeting.pk}/visitors/add/$"))
        page.get_by_label("Name").fill("Vera Visitor")
        page.get_by_role("button", name="Add visitor").click()
        expect(page.locator("#visitors")).to_contain_text("Vera Visitor")
    finally:
        context.close()


def _tab_to(page, name: str, most: int = 8) -> int:
    """Press Tab until the focused element's accessible name (its aria-label) is `name`; the presses it took."""
    for presses in range(1, most + 1):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == name:
            return presses
    raise AssertionError(f"{most} Tabs did not reach {name!r}")


def _release(page, held: list, seconds: float = 10) -> None:
    """Let the one request held back go on (once the browser has handed it over)."""
    for _ in range(int(seconds * 20)):
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1, f"{len(held)} requests held: expected the one mark"
    held.pop().continue_()


def _focused_row(page) -> str | None:
    return page.evaluate("(document.activeElement.closest('.roll-row') || {}).id || null")


def test_roll_call_with_the_keyboard_alone(live_server, desktop):
    """Issue 14: the skip link is the first Tab stop and leads to the members; Space and Enter mark them; each
    mark shows (and announces) "Saving…" while it is on its way, and the focus stays in the member's row."""
    president, seats, meeting = _meeting_under_way(ann="Ann Smith", bob="Bob Jones", cat="Cat Lee")
    browser_login(desktop, live_server, president.user.email)
    desktop.goto(f"{live_server.url}/c/riverside/meetings/{meeting.pk}/")
    desktop.evaluate("window.__samePage = true")
    held = []  # each mark's request waits here until the test has seen it being saved
    desktop.route(re.compile(rf"/meetings/{meeting.pk}/attendance/\d+/$"), lambda route: held.append(route))

    desktop.keyboard.press("Tab")
    skip = desktop.get_by_test_id("skip-to-roll-call")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # hidden until focused, then on top of the page
    expect(skip).to_have_text("Skip to the roll call")
    desktop.keyboard.press("Enter")
    # straight to the first member: one Tab from the list, where the navigation and actions took a dozen or more
    assert _tab_to(desktop, "Mark Ann Smith present") == 1

    live = desktop.get_by_test_id("roll-live")
    for seat, mark, key in ((seats["ann"], "present", "Space"), (seats["bob"], "late", "Enter"),
                            (seats["cat"], "absent", "Space")):
        name = seat.user.full_name
        if seat is not seats["ann"]:
            _tab_to(desktop, f"Mark {name} {mark}")
        row = desktop.locator(f"#roll-{seat.pk}")
        desktop.keyboard.press(key)
        expect(row.get_by_test_id("roll-saving")).to_have_text("Saving…")
        expect(row).to_have_attribute("aria-busy", "true")
        expect(live).to_have_text(f"Saving the mark of {name}…")
        _release(desktop, held)
        expect(row).to_have_attribute("data-status", mark)
        expect(row.get_by_test_id("roll-saving")).to_have_count(0)
        expect(row.get_by_role("button", name=f"Mark {name} {mark}")).to_be_focused()
        expect(row.get_by_role("button", name=f"Mark {name} {mark}")).to_have_attribute("aria-pressed", "true")
        assert _focused_row(desktop) == f"roll-{seat.pk}"
        expect(live).to_have_text(f"{name}: {mark.capitalize()}, saved.")

    assert desktop.evaluate("window.__samePage") is True  # all by htmx: the page never reloaded
    marks = dict(Attendance.objects.filter(meeting=meeting).values_list("membership__user__full_name", "status"))
    assert marks == {"Ann Smith": "present", "Bob Jones": "late", "Cat Lee": "absent"}
