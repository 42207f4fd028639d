"""Every page a demo role can reach has one <h1>, and every ARIA reference in it points at an element."""

import re
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlparse

import pytest
from django.core.management import call_command
from django.urls import reverse

from members.models import User

# Sign-out ends the walk; the admin and the API docs (Swagger UI) are the packages' own pages.
SKIP = ("/accounts/logout", "/static/", "/admin/", "/jsi18n/", "/api/v1/")
REFERENCES = ("aria-describedby", "aria-labelledby", "aria-controls", "for")


class _Page(HTMLParser):
    """The facts of one page the checks need: its links, ids, ARIA references and <h1>s."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.ids, self.references, self.h1s = [], set(), [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "h1":
            self.h1s += 1
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for name in REFERENCES:
            if tag != "meta" and attrs.get(name):
                self.references += [(tag, name, ref) for ref in attrs[name].split()]


def _walk(client, start="/", per_kind=2):
    """Follow the links a person is shown, breadth first, opening at most `per_kind` pages of each kind
    (a URL with its numbers and query taken out: one meeting or referral page stands for the others);
    yields (url, parsed page) for each HTML page."""
    seen, queue, kinds = {start}, deque([start]), Counter()
    while queue:
        url = queue.popleft()
        kind = re.sub(r"\d+", "N", url.split("?", 1)[0])
        kinds[kind] += 1
        if kinds[kind] > per_kind:
            continue
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        page = _Page()
        page.feed(response.content.decode())
        yield url, page
        for href in page.links:
            href = urldefrag(href)[0]
            parsed = urlparse(href)
            if parsed.scheme or parsed.netloc or not href.startswith("/") or href.startswith(SKIP):
                continue
            if href not in seen:
                seen.add(href)
                queue.append(href)


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))


@pytest.mark.parametrize(
    "email",
    [
        "admin@demo.leadsgroups.org",  # oversight: every chapter's leadership pages, the overview, the queue
        "maya.evans.riverside@demo.leadsgroups.org",  # a member of two chapters: the member's own pages
    ],
)
def test_every_page_has_one_h1_and_no_dangling_aria_reference(client, demo, email):
    client.force_login(User.objects.get(email=email))
    problems, pages = [], 0
    for url, page in _walk(client):
        pages += 1
        if page.h1s != 1:
            problems.append(f"{url}: {page.h1s} <h1>")
        problems += [f"{url}: <{tag} {name}> points at missing id {ref!r}"
                     for tag, name, ref in page.references if ref not in page.ids]
    assert pages > 40  # the walk really went through the app
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/password/reset/", "/accounts/signup/",
                                 "/accounts/password/reset/done/", "/accounts/confirm-email/"])
def test_signed_out_pages_have_one_h1_and_no_dangling_aria_reference(client, db, url):
    response = client.get(url)
    assert response.status_code == 200
    page = _Page()
    page.feed(response.content.decode())
    assert page.h1s == 1
    assert [ref for _, _, ref in page.references if ref not in page.ids] == []


@pytest.mark.parametrize(
    "who,name",
    [("president", "chapters:settings"), ("member", "referrals:new"), ("member", "profile"),
     ("president", "meetings:add")],
)
def test_a_refused_form_points_each_field_at_its_error(client, personas, who, name):
    personas.login(client, who)
    url = personas.url(name) if ":" in name else reverse(name)
    response = client.post(url, {"full_name": "", "name": ""})
    page = _Page()
    page.feed(response.content.decode())
    errors = [ref for _, attr, ref in page.references
              if attr == "aria-describedby" and ref.endswith("_error")]
    assert errors, "the refused form announces no error"
    assert [ref for _, _, ref in page.references if ref not in page.ids] == []
