"""Reads for the dashboard: the person's chapters, what needs them, and the chapters they oversee.

Every read is bounded by the person's own seats or by a page size, never by the size of the
organisation: an organisation admin sees their seats, a page of the chapters they oversee (searchable),
and the cases waiting for a decision grouped by chapter, at most CASE_CHAPTERS_SHOWN of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chapters.models import Chapter
from home.navigation import url_for
from leadsgroups.formats import format_date, format_money
from leadsgroups.prepared import Param, Statement
from members.models import Membership

OVERSEEN_PER_PAGE = 20
CASE_CHAPTERS_SHOWN = 10
# A meeting is "next" until 3 hours after its start, unless closed or cancelled (meetings.selectors.meeting_next).
MEETING_ENDED_AFTER = timedelta(hours=3)


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
        seat = Membership(pk=pk, role=role, status=status, chapter_id=chapter_id)
        seat.scorecard_url = url_for("reports:scorecard", slug, pk)
        chapter.my_seats.append(seat)
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


@dataclass(frozen=True)
class Attention:
    chapter: Chapter
    text: str
    url: str


@dataclass
class NextMeeting:
    """A chapter's next meeting as the dashboard shows it, and the person's slots on its run sheet."""

    pk: int
    url: str
    starts_at: datetime
    timezone: str  # the chapter's: the time is shown there
    venue: str
    presenting: list[str] = field(default_factory=list)  # Presentation.Kind values, e.g. ["feature"]

    @property
    def presenting_labels(self) -> list[str]:
        from meetings.models import Presentation

        return [str(Presentation.Kind(kind).label) for kind in self.presenting]

    @property
    def shown(self) -> tuple:
        """What the dashboard shows of it, as values (the key of its kept fragment)."""
        return self.pk, self.starts_at, self.timezone, self.venue, tuple(self.presenting)


def dashboard_attention(*, user, chapters: list[Chapter], oversees: bool, region_ids: list[int]) -> list[Attention]:
    """What needs the person's attention across their chapters, in a fixed number of queries.

    The same statement sets each chapter's `active_count` and `next_meeting` (a NextMeeting or None).
    """
    from enforcement.models import ExpulsionCase
    from meetings.models import Meeting
    from meetings.selectors import visitors_awaiting_follow_up

    seats = {seat.pk: (chapter, seat) for chapter in chapters for seat in getattr(chapter, "my_seats", [])}
    for chapter in chapters:
        chapter.active_count = 0  # until the statement below counts them
        chapter.next_meeting = None
    led = [c for c in chapters if any(s.is_leadership for s in getattr(c, "my_seats", []))]
    items: list[Attention] = []

    def add(chapter, text, name, *args):
        items.append(Attention(chapter, text, url_for(name, chapter.slug, *args)))

    by_pk = {c.pk: c for c in chapters}
    meetings: dict[int, NextMeeting] = {}
    for kind, seat, n, total, text, starts_at, tz in _seat_counts(list(seats), list(by_pk)):
        if kind == "active":
            by_pk[seat].active_count = n
            continue
        if kind == "meeting":
            chapter = by_pk[seat]
            chapter.next_meeting = meetings[n] = NextMeeting(
                pk=n, url=url_for("meetings:detail", chapter.slug, n), starts_at=starts_at, timezone=tz, venue=text,
            )
            continue
        if kind == "presents":
            meetings[seat].presenting.append(text)
            continue
        chapter = seats[seat][0]
        if kind == "referral":
            add(chapter, ngettext("%(count)s referral received needs your action",
                                  "%(count)s referrals received need your action", n) % {"count": n},
                "referrals:inbox")
        elif kind == "one-to-one":
            add(chapter, ngettext("%(count)s one-to-one to confirm", "%(count)s one-to-ones to confirm", n)
                % {"count": n}, "referrals:one-to-ones")
        elif kind == "fine":
            add(chapter, ngettext("%(count)s unpaid fine: %(amount)s", "%(count)s unpaid fines: %(amount)s", n)
                % {"count": n, "amount": format_money(total, text)}, "enforcement:my-fines")
        else:  # n is the case's id
            add(chapter, _("An expulsion case about you is open: read it and appeal"), "enforcement:case-detail", n)
    if led:
        cutoff = timezone.now() - MEETING_ENDED_AFTER
        unclosed = (
            Meeting.objects.filter(chapter__in=led, starts_at__lt=cutoff)
            .exclude(status__in=[Meeting.Status.CLOSED, Meeting.Status.CANCELLED])
            .order_by("starts_at")
        )
        for meeting in unclosed:
            add(by_pk[meeting.chapter_id],
                _("Close the meeting of %(date)s to make its figures final")
                % {"date": format_date(meeting.local_date, "MMMEd")},
                "meetings:detail", meeting.pk)
        # the people the follow-up page lists: each once (at their latest visit), none from a cancelled meeting
        # (a query per chapter the person leads, usually one; three when it has visitors waiting)
        for chapter in led:
            n = len(visitors_awaiting_follow_up(chapter=chapter, max_visits=0))
            if n:
                add(chapter, ngettext("%(count)s visitor awaits follow-up", "%(count)s visitors await follow-up", n)
                    % {"count": n}, "meetings:visitors")
        cases = (
            ExpulsionCase.objects.filter(chapter__in=led, status=ExpulsionCase.Status.OPEN)
            .values("chapter").annotate(n=Count("pk")).order_by()
        )
        for row in cases:
            add(by_pk[row["chapter"]], ngettext("%(count)s open expulsion case", "%(count)s open expulsion cases",
                                                row["n"]) % {"count": row["n"]},
                "enforcement:cases")
    if oversees:
        items.extend(_cases_to_decide(user=user, region_ids=None if user.is_org_admin else region_ids))
    return items


_KINDS = ["active", "meeting", "presents", "referral", "one-to-one", "fine", "case"]  # the order they are listed in


def _seat_counts_statement() -> Statement:
    """What `_seat_counts` asks, prepared once per connection (leadsgroups.prepared): on every dashboard
    view, PostgreSQL took longer to plan this UNION ALL than to answer it."""
    from chapters.models import Chapter
    from enforcement.models import ExpulsionCase, Fine
    from meetings.models import Meeting, Presentation
    from referrals.models import OneToOne, Referral

    # Each chapter's next meeting (meetings.selectors.meeting_next, for many chapters at once): a
    # correlated subquery per chapter, not LATERAL, which SQLite lacks. `local_date` bounds it to the
    # (chapter, local_date) index: a meeting starting after the cutoff falls on or after the day before it.
    # Only table names and the statement's own fields are formatted in; every value is a parameter.
    sql = f"""
        WITH next_meeting AS (
          SELECT m.id, m.chapter_id, m.starts_at, m.venue, c.timezone FROM {Chapter._meta.db_table} c
            JOIN {Meeting._meta.db_table} m ON m.id = (
              SELECT n.id FROM {Meeting._meta.db_table} n
               WHERE n.chapter_id = c.id AND n.local_date >= {{from_day}} AND n.starts_at >= {{cutoff}}
                 AND n.status <> {{cancelled}} AND n.status <> {{closed}}
               ORDER BY n.starts_at, n.id LIMIT 1)
           WHERE c.id {{chapters}}
        )
        SELECT 'active', chapter_id, COUNT(*), CAST(NULL AS NUMERIC), '', CAST(NULL AS TIMESTAMPTZ), ''
          FROM {Membership._meta.db_table}
         WHERE chapter_id {{chapters}} AND status = {{active}} GROUP BY chapter_id
        UNION ALL
        SELECT 'meeting', chapter_id, id, NULL, venue, starts_at, timezone FROM next_meeting
        UNION ALL
        SELECT 'presents', meeting_id, presenter_id, NULL, kind, NULL, '' FROM {Presentation._meta.db_table}
         WHERE meeting_id IN (SELECT id FROM next_meeting) AND presenter_id {{seats}}
        UNION ALL
        SELECT 'referral', receiver_id, COUNT(*), NULL, '', NULL, '' FROM {Referral._meta.db_table}
         WHERE receiver_id {{seats}} AND status {{open}} AND (status = {{given}} OR stale_since IS NOT NULL)
         GROUP BY receiver_id
        UNION ALL
        SELECT 'one-to-one', other_id, COUNT(*), NULL, '', NULL, '' FROM {OneToOne._meta.db_table}
         WHERE other_id {{seats}} AND status = {{pending}} GROUP BY other_id
        UNION ALL
        SELECT 'fine', membership_id, COUNT(*), SUM(amount), currency, NULL, '' FROM {Fine._meta.db_table}
         WHERE membership_id {{seats}} AND status = {{unpaid}} AND amount > 0 GROUP BY membership_id, currency
        UNION ALL
        SELECT 'case', membership_id, id, NULL, '', NULL, '' FROM {ExpulsionCase._meta.db_table}
         WHERE membership_id {{seats}} AND status = {{case_open}}
    """  # noqa: S608
    return Statement("lg_dashboard_seat_counts_2", sql, [
        Param("from_day", "date"), Param("cutoff", "timestamptz"), Param("cancelled", "text"),
        Param("closed", "text"), Param("chapters", "bigint", many=True), Param("active", "text"),
        Param("seats", "bigint", many=True), Param("open", "text", many=True), Param("given", "text"),
        Param("pending", "text"), Param("unpaid", "text"), Param("case_open", "text"),
    ])


_SEAT_COUNTS: Statement | None = None


def _seat_counts(seat_ids: list[int], chapter_ids: list[int]) -> list[tuple]:
    """(kind, seat, n, total, text, starts_at, timezone) for the person's seats and chapters, in one query.

    Referrals received that need action, one-to-ones to confirm, unpaid fines (per currency; `text` is the
    currency), and any open expulsion case about them (n is then the case's id); each chapter's active
    headcount ("active": seat is then the chapter's id) and next meeting ("meeting": seat is the chapter's id,
    n the meeting's, `text` its venue, with its start and the chapter's timezone); and the person's slots on
    those meetings' run sheets ("presents": seat is the meeting's id, n the seat's, `text` the kind).
    """
    from enforcement.models import ExpulsionCase, Fine
    from meetings.models import Meeting
    from referrals.models import OneToOne, Referral

    global _SEAT_COUNTS
    if not seat_ids:
        return []
    if _SEAT_COUNTS is None:
        _SEAT_COUNTS = _seat_counts_statement()
    cutoff = timezone.now() - MEETING_ENDED_AFTER
    rows = [
        (kind, seat, n, None if total is None else Decimal(str(total)).quantize(Decimal("0.01")), text,
         _aware(starts_at), tz)
        for kind, seat, n, total, text, starts_at, tz in _SEAT_COUNTS.run(
            from_day=cutoff.date() - timedelta(days=1), cutoff=connection.ops.adapt_datetimefield_value(cutoff),
            cancelled=Meeting.Status.CANCELLED, closed=Meeting.Status.CLOSED,
            chapters=chapter_ids, active=Membership.Status.ACTIVE, seats=seat_ids, open=Referral.OPEN_STATUSES,
            given=Referral.Status.GIVEN, pending=OneToOne.Status.PENDING, unpaid=Fine.Status.OPEN,
            case_open=ExpulsionCase.Status.OPEN,
        )
    ]
    return sorted(rows, key=lambda row: (_KINDS.index(row[0]), row[1], row[2]))


def _aware(value) -> datetime | None:
    """A start as the database returned it (SQLite: text in UTC) as an aware datetime."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(value)
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


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
        .order_by("-n", "chapter__name")[:CASE_CHAPTERS_SHOWN + 1]  # one more: to say that there are more
    )
    items = [
        Attention(Chapter(pk=row["chapter"], name=row["chapter__name"], slug=row["chapter__slug"]),
                  ngettext("%(count)s expulsion case ready for your decision",
                           "%(count)s expulsion cases ready for your decision", row["n"]) % {"count": row["n"]},
                  f"{queue}?stage=ready&chapter={row['chapter']}")
        for row in rows
    ]
    if len(items) > CASE_CHAPTERS_SHOWN:
        items[CASE_CHAPTERS_SHOWN:] = [Attention(Chapter(name=""), _(
            "Cases ready for your decision in more chapters: the whole queue"), f"{queue}?stage=ready")]
    return items
