"""The API's interactive docs work in Chromium under the site's Content-Security-Policy, with a token."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from api.services import api_token_create
from tests.security.test_browser_csp import _settled, _watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_page_tries_an_operation_with_a_token_under_the_policy(live_server, desktop, personas):
    _, secret = api_token_create(user=personas.member.user, name="docs", scope="read", days=7)
    problems = _watch(desktop)
    desktop.goto(f"{live_server.url}/api/v1/docs")
    me = desktop.locator("#operations-chapters_and_members-me")
    expect(me).to_be_visible()  # Swagger UI rendered the schema from our own static files

    desktop.get_by_role("button", name="Authorize").first.click()
    desktop.locator("#auth-bearer-value").fill(secret)
    desktop.get_by_role("button", name="Apply credentials").click()
    desktop.locator(".auth-btn-wrapper .btn-done").click()

    me.locator(".opblock-summary").click()
    me.get_by_role("button", name="Try it out").click()
    me.get_by_role("button", name="Execute").click()
    expect(me.locator(".live-responses-table tbody .response-col_status").first).to_have_text("200")
    expect(me.locator(".live-responses-table")).to_contain_text(personas.member.user.email)
    assert not _settled(desktop, problems), problems
