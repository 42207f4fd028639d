"""Pages cost the same few queries at 10 and 150 members, and at 5 and 500 chapters.

The navigation is cached (as in production) and warm: the first page after sign-in reads it.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chapters.models import Chapter
from home import navigation
from members.models import Membership
from members.notifications import notification_send
from tests.enforcement.factories import ExpulsionCaseFactory, FineFactory
from tests.factories import MembershipFactory
from tests.referrals.factories import OneToOneFactory, ReferralFactory

MAX_QUERIES = 12


@pytest.fixture(autouse=True)
def nav_cache(settings):
    settings.NAV_CACHE = True


def queries(client, url) -> tuple[int, int]:
    navigation._bump_pending()  # what the test changed, as a request's end would (else the next request does it)
    client.get(url)  # warm: what a person opening pages one after another costs
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), len(response.content)


def grow_members(personas, n):
    """Bring the chapter to about n seated members, each with a referral given and a one-to-one."""
    have = Membership.objects.filter(chapter=personas.chapter).count()
    for m in MembershipFactory.create_batch(n - have, chapter=personas.chapter):
        ReferralFactory(chapter=personas.chapter, giver=m, receiver=personas.member)
        OneToOneFactory(chapter=personas.chapter, initiator=m, other=personas.member, status="confirmed")


def grow_chapters(n, region=None):
    start = Chapter.objects.count()
    Chapter.objects.bulk_create(
        Chapter(name=f"Bulk chapter {i:04d}", slug=f"bulk-{i}", region=region, timezone="Europe/London")
        for i in range(start, n)
    )
    navigation.nav_invalidate_everyone()  # bulk_create sends no signal


MEMBER_PAGES = [
    ("member", "chapters:roster"),
    ("president", "chapters:members"),
    ("member", "referrals:chapter-list"),
    ("member", "referrals:inbox"),
    ("member", "referrals:stats"),
    ("member", "chapters:home"),
]


@pytest.mark.parametrize("who,name", MEMBER_PAGES)
def test_chapter_pages_cost_the_same_at_10_and_150_members(client, personas, who, name):
    grow_members(personas, 10)
    personas.login(client, who)
    small, _ = queries(client, personas.url(name))
    grow_members(personas, 150)
    large, _ = queries(client, personas.url(name))
    assert small == large <= MAX_QUERIES


@pytest.mark.parametrize("who", ["member", "president"])
def test_member_dashboard_costs_the_same_at_10_and_150_members(client, personas, who):
    notification_send(user=personas.user(who), kind="fine", title="n", chapter=personas.chapter)
    FineFactory(membership=getattr(personas, who), amount="5.00")
    grow_members(personas, 10)
    personas.login(client, who)
    small, _ = queries(client, "/")
    grow_members(personas, 150)
    for n in range(5):
        ReferralFactory(chapter=personas.chapter, giver=personas.member2, receiver=getattr(personas, who),
                        status="given")
    large, _ = queries(client, "/")
    assert small == large <= MAX_QUERIES


@pytest.mark.parametrize("who", ["org_admin", "region_staff"])
def test_oversight_pages_do_not_grow_with_the_organisation(client, personas, who):
    region = personas.chapter.region if who == "region_staff" else None
    grow_chapters(5, region=region)
    ExpulsionCaseFactory(membership=personas.member)
    personas.login(client, who)
    urls = ["/", reverse("case-queue"), personas.url("enforcement:cases"), personas.url("chapters:home")]
    small = {url: queries(client, url) for url in urls}
    grow_chapters(500, region=region)
    for chapter in Chapter.objects.order_by("-pk")[:20]:
        ExpulsionCaseFactory(membership=MembershipFactory(chapter=chapter))
    for url in urls:
        (q_small, bytes_small), (q_large, bytes_large) = small[url], queries(client, url)
        assert q_small == q_large <= MAX_QUERIES, url
        # a page of 20 chapters at most, whatever the organisation's size (case rows are paginated too)
        assert bytes_large < bytes_small + 12_000, url


def test_admin_dashboard_searches_and_pages_the_chapters(client, personas):
    grow_chapters(60)
    personas.login(client, "org_admin")
    def listed(html):
        return html.split('id="overseen"', 1)[1]

    html = client.get("/").content.decode()
    assert listed(html).count("Bulk chapter") == 20 and "Page 1 of" in html
    html = client.get("/", {"q": "chapter 0042"}).content.decode()
    assert "Bulk chapter 0042" in html and listed(html).count("Bulk chapter") == 1
    html = client.get("/", {"page": "2"}).content.decode()
    assert "Page 2 of" in html


def test_case_queue_searches_chapters_by_name(client, personas):
    ExpulsionCaseFactory(membership=personas.member)
    other = ExpulsionCaseFactory(membership=MembershipFactory(chapter=personas.other_chapter))
    personas.login(client, "org_admin")
    html = client.get(reverse("case-queue"), {"chapter_q": "other"}).content.decode()
    assert f"queue-case-{other.pk}" in html and "Home Chapter" not in html.split("<tbody>", 1)[1]


def test_roster_searches_and_pages_members(client, personas):
    grow_members(personas, 60)
    personas.login(client, "member")
    html = client.get(personas.url("chapters:roster")).content.decode()
    assert "Page 1 of 2" in html
    html = client.get(personas.url("chapters:roster"), {"q": "Mona"}).content.decode()
    assert "Mona Member" in html and "Max Member" not in html
