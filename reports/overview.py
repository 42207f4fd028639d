"""The organisation overview: the chapters a person oversees side by side, a page at a time.

Built for thousands of chapters: one statement finds the page (filtered by name or region, ordered by
name, with the total count as a window over the same rows, each chapter's active headcount and open
expulsion cases as subqueries); the weekly figures (`reports.series.weekly_series`) are then worked out
for that page's chapters only, never for all of them.

At risk, and why (each reason in words):

- few members: under 24 active members, the "at risk" band of the headcount (chapters.selectors);
- open expulsion cases;
- shrinking roster: a real loss over the range, not one leaver: the net loss (members who left minus those
  who joined) is at least 2 and at least 10 % of the seats held when the range began;
- falling attendance: the last 4 weeks' attendance rate at least 10 points below the 4 weeks before.

The first three are counts, so the "only chapters at risk" filter applies them to every chapter in SQL (the
roster's with the same seats as the weekly series counts: `shrinking_sql`); falling attendance needs each
chapter's weeks, so it is worked out for the chapters on the page (and shown there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache

from django.core.cache import cache
from django.db.models import Count, ExpressionWrapper, F, IntegerField, OuterRef, Q, Subquery, Value, Window
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from chapters.models import Chapter
from chapters.selectors import HEALTH_BANDS, chapter_health
from enforcement.models import ExpulsionCase
from leadsgroups.formats import format_date, format_money, format_number, format_percent
from members.models import Membership
from referrals.models import Referral
from reports.scorecards import local_bounds
from reports.series import COUNTED_SEAT, Week, weekly_series

PER_PAGE = 20
# The headcount below which a chapter is flagged: the floor of the band just under "fit" ("at risk", 24).
AT_RISK_BELOW = next(floor for floor, label in HEALTH_BANDS if label == "at risk")
TREND_WEEKS = 4  # falling attendance compares the last 4 weeks with the 4 before
FALL_POINTS = 10  # … and flags a fall of at least 10 percentage points
SHRINK_MIN = 2  # a shrinking roster: a net loss of at least 2 seats over the range …
SHRINK_PERCENT = 10  # … and of at least 10 % of the seats held when it began
TOTALS_TTL = 15 * 60

SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 120, 32, 2
SPARK_FLOOR = 0.5  # the sparkline's lowest rate, unless a week fell lower


def overview_scope(*, region_ids: list[int] | None):
    """The chapters overseen: every one (`region_ids` None, an organisation admin) or those of the regions."""
    return Chapter.objects.all() if region_ids is None else Chapter.objects.filter(region_id__in=region_ids)


def _count_of(qs) -> Subquery:
    return Coalesce(Subquery(qs.order_by().values("chapter_id").annotate(n=Count("pk")).values("n")[:1],
                             output_field=IntegerField()), Value(0))


@dataclass
class Spark:
    """A sparkline of the weekly attendance rate: SVG polylines (a gap where a week had no meeting)."""

    lines: list[str]
    label: str
    width: int = SPARK_WIDTH
    height: int = SPARK_HEIGHT


@dataclass
class Row:
    chapter: Chapter
    active: int
    open_cases: int
    weeks: list[Week] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def joined(self) -> int:
        return sum(w.joined for w in self.weeks)

    @property
    def left(self) -> int:
        return sum(w.left for w in self.weeks)

    @property
    def change(self) -> int:
        """Seats gained (joined minus left) over the range."""
        return self.joined - self.left

    @property
    def seats_at_start(self) -> int:
        """Seats held when the range began (the series' count before its first week's joins and leaves)."""
        if not self.weeks:
            return 0
        first = self.weeks[0]
        return first.seats - first.joined + first.left

    @property
    def shrinking(self) -> bool:
        return is_shrinking(loss=-self.change, held=self.seats_at_start)

    @property
    def band(self) -> str:
        return chapter_health(self.active)

    @property
    def attendance_rate(self) -> float | None:
        return _rate(self.weeks)

    @property
    def given(self) -> int:
        return sum(w.given for w in self.weeks)

    @property
    def won(self) -> int:
        return sum(w.won for w in self.weeks)

    @property
    def member_weeks(self) -> int:
        """Seats held at the end of each week, added up: what referrals a member-week are taken over."""
        return sum(w.seats for w in self.weeks)

    @property
    def per_member_week(self) -> float | None:
        return self.given / self.member_weeks if self.member_weeks else None

    @property
    def conversion(self) -> float | None:
        return self.won / self.given if self.given else None

    @property
    def tyfcb(self) -> Decimal:
        return sum((w.tyfcb for w in self.weeks), Decimal("0"))

    @property
    def tyfcb_text(self) -> str:
        return format_money(self.tyfcb, self.chapter.currency)

    @property
    def visitors(self) -> int:
        return sum(w.visitors for w in self.weeks)

    @property
    def counts_text(self) -> dict[str, str]:
        """The row's counts as the page writes them."""
        change = count_text(self.change)
        return {"active": count_text(self.active), "change": f"+{change}" if self.change > 0 else change,
                "given": count_text(self.given), "won": count_text(self.won), "visitors": count_text(self.visitors)}

    @property
    def attendance_text(self) -> str:
        return pct(self.attendance_rate)

    @property
    def per_member_week_text(self) -> str:
        return "–" if self.per_member_week is None else format_number(self.per_member_week, 2)

    @property
    def conversion_text(self) -> str:
        return pct(self.conversion)

    @property
    def at_risk(self) -> bool:
        return bool(self.reasons)

    @property
    def spark(self) -> Spark:
        return sparkline(self.weeks)


def _rate(weeks: list[Week]) -> float | None:
    attended, counted = sum(w.attended for w in weeks), sum(w.counted_marks for w in weeks)
    return attended / counted if counted else None


def pct(value: float | None) -> str:
    """A share as a whole percentage in the reader's locale ("77%", "77 %"), each looked up once per language:
    a page of twenty sparklines writes some three hundred."""
    return "–" if value is None else _whole_percent(round(value * 100), get_language())


@lru_cache(maxsize=4096)
def _whole_percent(points: int, language: str) -> str:
    return format_percent(points / 100)


def count_text(n: int) -> str:
    """A count in the reader's locale: grouped from a thousand on (below, every locale writes it the same)."""
    return str(n) if -1000 < n < 1000 else format_number(n)


def attendance_fall(weeks: list[Week]) -> tuple[float, float] | None:
    """(rate of the 4 weeks before, rate of the last 4) when it fell by FALL_POINTS points or more."""
    if len(weeks) < 2 * TREND_WEEKS:
        return None
    before, last = _rate(weeks[-2 * TREND_WEEKS:-TREND_WEEKS]), _rate(weeks[-TREND_WEEKS:])
    if before is None or last is None:
        return None
    # compared in whole marks, not floats: 80% then 70% is a fall of exactly 10 points
    return (before, last) if round((before - last) * 100, 9) >= FALL_POINTS else None


def is_shrinking(*, loss: int, held: int) -> bool:
    """A net loss of at least SHRINK_MIN seats and of at least SHRINK_PERCENT % of the `held` at the start."""
    return loss >= SHRINK_MIN and loss * 100 >= SHRINK_PERCENT * held  # in whole numbers: 2 of 20 is 10 %


def shrinking_sql(*, start: date, end: date) -> tuple[dict, Q]:
    """`is_shrinking` for every chapter in SQL: the annotations it needs and the condition on them.

    The seats are those the weekly series counts (reports.series.COUNTED_SEAT), so the filter and the page
    agree on every chapter.
    """
    seats = Membership.objects.filter(COUNTED_SEAT, chapter=OuterRef("pk"))
    annotations = {
        "seats_joined": _count_of(seats.filter(joined_on__gte=start, joined_on__lte=end)),
        "seats_left": _count_of(seats.filter(left_on__gte=start, left_on__lte=end)),
        "seats_held": _count_of(seats.filter(joined_on__lt=start).filter(Q(left_on__isnull=True)
                                                                         | Q(left_on__gte=start))),
    }
    loss = F("seats_left") - F("seats_joined")
    annotations["seats_loss"] = ExpressionWrapper(loss, output_field=IntegerField())
    annotations["seats_loss_share"] = ExpressionWrapper(loss * 100 - F("seats_held") * SHRINK_PERCENT,
                                                        output_field=IntegerField())
    return annotations, Q(seats_loss__gte=SHRINK_MIN, seats_loss_share__gte=0)


def risk_reasons(row: Row, *, start: date) -> list[str]:
    """Why a chapter is at risk, in words; empty when it is not."""
    reasons = []
    if row.active < AT_RISK_BELOW:
        reasons.append(_("few members: %(active)s active, under %(floor)s (%(band)s)") % {
            "active": row.active, "floor": AT_RISK_BELOW, "band": row.band})
    if row.shrinking:  # a loss of at least 2 is possible only from seats held at the start: never 0 of them
        loss, held = -row.change, row.seats_at_start
        reasons.append(_(
            "shrinking roster: %(left)s left and %(joined)s joined since %(date)s, a net loss of %(loss)s of the "
            "%(held)s seats held then (%(share)s)"
        ) % {"left": row.left, "joined": row.joined, "date": format_date(start), "loss": loss, "held": held,
             "share": format_percent(loss / held, 1)})
    fall = attendance_fall(row.weeks)
    if fall:
        reasons.append(_("falling attendance: %(last)s in the last %(weeks)s weeks against %(before)s in the "
                         "%(weeks)s before") % {"last": pct(fall[1]), "before": pct(fall[0]), "weeks": TREND_WEEKS})
    if row.open_cases:
        reasons.append(ngettext("%(count)s open expulsion case", "%(count)s open expulsion cases", row.open_cases)
                       % {"count": row.open_cases})
    return reasons


def sparkline(weeks: list[Week]) -> Spark:
    """The weekly attendance rate as an SVG polyline, with its words.

    Weeks without a meeting keep their place on the x axis but add no point (the line joins the weeks
    either side, so a fortnightly chapter still draws a line). The y axis runs from 100% at the top down
    to 50%, or lower when a week fell lower, so a fall of 10 points shows on a small line.
    """
    rates = [w.attendance_rate for w in weeks]
    known = [r for r in rates if r is not None]
    if not known:
        return Spark([], _("Attendance week by week: no meetings with marks in the range."))
    floor = min(SPARK_FLOOR, math.floor(min(known) * 10) / 10)
    span = (1 - floor) or 1
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / max(len(rates) - 1, 1)
    points = [
        (SPARK_PAD + i * step, SPARK_PAD + (1 - rate) / span * (SPARK_HEIGHT - 2 * SPARK_PAD))
        for i, rate in enumerate(rates) if rate is not None
    ]
    if len(points) == 1:  # a lone week is drawn as a short dash, so it shows
        points.append((points[0][0] + 3, points[0][1]))
    label = ngettext(
        "Attendance week by week, %(count)s week with meetings (scale %(floor)s to %(top)s): %(rates)s.",
        "Attendance week by week, %(count)s weeks with meetings (scale %(floor)s to %(top)s): %(rates)s.",
        len(known),
    ) % {"count": len(known), "floor": pct(floor), "top": pct(1), "rates": ", ".join(pct(r) for r in known)}
    return Spark([" ".join(f"{x:.1f},{y:.1f}" for x, y in points)], label)


@dataclass
class OverviewPage:
    rows: list[Row]
    count: int
    number: int
    per_page: int = PER_PAGE

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.rows) - 1 if self.rows else 0


def _page_number(page) -> int:
    try:
        return max(1, int(page))
    except (TypeError, ValueError):
        return 1


def overview_page(*, region_ids: list[int] | None, q: str = "", at_risk: bool = False, page=None,
                  start: date, end: date) -> OverviewPage:
    """A page of the overseen chapters with their figures over local dates [start, end], by name.

    `at_risk` keeps the chapters under the headcount band, with open cases or a shrinking roster (the flags
    that are counts, for every chapter); falling attendance is worked out for the page's chapters. A page past
    the last shows the last.
    """
    qs = overview_scope(region_ids=region_ids)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(region__name__icontains=q))
    qs = qs.annotate(
        active=_count_of(Membership.objects.filter(chapter=OuterRef("pk"), status=Membership.Status.ACTIVE)),
        open_cases=_count_of(ExpulsionCase.objects.filter(chapter=OuterRef("pk"), status=ExpulsionCase.Status.OPEN)),
    )
    if at_risk:
        annotations, shrinking = shrinking_sql(start=start, end=end)
        qs = qs.annotate(**annotations).filter(Q(active__lt=AT_RISK_BELOW) | Q(open_cases__gt=0) | shrinking)
    # the count rides along as a window over the filtered rows: the page and its count in one statement
    qs = qs.select_related("region").annotate(total=Window(Count("pk"))).order_by("name", "pk")
    number = _page_number(page)
    chapters = list(qs[(number - 1) * PER_PAGE: number * PER_PAGE])
    if chapters:
        count = chapters[0].total
    else:  # past the end (or nothing matches): count, and show the last page
        count = qs.order_by().count()
        last = max(1, -(-count // PER_PAGE))
        if number > last:
            number = last
            chapters = list(qs[(number - 1) * PER_PAGE: number * PER_PAGE])
    series = weekly_series(chapters=chapters, start=start, end=end)
    rows = []
    for chapter in chapters:
        row = Row(chapter=chapter, active=chapter.active, open_cases=chapter.open_cases, weeks=series[chapter.pk])
        row.reasons = risk_reasons(row, start=start)
        rows.append(row)
    return OverviewPage(rows=rows, count=count, number=number)


@dataclass(frozen=True)
class Totals:
    chapters: int
    active: int
    referrals: int
    computed_at: datetime


def _scope_key(region_ids: list[int] | None) -> str:
    return "all" if region_ids is None else "r" + "-".join(str(r) for r in sorted(region_ids))


def overview_totals(*, region_ids: list[int] | None, start: date, end: date) -> Totals:
    """Chapters, active members and referrals given in the range across the scope, cached 15 minutes.

    Referrals are counted by the UTC day they were given (chapters' days begin at different moments).
    """
    key = f"reports:overview-totals:{_scope_key(region_ids)}:{start.isoformat()}:{end.isoformat()}"
    totals = cache.get(key)
    if totals is None:
        scope = overview_scope(region_ids=region_ids)
        after, before = local_bounds(UTC, start, end)
        counts = scope.order_by().aggregate(chapters=Count("pk", distinct=True))
        active = Membership.objects.filter(chapter__in=scope, status=Membership.Status.ACTIVE).count()
        referrals = Referral.objects.filter(chapter__in=scope, created_at__gte=after, created_at__lt=before).count()
        totals = Totals(chapters=counts["chapters"], active=active, referrals=referrals, computed_at=timezone.now())
        cache.set(key, totals, TOTALS_TTL)
    return totals

