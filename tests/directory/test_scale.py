"""The directory pages run the same number of queries at 10 and at 150 members."""

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import Profile
from tests.factories import ChapterFactory, MembershipFactory

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10


def _chapter(size: int):
    chapter = ChapterFactory()
    seats = MembershipFactory.create_batch(size, chapter=chapter, user__business_name="Acme plumbing")
    Profile.objects.bulk_create([
        Profile(user=s.user, website=f"https://{s.pk}.example", ideal_referral="Landlords with old boilers",
                phone_visibility="chapters", email_visibility="chapters" if i % 2 else "hidden")
        for i, s in enumerate(seats)
    ])
    return chapter, seats


def _count(client, url) -> int:
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


@pytest.mark.parametrize("page", ["chapter", "chapter search", "all chapters search"])
def test_directory_queries_do_not_grow_with_the_chapter(client, page):
    counts = {}
    for size in (10, 150):
        chapter, seats = _chapter(size)
        client.force_login(seats[0].user)
        url = {
            "chapter": reverse("directory:chapter", args=[chapter.slug]),
            "chapter search": reverse("directory:chapter", args=[chapter.slug]) + "?q=boilers",
            "all chapters search": reverse("directory-search") + "?q=plumbing",
        }[page]
        counts[size] = _count(client, url)
    # session, user, chapter, seat, region staff; the page's count, its cards (with their profiles);
    # the navigation's seats and unread count (uncached in tests)
    assert counts[10] == counts[150] <= MAX_QUERIES, counts
