"""Reads for the dashboard: the person's chapters, what needs them, and the chapters they oversee.

Every read is bounded by the person's own seats or by a page size, never by the size of the
organisation: an organisation admin sees their seats, a page of the chapters they oversee (searchable),
and the cases waiting for a decision grouped by chapter, at most CASE_CHAPTERS_SHOWN of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from chapters.models import Chapter
from enforcement.formatting import money
from home.navigation import url_for
from leadsgroups.prepared import Param, Statement
from members.models import Membership

OVERSEEN_PER_PAGE = 20
CASE_CHAPTERS_SHOWN = 10


def seat_chapters(*, seat_rows: list[tuple]) -> list[Chapter]:
    """The chapters a person sits in, each with their seats (`my_seats`) and its active headcount.

    `seat_rows` come from the navigation's cache (home.navigation); the headcounts (`active_count`)
    come with what needs attention (`dashboard_attention`), in the same statement.
    """
    chapters: dict[int, Chapter] = {}
    for pk, role, status, chapter_id, name, slug, region_name in seat_rows:
        chapter = chapters.get(chapter_id)
        if chapter is None:
            chapter = chapters[chapter_id] = Chapter(pk=chapter_id, name=name, slug=slug)
            chapter.region_name, chapter.my_seats, chapter.url = region_name, [], url_for("chapters:home", slug)
        chapter.my_seats.append(Membership(pk=pk, role=role, status=status, chapter_id=chapter_id))
    return list(chapters.values())


def _attach_active_counts(chapters: list[Chapter]) -> None:
    """`active_count` on each chapter: one grouped query over just these chapters."""
    if not chapters:
        return
    # Plain SQL: on the busiest page, building this small statement through the ORM cost more than running it.
    table = Membership._meta.db_table
    marks = ", ".join(["%s"] * len(chapters))
    with connection.cursor() as cursor:
        cursor.execute(
            # only table names and placeholders are formatted in; every value is a parameter
            f"SELECT chapter_id, COUNT(*) FROM {table} WHERE status = %s AND chapter_id IN ({marks}) "  # noqa: S608
            "GROUP BY chapter_id",
            [Membership.Status.ACTIVE, *[c.pk for c in chapters]],
        )
        counts = dict(cursor.fetchall())
    for chapter in chapters:
        chapter.active_count = counts.get(chapter.pk, 0)


def overseen_chapters_page(*, user, region_ids: list[int], q: str = "", page: str | None = None):
    """A page of the chapters an organisation admin (every one) or region staff (their regions') oversee."""
    qs = Chapter.objects.all() if user.is_org_admin else Chapter.objects.filter(region_id__in=region_ids)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(region__name__icontains=q))
    result = Paginator(qs.select_related("region").order_by("name", "pk"), OVERSEEN_PER_PAGE).get_page(page)
    result.object_list = list(result.object_list)
    for chapter in result.object_list:
        chapter.url = url_for("chapters:home", chapter.slug)
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
    from enforcement.models import ExpulsionCase
    from meetings.models import Meeting
    from meetings.selectors import visitors_awaiting_follow_up

    seats = {seat.pk: (chapter, seat) for chapter in chapters for seat in getattr(chapter, "my_seats", [])}
    for chapter in chapters:
        chapter.active_count = 0  # until the statement below counts them
    led = [c for c in chapters if any(s.is_leadership for s in getattr(c, "my_seats", []))]
    items: list[Attention] = []

    def add(chapter, text, name, *args):
        items.append(Attention(chapter, text, url_for(name, chapter.slug, *args)))

    by_pk = {c.pk: c for c in chapters}
    for kind, seat, n, total, currency in _seat_counts(list(seats), list(by_pk)):
        if kind == "active":
            by_pk[seat].active_count = n
            continue
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


_KINDS = ["active", "referral", "one-to-one", "fine", "case"]  # the order they are listed in


def _seat_counts_statement() -> Statement:
    """What `_seat_counts` asks, prepared once per connection (leadsgroups.prepared): on every dashboard
    view, PostgreSQL took longer to plan this UNION ALL than to answer it."""
    from enforcement.models import ExpulsionCase, Fine
    from referrals.models import OneToOne, Referral

    # only table names and the statement's own fields are formatted in; every value is a parameter
    sql = f"""
        SELECT 'active', chapter_id, COUNT(*), CAST(NULL AS NUMERIC), '' FROM {Membership._meta.db_table}
         WHERE chapter_id {{chapters}} AND status = {{active}} GROUP BY chapter_id
        UNION ALL
        SELECT 'referral', receiver_id, COUNT(*), CAST(NULL AS NUMERIC), '' FROM {Referral._meta.db_table}
         WHERE receiver_id {{seats}} AND status {{open}} AND (status = {{given}} OR stale_since IS NOT NULL)
         GROUP BY receiver_id
        UNION ALL
        SELECT 'one-to-one', other_id, COUNT(*), CAST(NULL AS NUMERIC), '' FROM {OneToOne._meta.db_table}
         WHERE other_id {{seats}} AND status = {{pending}} GROUP BY other_id
        UNION ALL
        SELECT 'fine', membership_id, COUNT(*), SUM(amount), currency FROM {Fine._meta.db_table}
         WHERE membership_id {{seats}} AND status = {{unpaid}} AND amount > 0 GROUP BY membership_id, currency
        UNION ALL
        SELECT 'case', membership_id, id, CAST(NULL AS NUMERIC), '' FROM {ExpulsionCase._meta.db_table}
         WHERE membership_id {{seats}} AND status = {{case_open}}
    """  # noqa: S608
    return Statement("lg_dashboard_seat_counts", sql, [
        Param("chapters", "bigint", many=True), Param("active", "text"), Param("seats", "bigint", many=True),
        Param("open", "text", many=True), Param("given", "text"), Param("pending", "text"),
        Param("unpaid", "text"), Param("case_open", "text"),
    ])


_SEAT_COUNTS: Statement | None = None


def _seat_counts(seat_ids: list[int], chapter_ids: list[int]) -> list[tuple]:
    """(kind, seat, n, total, currency) for what waits on the person's seats, in one UNION ALL query.

    Referrals received that need action, one-to-ones to confirm, unpaid fines (per currency), and any
    open expulsion case about them (n is then the case's id); and each chapter's active headcount
    (seat is then the chapter's id).
    """
    from enforcement.models import ExpulsionCase, Fine
    from referrals.models import OneToOne, Referral

    global _SEAT_COUNTS
    if not seat_ids:
        return []
    if _SEAT_COUNTS is None:
        _SEAT_COUNTS = _seat_counts_statement()
    rows = [
        (kind, seat, n, None if total is None else Decimal(str(total)).quantize(Decimal("0.01")), currency)
        for kind, seat, n, total, currency in _SEAT_COUNTS.run(
            chapters=chapter_ids, active=Membership.Status.ACTIVE, seats=seat_ids, open=Referral.OPEN_STATUSES,
            given=Referral.Status.GIVEN, pending=OneToOne.Status.PENDING, unpaid=Fine.Status.OPEN,
            case_open=ExpulsionCase.Status.OPEN,
        )
    ]
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
    queue = url_for("case-queue")
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
