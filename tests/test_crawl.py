"""Click every link as each demo role: nothing a person is shown may fail or be refused."""

import re
from collections import deque
from urllib.parse import urldefrag, urlparse

import pytest
from django.core.management import call_command

from members.models import User

LINK = re.compile(r'href="([^"#][^"]*)"')
SKIP = ("/accounts/logout", "/static/", "/admin/")  # sign-out ends the crawl; the admin is Django's own


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))


def _crawl(client, start="/", limit=400):
    seen, queue, failures = {start}, deque([start]), []
    while queue and len(seen) <= limit:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code not in (200, 302):
            failures.append((url, response.status_code))
            continue
        if response.status_code == 302 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        title = html.split("<title>", 1)[-1].split("</title>", 1)[0]
        if "<" in title or not title.strip():
            failures.append((url, f"bad <title>: {title[:80]!r}"))
        for href in LINK.findall(html):
            href = urldefrag(href.replace("&amp;", "&"))[0]
            parsed = urlparse(href)
            if parsed.scheme or parsed.netloc or not href.startswith("/") or href.startswith(SKIP):
                continue
            if href not in seen:
                seen.add(href)
                queue.append(href)
    return seen, failures


@pytest.mark.parametrize(
    "email",
    [
        "admin@demo.leadsgroups.org",
        "director.north@demo.leadsgroups.org",
        "president.riverside@demo.leadsgroups.org",
        "vp.riverside@demo.leadsgroups.org",
        "maya.evans.riverside@demo.leadsgroups.org",  # a member of two chapters
    ],
)
def test_every_link_a_role_is_shown_works(client, demo, email):
    client.force_login(User.objects.get(email=email))
    seen, failures = _crawl(client)
    assert len(seen) > 40  # the crawl really went through the app
    assert not failures, failures
