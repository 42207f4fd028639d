"""Chapter health week by week: attendance, referrals, TYFCB, visitors, seats, for one chapter or many.

`weekly_series()` groups every figure by chapter and week (Monday to Sunday, local dates) in a fixed number
of queries: seven, plus one more per extra timezone among the chapters (referrals are dated by the moment
they were given, so each timezone's weeks start at its own midnight). The same selector serves the health
page of one chapter and, later, the organisation overview of many.

What each week counts (local dates in the chapter's timezone):

- attendance: marks at meetings that week that were not cancelled; the rate is present, late and
  substitute marks over all marks except medical ones (excused absences do not lower it);
- referrals given that week, those with the prospect's consent (confirmed or stated), and those of them
  won by now (so the latest weeks' conversion is still rising);
- TYFCB: thank-yous for closed business by their closing day, new and repeat;
- visitors at that week's meetings, and those of them who became applicants since;
- seats: members joining (their joining day; applicants not yet), leaving (resigned or expelled, by the day
  they left), and the seats held at the end of the week.

Without flagged activity (`leave_out`, integrity.selectors.flagged_activity): the referrals, TYFCB, and
attendance marks that are evidence of an open or confirmed integrity flag are left out of every figure, as
subqueries of the same statements (no query more). A TYFCB goes with its flagged referral too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import BigIntegerField, Case, Count, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import TruncWeek

from meetings.models import Attendance, Meeting, Visitor
from members.models import Membership
from referrals.models import Referral, ThankYou
from reports.scorecards import local_bounds

if TYPE_CHECKING:
    from integrity.selectors import FlaggedActivity

DEPARTED = (Membership.Status.RESIGNED, Membership.Status.EXPELLED)
# A seat counts once its member joined (not while applying), and until the day they left; a departed seat
# without a leaving day (from before the app recorded one) is left out of the seat counts altogether.
COUNTED_SEAT = ~Q(status=Membership.Status.APPLICANT) & ~Q(status__in=DEPARTED, left_on__isnull=True)
DEFAULT_WEEKS = 26


@dataclass
class Week:
    start: date  # its Monday (the first week of a range may begin later, the last end earlier)
    meetings: int = 0
    present: int = 0
    late: int = 0
    absent: int = 0
    medical: int = 0
    substitute: int = 0
    given: int = 0
    consented: int = 0
    won: int = 0
    tyfcb_new: Decimal = Decimal("0")
    tyfcb_repeat: Decimal = Decimal("0")
    visitors: int = 0
    visitors_applied: int = 0
    joined: int = 0
    left: int = 0
    seats: int = 0  # seats held at the end of the week

    @property
    def attended(self) -> int:
        return self.present + self.late + self.substitute

    @property
    def counted_marks(self) -> int:
        """Marks the attendance rate is taken over: every mark but medical ones."""
        return self.attended + self.absent

    @property
    def attendance_rate(self) -> float | None:
        return self.attended / self.counted_marks if self.counted_marks else None

    @property
    def not_consented(self) -> int:
        return self.given - self.consented

    @property
    def conversion(self) -> float | None:
        return self.won / self.given if self.given else None

    @property
    def tyfcb(self) -> Decimal:
        return self.tyfcb_new + self.tyfcb_repeat

    @property
    def visitor_conversion(self) -> float | None:
        return self.visitors_applied / self.visitors if self.visitors else None


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def default_range(today: date, weeks: int = DEFAULT_WEEKS) -> tuple[date, date]:
    """`weeks` weeks ending with this one: from a Monday to today."""
    return monday(today) - timedelta(weeks=weeks - 1), today


def week_starts(start: date, end: date) -> list[date]:
    first, last = monday(start), monday(end)
    return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def _week(value) -> date:
    return value.date() if hasattr(value, "date") else value


# A meeting's marks by status travel as one number, each count MARKS_BASE apart (a meeting has fewer marks).
MARKS_BASE = 1000
MARK_PLACES = {status: MARKS_BASE ** i for i, status in enumerate(Attendance.Status.values)}


def _packed_marks(leave_out: FlaggedActivity | None = None) -> Subquery:
    """A meeting's marks by status in one number: present + late × 1000 + absent × 1000² + ….

    A subquery per meeting, which the database answers through the marks' meeting index: joined to the
    meetings instead, PostgreSQL's planner scanned every mark of the organisation (it priced the index at ten
    times its cost), 90 ms of the organisation overview's 140 at 1,100 chapters. One number rather than one
    subquery per status: five subqueries a meeting cost as much as the scan.
    """
    packed = Sum(Case(*[When(status=status, then=Value(place)) for status, place in MARK_PLACES.items()],
                      output_field=BigIntegerField()))
    marks = Attendance.objects.filter(meeting=OuterRef("pk"))
    if leave_out is not None:
        marks = marks.exclude(pk__in=leave_out.attendances)
    return Subquery(
        marks.order_by().values("meeting").annotate(marks=packed).values("marks")[:1],
        output_field=BigIntegerField(),
    )


def weekly_series(*, chapters, start: date, end: date,
                  leave_out: FlaggedActivity | None = None) -> dict[int, list[Week]]:
    """Each chapter's weeks over local dates [start, end], keyed by chapter id, every week present (zeros too).

    `leave_out`: the flagged rows to leave out of the figures (None: all activity counts)."""
    chapters = list(chapters)
    ids = [c.pk for c in chapters]
    weeks = {c.pk: {d: Week(start=d) for d in week_starts(start, end)} for c in chapters}
    if not ids:
        return {}

    def at(chapter_id, when) -> Week:
        return weeks[chapter_id][_week(when)]

    held = dict(meeting__chapter_id__in=ids, meeting__local_date__gte=start, meeting__local_date__lte=end)
    meetings = (  # 1: marks at meetings not cancelled, counted per meeting (see _packed_marks)
        Meeting.objects.filter(chapter_id__in=ids, local_date__gte=start, local_date__lte=end)
        .exclude(status=Meeting.Status.CANCELLED)
        .annotate(marks=_packed_marks(leave_out))
        .values_list("chapter_id", "local_date", "marks").order_by()
    )
    for chapter_id, day, marks in meetings:
        if marks is None:
            continue  # no mark yet: not a meeting with attendance
        w = at(chapter_id, monday(day))
        w.meetings += 1
        for status, place in MARK_PLACES.items():
            setattr(w, status, getattr(w, status) + marks // place % MARKS_BASE)
    referrals, thank_yous = Referral.objects.all(), ThankYou.objects.all()
    if leave_out is not None:
        referrals = referrals.exclude(pk__in=leave_out.referrals)
        thank_yous = thank_yous.exclude(pk__in=leave_out.thank_yous).exclude(referral_id__in=leave_out.referrals)
    by_zone = defaultdict(list)
    for c in chapters:
        by_zone[c.timezone].append(c)
    for zone_chapters in by_zone.values():  # 2 (one per timezone): referrals by the local day they were given
        tz = zone_chapters[0].tz
        after, before = local_bounds(tz, start, end)
        for row in (
            referrals.filter(chapter_id__in=[c.pk for c in zone_chapters], created_at__gte=after,
                                    created_at__lt=before)
            .annotate(week=TruncWeek("created_at", tzinfo=tz))
            .values("chapter_id", "week")
            .annotate(n=Count("pk"), consented=Count("pk", filter=Q(consent__in=Referral.CONSENTED)),
                      won=Count("pk", filter=Q(status=Referral.Status.WON)))
            .order_by()
        ):
            w = at(row["chapter_id"], row["week"].astimezone(tz))
            w.given, w.consented, w.won = row["n"], row["consented"], row["won"]
    for row in (  # 3: closed business by its closing day
        thank_yous.filter(chapter_id__in=ids, closed_on__gte=start, closed_on__lte=end)
        .annotate(week=TruncWeek("closed_on"))
        .values("chapter_id", "week")
        .annotate(new=Sum("value", filter=Q(business_type=Referral.BusinessType.NEW)),
                  repeat=Sum("value", filter=Q(business_type=Referral.BusinessType.REPEAT)))
        .order_by()
    ):
        w = at(row["chapter_id"], row["week"])
        w.tyfcb_new, w.tyfcb_repeat = Decimal(row["new"] or 0), Decimal(row["repeat"] or 0)
    for row in (  # 4: visitors at meetings not cancelled, and those who applied since
        Visitor.objects.filter(**held).exclude(meeting__status=Meeting.Status.CANCELLED)
        .annotate(week=TruncWeek("meeting__local_date"))
        .values("meeting__chapter_id", "week")
        .annotate(n=Count("pk"), applied=Count("pk", filter=Q(applicant_membership__isnull=False)
                                                            | Q(follow_up=Visitor.FollowUp.APPLIED)))
        .order_by()
    ):
        w = at(row["meeting__chapter_id"], row["week"])
        w.visitors, w.visitors_applied = row["n"], row["applied"]
    seats = Membership.objects.filter(COUNTED_SEAT, chapter_id__in=ids)
    for field, attr in (("joined_on", "joined"), ("left_on", "left")):  # 5, 6
        for row in (
            seats.filter(**{f"{field}__gte": start, f"{field}__lte": end})
            .annotate(week=TruncWeek(field)).values("chapter_id", "week").annotate(n=Count("pk")).order_by()
        ):
            setattr(at(row["chapter_id"], row["week"]), attr, row["n"])
    held_at_start = dict(  # 7: seats held when the range begins
        seats.filter(joined_on__lt=start).filter(Q(left_on__isnull=True) | Q(left_on__gte=start))
        .values("chapter_id").annotate(n=Count("pk")).values_list("chapter_id", "n").order_by()
    )
    result = {}
    for chapter_id, by_week in weeks.items():
        running = held_at_start.get(chapter_id, 0)
        for w in by_week.values():
            running += w.joined - w.left
            w.seats = running
        result[chapter_id] = list(by_week.values())
    return result
