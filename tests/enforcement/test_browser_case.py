"""In a browser: the member appeals their expulsion case, then an organisation admin decides it from the queue."""

from datetime import timedelta

import pytest
from django.utils import timezone

from enforcement.models import ExpulsionCase
from members.models import AuditEvent, Membership, Notification
from tests.conftest import browser_login
from tests.enforcement.factories import ExpulsionCaseFactory, FineFactory
from tests.factories import MembershipFactory, UserFactory


@pytest.mark.browser
def test_member_appeals_then_admin_decides_probation(transactional_db, live_server, desktop):
    member = MembershipFactory(user__full_name="Mona Member", user__email="mona@example.com")
    president = MembershipFactory(chapter=member.chapter, role=Membership.Role.PRESIDENT, user__email="paula@example.com")
    UserFactory(email="olga@example.com", full_name="Olga Admin", is_org_admin=True)
    case = ExpulsionCaseFactory(membership=member, explanation="3 violations within 6 months.")
    case.fines.set([FineFactory(membership=member, rules=case.rules) for _ in range(3)])
    url = f"{live_server.url}/c/{member.chapter.slug}/cases/{case.pk}/"

    browser_login(desktop, live_server, "mona@example.com")
    desktop.goto(url)
    assert "appeal until" in desktop.inner_text("#appeal")
    desktop.fill("textarea[name=text]", "My mother was in hospital; I could not think of anything else.")
    desktop.check("input[name=waive_rest]")
    with desktop.expect_navigation():  # the page is already at `url`: wait for the POST's redirect itself
        desktop.click("#appeal-form button[type=submit]")
    assert "My mother was in hospital" in desktop.inner_text("#appeal-text")
    assert desktop.locator("#appeal-form").count() == 0  # one appeal

    desktop.context.clear_cookies()
    browser_login(desktop, live_server, "olga@example.com")
    desktop.goto(f"{live_server.url}/cases/")
    row = desktop.locator(f"#queue-case-{case.pk}")
    assert "Appealed" in row.inner_text() and "Ready for a decision" in row.inner_text()
    row.get_by_role("link", name="Mona Member").click()
    desktop.wait_for_url(url)
    assert "My mother was in hospital" in desktop.inner_text("#appeal-text")
    desktop.check("input[name=decision][value=probation]")
    desktop.fill("textarea[name=reason]", "A real emergency; the president vouches for her.")
    with desktop.expect_navigation():
        desktop.click("#decide-form button[type=submit]")
    desktop.locator("#id_probation_until_error").wait_for()  # no end date: refused inline
    assert desktop.input_value("textarea[name=reason]") == "A real emergency; the president vouches for her."
    until = (timezone.localdate() + timedelta(days=90)).isoformat()
    desktop.fill("input[name=probation_until]", until)
    desktop.fill("textarea[name=conditions]", "Attend every meeting.")
    with desktop.expect_navigation():
        desktop.click("#decide-form button[type=submit]")
    desktop.wait_for_url(url)
    assert "Decision: Probation" in desktop.inner_text("#decision")

    case.refresh_from_db()
    assert case.status == ExpulsionCase.Status.DECIDED and case.decision == "probation"
    assert Membership.objects.get(pk=member.pk).status == "probation"
    assert Notification.objects.filter(user=member.user, kind="case", title__contains="probation").exists()
    assert Notification.objects.filter(user=president.user, kind="case", title__contains="decided").exists()
    assert {"case.appealed", "case.decided"} <= set(AuditEvent.objects.values_list("action", flat=True))

    desktop.context.clear_cookies()
    browser_login(desktop, live_server, "mona@example.com")
    desktop.goto(url)
    assert "A real emergency" in desktop.inner_text("#decision")
