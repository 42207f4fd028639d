"""The read-out, the run sheet and the exports run the same number of queries at 10 and at 150 members."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from referrals.models import EducationCredit, OneToOne, Referral, ThankYou
from tests.meetings.test_page_scale import _chapter, _queries

pytestmark = pytest.mark.django_db

# The read-out: the request's five (session, user, chapter, seat, region staff), the meeting and its weeks,
# one aggregate per kind of slip and one for the meetings' own figures (5), this week's slips (6), and the
# navigation's two (uncached in tests).
MAX_QUERIES = 20


def _slips(chapter, seats, past):
    """A referral from each member in each of the last five weeks, a thank-you, one-to-one and credit each."""
    referrals = []
    for m in past[-5:]:
        for i, giver in enumerate(seats):
            referrals.append(Referral(chapter=chapter, giver=giver, receiver=seats[(i + 1) % len(seats)],
                                      consent="stated", prospect_name="Petra Prospect"))
    Referral.objects.bulk_create(referrals)
    for m, chunk in zip(past[-5:], range(0, len(referrals), len(seats)), strict=True):
        ids = [r.pk for r in referrals[chunk:chunk + len(seats)]]
        Referral.objects.filter(pk__in=ids).update(created_at=m.starts_at - timedelta(days=2))
    last = past[-1]
    ThankYou.objects.bulk_create([
        ThankYou(chapter=chapter, referral=r, giver=r.giver, receiver=r.receiver, value=Decimal("250.00"),
                 closed_on=last.local_date, business_type="new", created_at=last.starts_at - timedelta(days=1))
        for r in referrals[-len(seats):]
    ])
    OneToOne.objects.bulk_create([
        OneToOne(chapter=chapter, initiator=s, other=seats[(i + 1) % len(seats)], status="confirmed",
                 met_on=last.local_date - timedelta(days=1))
        for i, s in enumerate(seats)
    ])
    EducationCredit.objects.bulk_create([
        EducationCredit(chapter=chapter, membership=s, completed_on=last.local_date, title="Pitch clinic", hours=1)
        for s in seats
    ])


@pytest.mark.parametrize("page", ["read-out", "read-out-csv", "run-sheet", "run-sheet-csv", "roster-csv"])
def test_queries_are_the_same_at_10_and_150_members(client, page):
    counts, sizes = {}, {}
    for size in (10, 150):
        chapter, president, seats, past, live = _chapter(size, weeks=8)
        _slips(chapter, seats, past)
        client.force_login(president.user)
        url = (reverse("chapters:roster-csv", args=[chapter.slug]) if page == "roster-csv"
               else reverse(f"meetings:{page}", args=[chapter.slug, past[-1].pk]))
        counts[size], body = _queries(client, url)
        sizes[size] = len(body)
    assert counts[10] == counts[150] <= MAX_QUERIES, (page, counts)
    assert sizes[150] > sizes[10]  # the bigger chapter really had more to show
