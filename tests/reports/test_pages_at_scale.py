"""The report pages cost the same number of queries for a chapter of 10 members as for one of 150."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integrity.models import IntegrityEvidence, IntegrityFlag
from referrals.models import EducationCredit, OneToOne, Referral, ThankYou
from tests.meetings.test_page_scale import _chapter

# The health page, the most: session, user, chapter, seat, region staff (4 + 1), the navigation (4, uncached
# in tests), the headcount, the flagged rows' counts (the switch to the figures without flagged activity), the
# scorecard rules, the seated members, the scorecards' eight grouped reads and the weekly series' seven.
MAX_QUERIES = 26


def _activity(chapter, seats):
    """Half a year of referrals (every state of consent, some won with a thank-you), one-to-ones, education."""
    now = timezone.now()
    referrals = Referral.objects.bulk_create([
        Referral(chapter=chapter, giver=seats[i % len(seats)], receiver=seats[(i + 1) % len(seats)],
                 consent=Referral.Consent.values[i % 4], status="won" if i % 5 == 0 else "given")
        for i in range(len(seats) * 3)
    ])
    for i, r in enumerate(referrals):
        Referral.objects.filter(pk=r.pk).update(created_at=now - timedelta(days=(i * 3) % 170))
    ThankYou.objects.bulk_create([
        ThankYou(chapter=chapter, referral=r, giver=r.giver, receiver=r.receiver, value=Decimal(100 + i),
                 closed_on=(now - timedelta(days=i % 150)).date(), business_type="new" if i % 3 else "repeat")
        for i, r in enumerate(referrals) if r.status == "won"
    ])
    OneToOne.objects.bulk_create([
        OneToOne(chapter=chapter, initiator=seats[i], other=seats[(i + 2) % len(seats)], status="confirmed",
                 met_on=(now - timedelta(days=i % 100)).date())
        for i in range(len(seats))
    ])
    EducationCredit.objects.bulk_create([
        EducationCredit(chapter=chapter, membership=s, completed_on=(now - timedelta(days=20)).date(), title="Course",
                        hours=Decimal("2"))
        for s in seats[::2]
    ])


def _queries(client, url, data=None) -> int:
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data)
    assert response.status_code == 200, url
    return len(ctx)


PAGES = [
    ("health", "president"), ("health-csv", "president"), ("scorecards-csv", "president"),
    ("scorecard", "member"), ("scorecard", "president"), ("scorecard-settings", "president"),
]


def _flagged(chapter, seats):
    """A flag over some of the chapter's activity: left out of the figures without flagged activity."""
    flag = IntegrityFlag.objects.create(chapter=chapter, kind=IntegrityFlag.Kind.RING, key=f"ring-{chapter.pk}")
    IntegrityEvidence.objects.bulk_create(
        [IntegrityEvidence(flag=flag, referral=r) for r in Referral.objects.filter(chapter=chapter)[:5]]
        + [IntegrityEvidence(flag=flag, one_to_one=o) for o in OneToOne.objects.filter(chapter=chapter)[:2]]
    )


@pytest.mark.parametrize("page,who", PAGES)
def test_report_queries_are_the_same_at_10_and_150_members(client, db, page, who):
    counts = {}
    for size in (10, 150):
        chapter, president, seats, past, live = _chapter(size, weeks=26)
        _activity(chapter, seats)
        _flagged(chapter, seats)
        client.force_login(president.user if who == "president" else seats[1].user)
        own, other = seats[1], seats[2]  # the member opens their own scorecard, the president someone else's
        args = [chapter.slug, (own if who == "member" else other).pk] if page == "scorecard" else [chapter.slug]
        url = reverse(f"reports:{page}", args=args)
        counts[size] = _queries(client, url)
        # the figures without flagged activity cost not a query more: the flagged rows nest as subqueries
        counts[size, "without flagged"] = _queries(client, url, {"flagged": "exclude"})
    assert len(set(counts.values())) == 1 and counts[10] <= MAX_QUERIES, f"{page}: {counts}"


def test_the_health_page_shows_a_large_chapter_a_page_at_a_time_and_its_csv_every_member(client, db):
    chapter, president, seats, past, live = _chapter(150, weeks=4)
    client.force_login(president.user)
    url = reverse("reports:health", args=[chapter.slug])
    first = client.get(url, {"sort": "name"})
    html = first.content.decode()
    assert html.count('data-testid="scorecard-row"') == 25 and "Members 1–25 of 150" in html
    names = [card.membership.display_name for card in first.context["cards"]]
    assert 'rel="next"' in html and "sort=name&amp;page=2" in html
    last = client.get(url, {"sort": "name", "page": "6"})
    assert "Members 126–150 of 150" in last.content.decode() and 'rel="next"' not in last.content.decode()
    every = sorted((s.display_name for s in seats), key=str.lower)
    assert names == every[:25]
    assert [card.membership.display_name for card in last.context["cards"]] == every[125:]
    # each row of the page says why (its words), however many seats were scored to sort them
    assert all(light.reason for card in first.context["cards"] for light in card.lights)
    rows = client.get(reverse("reports:scorecards-csv", args=[chapter.slug])).content.decode().strip().splitlines()
    assert len(rows) == 1 + 150
    assert len(html) < 150_000  # it was 399 KB with every row
