"""Submit every form a demo role is shown with hostile values: nothing may crash or render unescaped."""

import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command

from members.models import User
from tests.test_crawl import _crawl

SCRIPT = "<script>alert(1)</script>"
HUGE = ("=HYPERLINK(\"x\") " + SCRIPT) * 700  # ~20k characters, a formula and markup


class Forms(HTMLParser):
    """Collect each form's action, method and fields."""

    def __init__(self):
        super().__init__()
        self.forms, self._form = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(), "fields": []}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select") and a.get("name"):
            self._form["fields"].append((a["name"], tag, (a.get("type") or "").lower()))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def _hostile(name, tag, kind):
    if name == "csrfmiddlewaretoken":
        return None
    if kind in ("number",) or re.search(r"value|amount|hours|fee|quota|allowed|weight|days|months", name):
        return "-99999999999999"
    if kind == "date" or name.endswith(("_on", "date", "from", "until", "start", "end")):
        return "2026-13-45"
    if kind == "email" or "email" in name:
        return "not-an-email" + SCRIPT
    if tag == "select" or name.endswith(("_id", "receiver", "other", "invited_by", "classification", "presenter")):
        return "999999"
    return HUGE


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))


@pytest.mark.parametrize("email", ["president.riverside@demo.leadsgroups.org", "maya.evans.riverside@demo.leadsgroups.org"])
def test_every_form_survives_hostile_input(client, demo, email):
    client.force_login(User.objects.get(email=email))
    pages, _ = _crawl(client, limit=250)
    tried, failures = set(), []
    for page in sorted(pages):
        if page.startswith(("/accounts/", "/static/", "/admin/")) or ".csv" in page or ".ics" in page:
            continue
        response = client.get(page)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = Forms()
        parser.feed(response.content.decode())
        for form in parser.forms:
            action = form["action"] or page.split("?")[0]
            key = (re.sub(r"\d+", "N", action), form["method"])
            if form["method"] != "post" or key in tried or "logout" in action:
                continue
            tried.add(key)
            data = {n: v for n, t, k in form["fields"] if (v := _hostile(n, t, k)) is not None}
            result = client.post(action, data)
            if result.status_code >= 500:
                failures.append((action, result.status_code))
            elif SCRIPT in result.content.decode():
                failures.append((action, "rendered <script> unescaped"))
    assert len(tried) > 10  # the sweep really reached the forms
    assert not failures, failures
