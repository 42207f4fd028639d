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


def _post_forms(client, parser_class):
    """(action, form) for each POST form (but sign-out) on every page the signed-in person can reach."""
    pages, _ = _crawl(client, limit=250)
    for page in sorted(pages):
        if page.startswith(("/accounts/", "/static/", "/admin/")) or ".csv" in page or ".ics" in page:
            continue
        response = client.get(page)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = parser_class()
        parser.feed(response.content.decode())
        for form in parser.forms:
            action = form["action"] or page.split("?")[0]
            if form["method"] == "post" and "logout" not in action:
                yield action, form


@pytest.mark.parametrize("email", ["president.riverside@demo.leadsgroups.org", "maya.evans.riverside@demo.leadsgroups.org"])
def test_every_form_survives_hostile_input(client, demo, email):
    client.force_login(User.objects.get(email=email))
    tried, failures = set(), []
    for action, form in _post_forms(client, Forms):
        key = re.sub(r"\d+", "N", action)
        if key in tried:
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


# One-line fields: line breaks and control characters ------------------------------------------

CONTROL = "Ann\r\nBcc: victim@example.com\x00\x07"


class FilledForms(HTMLParser):
    """Collect each form's action, method, its one-line text inputs, and the values it would submit as shown."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(),
                          "data": {}, "one_line": []}
            self.forms.append(self._form)
        if self._form is None or not a.get("name"):
            if tag == "option" and self._select and ("selected" in a or self._select not in self._form["data"]):
                self._form["data"][self._select] = a.get("value", "")
            return
        name, kind = a["name"], (a.get("type") or "text").lower()
        if tag == "input":
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form["data"][name] = a.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                self._form["data"][name] = a.get("value", "")
                if kind in ("text", "search", "tel", "email", "url") and "readonly" not in a:
                    self._form["one_line"].append(name)
        elif tag == "select":
            self._select = name
        elif tag == "textarea":
            self._textarea = name
            self._form["data"][name] = ""
        elif tag == "button" and "value" in a:
            self._form["data"].setdefault(name, a["value"])  # the first (default) submit button

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form["data"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _text_columns():
    from django.apps import apps
    from django.db import models

    for model in apps.get_models():
        if model._meta.app_label not in ("chapters", "members", "meetings", "referrals", "enforcement"):
            continue
        for field in model._meta.concrete_fields:
            if type(field) in (models.CharField, models.EmailField):
                yield model, field.name


@pytest.mark.parametrize("email", ["president.riverside@demo.leadsgroups.org", "maya.evans.riverside@demo.leadsgroups.org"])
def test_every_one_line_field_refuses_line_breaks_and_control_characters(client, demo, email):
    """Each one-line box of each form, filled with a line break and control characters, gets the message."""
    from leadsgroups.single_line import SINGLE_LINE_MESSAGE

    client.force_login(User.objects.get(email=email))
    tried, failures = set(), []
    for action, form in _post_forms(client, FilledForms):
        for name in form["one_line"]:
            key = (re.sub(r"\d+", "N", action), name)
            if key in tried:
                continue
            tried.add(key)
            result = client.post(action, {**form["data"], name: CONTROL}, follow=True)
            html = result.content.decode()
            if result.status_code >= 500:
                failures.append((action, name, result.status_code))
            elif SINGLE_LINE_MESSAGE not in html.replace("&#x27;", "'"):
                failures.append((action, name, "no single-line message"))
    assert len(tried) > 15  # the sweep reached the one-line boxes
    stored = [
        (model.__name__, column) for model, column in _text_columns()
        if model._default_manager.filter(**{f"{column}__regex": r"[\x00-\x1f]"}).exists()
    ]
    assert not failures, failures
    assert not stored, f"control characters stored in {stored}"
