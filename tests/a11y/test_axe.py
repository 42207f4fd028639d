"""axe-core over the key pages as a member, the president, an admin and signed out, on a desktop and a phone.

Any serious or critical violation fails the test, listed with its page, rule, impact and element. The demo
data fills the pages (tables, tags, charts, fines, a case); one browser context per role and viewport
visits its pages in turn. axe's rules are never switched off here: a finding is fixed, not hidden.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.a11y.axe import axe_context, axe_scan
from tests.a11y.world import VIEWPORTS, demo_world, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_key_pages_have_no_serious_or_critical_violation(live_server, browser):
    world = demo_world()
    findings, scanned = [], 0
    for device, viewport in VIEWPORTS.items():
        for role, pages in world.pages.items():
            context = axe_context(browser, **viewport)
            page = context.new_page()
            page.set_default_timeout(15_000)
            if role in world.emails:
                sign_in(page, live_server, world.emails[role])
                # the unread count is part of the link's name, not hidden behind an aria-label
                unread = re.compile(r"^Notifications \d+ unread$")
                expect(page.get_by_role("link", name=unread)).to_be_attached()
            for n, (label, path) in enumerate(pages):
                response = page.goto(f"{live_server.url}{path}")
                assert response.status == 200, f"{role} · {label}: {path} answered {response.status}"
                findings += axe_scan(page, f"{device} · {role} · {label} ({path})", menus=n == 0)
                scanned += 1
            context.close()
    assert scanned >= 100
    assert not findings, f"{len(findings)} serious or critical findings:\n" + "\n".join(map(str, findings))
