"""Reads for the dashboard: the person's chapters, what needs them, and the chapters they oversee.

Every read is bounded by the person's own seats or by a page size, never by the size of the
organisation: an organisation admin sees their seats, a page of the chapters they oversee (searchable),
and the cases waiting for a decision grouped by chapter, at most CASE_CHAPTERS_SHOWN of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import CharField, Count, DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce
from django.urls import reverse
from django.utils import timezone

from chapters.models import Chapter
from enforcement.formatting import money
from members.models import Membership

OVERSEEN_PER_PAGE = 20
CASE_CHAPTERS_SHOWN = 10


def seat_chapters(*, user) -> list[Chapter]:
    """The chapters a person sits in, each with their seats (`my_seats`) and its active headcount: one query."""
    active = (
        Membership.objects.filter(chapter=OuterRef("chapter"), status=Membership.Status.ACTIVE)
        .values("chapter").annotate(n=Count("pk")).values("n")
    )
    seats = (
        Membership.objects.filter(user=user, status__in=Membership.SEATED_STATUSES)
        .select_related("chapter__region", "classification")
        .annotate(chapter_active=Coalesce(Subquery(active), 0))
        .order_by("chapter__name", "chapter_id", "pk")
    )
    chapters: dict[int, Chapter] = {}
    for seat in seats:
        chapter = chapters.setdefault(seat.chapter_id, seat.chapter)
        if not hasattr(chapter, "my_seats"):
            chapter.my_seats, chapter.active_count = [], seat.chapter_active
        chapter.my_seats.append(seat)
        seat.chapter = chapter
    return list(chapters.values())


def _attach_active_counts(chapters: list[Chapter]) -> None:
    """`active_count` on each chapter: one grouped query over just these chapters."""
    if not chapters:
        return
    counts = dict(
        Membership.objects.filter(chapter__in=chapters, status=Membership.Status.ACTIVE)
        .values("chapter").annotate(n=Count("pk")).values_list("chapter", "n").order_by()
    )
    for chapter in chapters:
        chapter.active_count = counts.get(chapter.pk, 0)


def overseen_chapters_page(*, user, region_ids: list[int], q: str = "", page: str | None = None):
    """A page of the chapters an organisation admin (every one) or region staff (their regions') oversee."""
    qs = Chapter.objects.all() if user.is_org_admin else Chapter.objects.filter(region_id__in=region_ids)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(region__name__icontains=q))
    result = Paginator(qs.select_related("region").order_by("name", "pk"), OVERSEEN_PER_PAGE).get_page(page)
    result.object_list = list(result.object_list)
    _attach_active_counts(result.object_list)
    return result


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@dataclass(frozen=True)
class Attention:
    chapter: Chapter
    text: str
    url: str


def dashboard_attention(*, user, chapters: list[Chapter], oversees: bool, region_ids: list[int]) -> list[Attention]:
    """What needs the person's attention across their chapters, in a fixed number of queries."""
    from enforcement.models import ExpulsionCase, Fine
    from meetings.models import Meeting
    from meetings.selectors import visitors_awaiting_follow_up
    from referrals.models import OneToOne, Referral

    seats = {seat.pk: (chapter, seat) for chapter in chapters for seat in getattr(chapter, "my_seats", [])}
    led = [c for c in chapters if any(s.is_leadership for s in getattr(c, "my_seats", []))]
    items: list[Attention] = []

    def add(chapter, text, name, *args):
        items.append(Attention(chapter, text, reverse(name, args=[chapter.slug, *args])))

    for kind, seat, n, total, currency in _seat_counts(list(seats)):
        chapter = seats[seat][0]
        if kind == "referral":
            add(chapter, _count(n, "referral received needs", "referrals received need") + " your action",
                "referrals:inbox")
        elif kind == "one-to-one":
            add(chapter, _count(n, "one-to-one", "one-to-ones") + " to confirm", "referrals:one-to-ones")
        elif kind == "fine":
            add(chapter, _count(n, "unpaid fine", "unpaid fines") + f": {money(total, currency)}",
                "enforcement:my-fines")
        else:  # n is the case's id
            add(chapter, "An expulsion case about you is open: read it and appeal", "enforcement:case-detail", n)
    if led:
        by_pk = {c.pk: c for c in led}
        cutoff = timezone.now() - timezone.timedelta(hours=3)
        unclosed = (
            Meeting.objects.filter(chapter__in=led, starts_at__lt=cutoff)
            .exclude(status__in=[Meeting.Status.CLOSED, Meeting.Status.CANCELLED])
            .order_by("starts_at")
        )
        for meeting in unclosed:
            add(by_pk[meeting.chapter_id],
                f"Close the meeting of {meeting.local_date:%a %d %b} to make its figures final",
                "meetings:detail", meeting.pk)
        # the people the follow-up page lists: each once (at their latest visit), none from a cancelled meeting
        # (a query per chapter the person leads, usually one; three when it has visitors waiting)
        for chapter in led:
            n = len(visitors_awaiting_follow_up(chapter=chapter, max_visits=0))
            if n:
                add(chapter, _count(n, "visitor awaits", "visitors await") + " follow-up", "meetings:visitors")
        cases = (
            ExpulsionCase.objects.filter(chapter__in=led, status=ExpulsionCase.Status.OPEN)
            .values("chapter").annotate(n=Count("pk")).order_by()
        )
        for row in cases:
            add(by_pk[row["chapter"]], _count(row["n"], "open expulsion case", "open expulsion cases"),
                "enforcement:cases")
    if oversees:
        items.extend(_cases_to_decide(user=user, region_ids=None if user.is_org_admin else region_ids))
    return items


_KINDS = ["referral", "one-to-one", "fine", "case"]  # the order they are listed in


def _seat_counts(seat_ids: list[int]) -> list[tuple]:
    """(kind, seat, n, total, currency) for what waits on the person's seats, in one UNION ALL query.

    Referrals received that need action, one-to-ones to confirm, unpaid fines (per currency), and any
    open expulsion case about them (n is then the case's id).
    """
    from enforcement.models import ExpulsionCase, Fine
    from referrals.models import OneToOne, Referral

    if not seat_ids:
        return []
    # typed: PostgreSQL resolves two untyped NULLs of a UNION as text, which then meets the fines' SUM
    no_total = Cast(Value(None), output_field=DecimalField(max_digits=12, decimal_places=2))
    no_currency = Value("", output_field=CharField())
    # Every branch selects seat, cur, kind, n, total in this order (values first, then annotations).
    columns = ("seat", "cur", "kind", "n", "total")

    def kind(name):
        return Value(name, output_field=CharField())

    referrals = (
        Referral.objects.filter(receiver__in=seat_ids, status__in=Referral.OPEN_STATUSES)
        .filter(Q(status=Referral.Status.GIVEN) | Q(stale_since__isnull=False))
        .values(seat=F("receiver"), cur=no_currency)
        .annotate(kind=kind("referral"), n=Count("pk"), total=no_total)
        .values_list(*columns).order_by()
    )
    one_to_ones = (
        OneToOne.objects.filter(other__in=seat_ids, status=OneToOne.Status.PENDING)
        .values(seat=F("other"), cur=no_currency)
        .annotate(kind=kind("one-to-one"), n=Count("pk"), total=no_total)
        .values_list(*columns).order_by()
    )
    fines = (
        Fine.objects.filter(membership__in=seat_ids, status=Fine.Status.OPEN, amount__gt=0)
        .values(seat=F("membership"), cur=F("currency"))
        .annotate(kind=kind("fine"), n=Count("pk"), total=Sum("amount"))
        .values_list(*columns).order_by()
    )
    cases = (
        ExpulsionCase.objects.filter(membership__in=seat_ids, status=ExpulsionCase.Status.OPEN)
        .annotate(seat=F("membership"), cur=no_currency, kind=kind("case"), n=F("pk"), total=no_total)
        .values_list(*columns).order_by()
    )
    rows = [(k, seat, n, total, cur) for seat, cur, k, n, total in referrals.union(one_to_ones, fines, cases, all=True)]
    return sorted(rows, key=lambda row: (_KINDS.index(row[0]), row[1], row[2]))


def _cases_to_decide(*, user, region_ids: list[int] | None) -> list[Attention]:
    """For organisation admins and region staff: cases whose appeal time is over (or waived), per chapter.

    At most CASE_CHAPTERS_SHOWN chapters, those with the most cases first; the queue lists the rest.
    `region_ids` None means every region (an organisation admin).
    """
    from enforcement.models import ExpulsionCase

    now = timezone.now()
    ready = ExpulsionCase.objects.filter(
        Q(appeal_deadline__lte=now) | Q(appeal_waived_at__isnull=False), status=ExpulsionCase.Status.OPEN,
    ).exclude(membership__user=user)  # nobody decides their own case
    if region_ids is not None:
        ready = ready.filter(chapter__region_id__in=region_ids)
    queue = reverse("case-queue")
    rows = (
        ready.values("chapter", "chapter__name", "chapter__slug").annotate(n=Count("pk"))
        .order_by("-n", "chapter__name")[:CASE_CHAPTERS_SHOWN]
    )
    return [
        Attention(Chapter(pk=row["chapter"], name=row["chapter__name"], slug=row["chapter__slug"]),
                  _count(row["n"], "expulsion case", "expulsion cases") + " ready for your decision",
                  f"{queue}?stage=ready&chapter={row['chapter']}")
        for row in rows
    ]
