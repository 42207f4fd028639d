"""Reads about meetings, shaped for their pages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.core.paginator import Paginator
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Lower, Trim
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.models import (
    DEFAULT_MAX_VISITS_BEFORE_APPLYING,
    Attendance,
    ChapterMeetingSettings,
    Meeting,
    Presentation,
    Testimonial,
    Visitor,
)
from members.models import AuditEvent, Membership

STATUSES = list(Attendance.Status)
AGENDA = [
    ("networking", _("Open networking")),
    ("welcome", _("Welcome and introductions")),
    ("education", _("Education moment")),
    ("pitches", _("Member pitches (30–60 seconds each)")),
    ("features", _("Feature presentations")),
    ("visitors", _("Visitors introduce themselves")),
    ("referrals", _("Referral passing")),
    ("testimonials", _("Testimonials")),
    ("announcements", _("Announcements and close")),
]


def meeting_next(*, chapter) -> Meeting | None:
    """The chapter's next meeting still to be held: today's counts until it ends or is closed."""
    cutoff = timezone.now() - timezone.timedelta(hours=3)
    return (
        Meeting.objects.filter(chapter=chapter, starts_at__gte=cutoff)
        .exclude(status__in=[Meeting.Status.CANCELLED, Meeting.Status.CLOSED])
        .select_related("chapter")  # its URL needs the chapter's slug
        .order_by("starts_at")
        .first()
    )


def meetings_upcoming(*, chapter, limit: int | None = 10):
    """The meetings to come, soonest first; `limit=None`: all of them, for a page to paginate."""
    cutoff = timezone.now() - timedelta(hours=3)
    qs = (
        Meeting.objects.filter(chapter=chapter, starts_at__gte=cutoff)
        .exclude(status=Meeting.Status.CLOSED)
        .select_related("chapter")
        .prefetch_related(Prefetch("presentations", queryset=Presentation.objects.select_related("presenter__user")))
        .order_by("starts_at", "pk")
    )
    return qs if limit is None else qs[:limit]


def meetings_past(*, chapter, limit: int | None = 12):
    """The meetings held (or whose time is over), latest first; `limit=None`: all of them, for a page to paginate."""
    cutoff = timezone.now() - timedelta(hours=3)
    qs = (
        Meeting.objects.filter(chapter=chapter)
        .filter(Q(starts_at__lt=cutoff) | Q(status=Meeting.Status.CLOSED))
        .select_related("chapter")
        .annotate(
            marked=Count("attendances"),
            present=Count("attendances", filter=Q(attendances__status__in=["present", "late", "substitute"])),
        )
        .order_by("-starts_at", "-pk")
    )
    return qs if limit is None else qs[:limit]


# Roll call ---------------------------------------------------------------------------------------


def joined_by_start(meeting: Meeting) -> Q:
    """Memberships that had begun when the meeting started: whoever joins later that day is not expected."""
    # joined_on is only a date: on the meeting's own day, the seat's creation time decides.
    return Q(joined_on__lt=meeting.local_date) | Q(joined_on=meeting.local_date, created_at__lte=meeting.starts_at)


_UNSEATED = [s for s in Membership.Status.values if s not in Membership.SEATED_STATUSES]


def seat_began_after_start(meeting: Meeting) -> Exists:
    """Memberships whose seat began after the meeting started: an applicant activated, a former member back.

    Such a row may be older than the meeting (an applicant since a visit, a member who resigned),
    so neither joined_on nor created_at tells: the audit trail does, as every activation and every
    acceptance of an invitation records the status before and after, at the moment it happened.
    """
    return Exists(
        AuditEvent.objects.filter(
            target_type="members.membership", target_id=Cast(OuterRef("pk"), CharField()),
            action__in=("membership.joined", "membership.changed"), created_at__gt=meeting.starts_at,
            after__status__in=list(Membership.SEATED_STATUSES),
        ).filter(Q(before__status__isnull=True) | Q(before__status__in=_UNSEATED))
    )


def held_to(meeting: Meeting) -> Q:
    """Memberships held to the meeting: seated when it started (not activated or seated during it)."""
    return joined_by_start(meeting) & ~seat_began_after_start(meeting)


@dataclass
class RollCallRow:
    membership: Membership
    attendance: Attendance | None
    # A mark just refused: the message, and the substitute's name and business as typed, so the
    # row comes back ready to fix (in the htmx fragment and in the full page without JavaScript).
    error: str = ""
    typed: dict | None = None

    @property
    def status(self) -> str | None:
        return self.attendance.status if self.attendance else None


@dataclass
class RollCall:
    expected: list[RollCallRow]  # active and on probation: each must get a mark
    on_leave: list[RollCallRow]
    counts: dict = field(default_factory=dict)


def roll_call_counts(rows: list[RollCallRow], on_leave: list[RollCallRow]) -> dict:
    counts = {s.value: 0 for s in STATUSES}
    for row in rows + on_leave:
        if row.status:
            counts[row.status] += 1
    counts["unmarked"] = sum(1 for r in rows if r.status is None)
    counts["expected"] = len(rows)
    counts["attending"] = counts["present"] + counts["late"] + counts["substitute"]
    return counts


_MARK_FIELDS = ("id", "status", "substitute_name", "substitute_business", "recorded_at")


def meeting_roll_call(*, meeting: Meeting) -> RollCall:
    """Every seat at the meeting with its mark: one query, whatever the chapter's size.

    The mark comes joined to its seat (at most one per seat and meeting, a unique constraint),
    so a seat that has since gone (left, an applicant again) but was marked still has its row.
    """
    members = (
        Membership.objects.filter(chapter_id=meeting.chapter_id)
        .annotate(roll_mark=FilteredRelation("attendances", condition=Q(attendances__meeting_id=meeting.pk)))
        .filter((Q(status__in=Membership.SEATED_STATUSES) & held_to(meeting)) | Q(roll_mark__id__isnull=False))
        .annotate(**{f"mark_{name}": F(f"roll_mark__{name}") for name in _MARK_FIELDS})
        .select_related("user", "classification")
        # a row shows a name, a classification and a status: up to 150 seats a load, not every column of each
        .only("chapter_id", "status", "user__full_name", "user__email", "classification__name")
        .order_by("user__full_name", "user__email")
    )
    expected, on_leave = [], []
    for m in members:
        mark = None
        if m.mark_id is not None:
            mark = Attendance(meeting=meeting, membership=m, **{name: getattr(m, f"mark_{name}") for name in _MARK_FIELDS})
        row = RollCallRow(membership=m, attendance=mark)
        (on_leave if m.status == Membership.Status.ON_LEAVE else expected).append(row)
    return RollCall(expected=expected, on_leave=on_leave, counts=roll_call_counts(expected, on_leave))


def roll_call_row(*, meeting: Meeting, membership: Membership) -> RollCallRow:
    return RollCallRow(
        membership=membership, attendance=Attendance.objects.filter(meeting=meeting, membership=membership).first()
    )


# Settings ----------------------------------------------------------------------------------------


def meeting_settings(*, chapter) -> ChapterMeetingSettings:
    """The chapter's meeting settings: its saved row, or the defaults (saved on the first change)."""
    return ChapterMeetingSettings.objects.filter(chapter=chapter).first() or ChapterMeetingSettings(chapter=chapter)


def meetings_for_page(*, chapter):
    """The chapter's meetings with what the meeting page needs besides, in the same query: the visits a visitor
    may make before applying (`page_max_visits`, the chapter's setting or the default) and `testimonial_count`."""
    setting = ChapterMeetingSettings.objects.filter(chapter_id=OuterRef("chapter_id")).values(
        "max_visits_before_applying")[:1]
    testimonials = (
        Testimonial.objects.filter(meeting_id=OuterRef("pk")).order_by().values("meeting_id")
        .annotate(n=Count("pk")).values("n")
    )
    return chapter.meetings.select_related("closed_by").annotate(
        page_max_visits=Coalesce(Subquery(setting, output_field=IntegerField()),
                                 Value(DEFAULT_MAX_VISITS_BEFORE_APPLYING)),
        testimonial_count=Coalesce(Subquery(testimonials, output_field=IntegerField()), Value(0)),
    )


# Visitors ----------------------------------------------------------------------------------------


def _norm_phone(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


def _visit_key_matches(a: Visitor, b: Visitor) -> bool:
    if a.email and b.email and a.email.lower() == b.email.lower():
        return True
    if _norm_phone(a.phone) and _norm_phone(a.phone) == _norm_phone(b.phone):
        return True
    return a.name.strip().lower() == b.name.strip().lower()


def _flag(visitors: list[Visitor], candidates: list[Visitor], held, max_visits: int) -> list[Visitor]:
    """Set visit numbers and flags from the candidate visits of the same people; `held(v)`: the classification
    is held in the chapter."""
    for v in visitors:
        same_person = [c for c in candidates if _visit_key_matches(c, v)]
        earlier = [c for c in same_person if c.meeting.starts_at <= v.meeting.starts_at]
        v.visit_number = max(1, len(earlier))
        # the person came again afterwards: their follow-up goes on from that later visit
        v.visited_again = any(
            (c.meeting.starts_at, c.pk) > (v.meeting.starts_at, v.pk) for c in same_person if c.pk != v.pk
        )
        v.over_visit_limit = v.visit_number > max_visits
        v.classification_held = held(v) and v.applicant_membership_id is None
    return visitors


def visitors_flagged(*, chapter, visitors: list[Visitor], max_visits: int | None = None) -> list[Visitor]:
    """Add `visit_number`, `over_visit_limit` and `classification_held` to visitors (two or three queries).

    `max_visits` is the chapter's allowed visits before applying; read from its settings when not given.
    """
    if not visitors:
        return visitors
    if max_visits is None:
        max_visits = meeting_settings(chapter=chapter).max_visits_before_applying
    held = set(
        Membership.objects.filter(chapter=chapter, status__in=Membership.SEATED_STATUSES, classification__isnull=False)
        .values_list("classification_id", flat=True)
    )
    match = Q(pk__in=[])
    for email in {v.email.lower() for v in visitors if v.email}:
        match |= Q(email__iexact=email)
    for phone in {v.phone for v in visitors if v.phone}:
        match |= Q(phone=phone)
    for name in {v.name.strip() for v in visitors}:
        match |= Q(name__iexact=name)
    candidates = list(
        Visitor.objects.filter(meeting__chapter=chapter)
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .filter(match)
        .select_related("meeting")
    )
    return _flag(visitors, candidates, lambda v: v.classification_id in held, max_visits)


def meeting_visitors(*, meeting: Meeting, max_visits: int | None = None) -> list[Visitor]:
    """The meeting's visitors, flagged as `visitors_flagged` does, in one query: the meeting's visitors come
    with every visit of the chapter by the same people (email, phone or name alike) and whether their
    classification is held."""
    if max_visits is None:
        max_visits = meeting_settings(chapter=meeting.chapter).max_visits_before_applying
    here = Visitor.objects.filter(meeting_id=meeting.pk).order_by()
    same_person = (
        Q(email_key__in=here.exclude(email="").values(key=Lower("email")))
        | Q(phone__in=here.exclude(phone="").values("phone"))
        | Q(name_key__in=here.values(key=Lower(Trim("name"))))
    )
    held = Membership.objects.filter(
        chapter_id=meeting.chapter_id, status__in=Membership.SEATED_STATUSES, classification_id=OuterRef("classification_id")
    )
    # From the chapter's meetings (an index), so only the chapter's visitors are compared, never the whole table.
    chapter_meetings = Meeting.objects.filter(chapter_id=meeting.chapter_id).values("pk")
    rows = list(
        Visitor.objects.filter(meeting_id__in=chapter_meetings)
        .alias(email_key=Lower("email"), name_key=Lower(Trim("name")))
        .filter(Q(meeting_id=meeting.pk) | (~Q(meeting__status=Meeting.Status.CANCELLED) & same_person))
        .annotate(held_in_chapter=Exists(held))
        .select_related("classification", "invited_by__user", "meeting")
    )
    visitors = sorted((v for v in rows if v.meeting_id == meeting.pk), key=lambda v: v.pk)
    candidates = [c for c in rows if c.meeting.status != Meeting.Status.CANCELLED]
    return _flag(visitors, candidates, lambda v: v.held_in_chapter, max_visits)


def visitors_awaiting_follow_up(*, chapter, max_visits: int | None = None) -> list[Visitor]:
    """Each person awaiting follow-up once, at their latest visit (which carries the visit number).

    An earlier visit of someone who came again is left out, whatever its own follow-up says: the
    person is followed up from their latest visit, and is listed as done once that one is.
    """
    visitors = list(
        Visitor.objects.filter(meeting__chapter=chapter, follow_up__in=Visitor.AWAITING)
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .select_related("classification", "invited_by__user", "meeting")
        .order_by("-meeting__starts_at", "name")
    )
    flagged = visitors_flagged(chapter=chapter, visitors=visitors, max_visits=max_visits)
    return [v for v in flagged if not v.visited_again]


def visitors_recent(*, chapter, limit: int | None = 30):
    """Visitors whose follow-up is done (applied or not interested), newest first; `limit=None`: all, to page."""
    qs = (
        Visitor.objects.filter(meeting__chapter=chapter)
        .exclude(follow_up__in=Visitor.AWAITING)
        .select_related("classification", "invited_by__user", "meeting", "applicant_membership__user")
        .order_by("-meeting__starts_at", "name", "pk")
    )
    return qs if limit is None else list(qs[:limit])


# Run sheet ---------------------------------------------------------------------------------------


def meeting_run_sheet(*, meeting: Meeting) -> dict:
    """The meeting's presentations by kind (one query); its testimonials load with their own section."""
    presentations = list(meeting.presentations.select_related("presenter__user"))
    return {
        "education": [p for p in presentations if p.kind == Presentation.Kind.EDUCATION],
        "features": [p for p in presentations if p.kind == Presentation.Kind.FEATURE],
    }


def meeting_testimonials(*, meeting: Meeting) -> list[Testimonial]:
    return list(Testimonial.objects.filter(meeting=meeting).select_related("given_by__user", "about__user"))


def presentation_next(*, membership: Membership) -> Presentation | None:
    """The member's next slot on a run sheet, if any."""
    cutoff = timezone.now() - timedelta(hours=3)
    return (
        Presentation.objects.filter(presenter=membership, meeting__starts_at__gte=cutoff)
        .exclude(meeting__status__in=[Meeting.Status.CANCELLED, Meeting.Status.CLOSED])
        .select_related("meeting")
        .order_by("meeting__starts_at")
        .first()
    )


# Attendance history ------------------------------------------------------------------------------


def member_attendance(*, membership: Membership, today: date | None = None) -> dict:
    """A member's own record: marks by meeting for 12 months and totals over 6 and 12 months."""
    chapter = membership.chapter
    today = today or timezone.localdate(timezone=chapter.tz)
    since12, since6 = today - relativedelta(months=12), today - relativedelta(months=6)
    rows = list(
        Attendance.objects.filter(
            membership=membership, meeting__local_date__gte=since12, meeting__local_date__lte=today
        )
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .select_related("meeting")
        .order_by("-meeting__starts_at")
    )
    for r in rows:
        r.meeting.chapter = chapter  # each row links to its meeting: its URL needs the chapter, already here
    totals = {}
    for label, since in (("6", since6), ("12", since12)):
        counts = {s.value: 0 for s in STATUSES}
        for r in rows:
            if r.meeting.local_date >= since:
                counts[r.status] += 1
        totals[label] = counts
    return {
        "rows": rows, "totals": totals, "since6": since6, "since12": since12,
        "by_status": [(s, totals["6"][s.value], totals["12"][s.value]) for s in STATUSES],
        "provisional": any(not r.meeting.is_closed for r in rows),
        "visitors_invited": Visitor.objects.filter(
            invited_by=membership, meeting__local_date__gte=since12
        ).exclude(meeting__status=Meeting.Status.CANCELLED).count(),
    }


@dataclass
class ReportLine:
    membership: Membership
    cells: list  # Attendance | None, one per meeting
    totals: dict
    visitors: int


REPORT_PAGE_SIZE = 30  # members a page: the grid's size stays the same whatever the chapter's


def attendance_report(*, chapter, start: date, end: date, page: int | str | None = 1, per_page: int = REPORT_PAGE_SIZE) -> dict:
    """Chapter grid for a date range: members × meetings, with per-member totals counted in SQL.

    One page of members (`page`; None for all of them, the CSV): four queries (meetings, members
    with their totals, their count, their marks), whatever the chapter's size.
    """
    meetings = list(
        Meeting.objects.filter(chapter=chapter, local_date__gte=start, local_date__lte=end)
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("chapter")
        .order_by("starts_at")
    )
    meeting_ids = [mt.pk for mt in meetings]
    marks_in_range = Attendance.objects.filter(membership=OuterRef("pk"), meeting_id__in=meeting_ids)

    def counted(qs):
        return Coalesce(Subquery(qs.order_by().values("membership" if qs.model is Attendance else "invited_by")
                                 .annotate(n=Count("pk")).values("n"), output_field=IntegerField()), Value(0))

    visitors = (
        Visitor.objects.filter(invited_by=OuterRef("pk"), meeting__local_date__gte=start, meeting__local_date__lte=end)
        .exclude(meeting__status=Meeting.Status.CANCELLED)
    )
    # Totals as subqueries, not a join and GROUP BY over every member: PostgreSQL works them out for
    # the page's rows only, after sorting and cutting the page.
    members = (
        Membership.objects.filter(chapter=chapter)
        .filter(Q(status__in=Membership.SEATED_STATUSES) | Exists(marks_in_range))
        .select_related("user", "classification")
        .annotate(
            **{f"total_{s.value}": counted(marks_in_range.filter(status=s.value)) for s in STATUSES},
            visitors_count=counted(visitors),
        )
        .order_by("user__full_name", "user__email", "pk")
    )
    if page is None:
        paged, shown = None, list(members)
    else:
        paged = Paginator(members, per_page).get_page(page)
        shown = list(paged.object_list)
    marks = {
        (a.membership_id, a.meeting_id): a
        for a in Attendance.objects.filter(meeting_id__in=meeting_ids, membership__in=[m.pk for m in shown])
        .only("membership_id", "meeting_id", "status")
    }
    lines = [
        ReportLine(
            membership=m, cells=[marks.get((m.pk, mt.pk)) for mt in meetings],
            totals={s.value: getattr(m, f"total_{s.value}") for s in STATUSES}, visitors=m.visitors_count,
        )
        for m in shown
    ]
    return {
        "meetings": meetings, "lines": lines, "page": paged,
        "provisional": any(not mt.is_closed for mt in meetings),
    }


# Calendar ----------------------------------------------------------------------------------------


def calendar_meetings(*, user, past_days: int = 30):
    """Meetings of every chapter the person sits in, from a month ago on (cancelled ones too)."""
    since = timezone.now() - timedelta(days=past_days)
    chapters = Membership.objects.filter(user=user, status__in=Membership.SEATED_STATUSES).values("chapter")
    return Meeting.objects.filter(chapter__in=chapters, starts_at__gte=since).select_related("chapter").order_by(
        "starts_at"
    )


# Changes a calendar app must take over: each raises the event's SEQUENCE (RFC 5545 §3.8.7.4).
CALENDAR_REVISIONS = ("meeting.moved", "meeting.cancelled", "meeting.reinstated")


def meeting_revisions(*, meetings) -> dict[int, int]:
    """How many times each meeting was moved, cancelled or reinstated (one query).

    The count only grows, so a meeting reinstated after a cancellation gets a higher SEQUENCE
    than the cancellation had, and calendar apps take the reinstatement instead of ignoring it.
    """
    from members.models import AuditEvent

    ids = [str(m.pk) for m in meetings]
    if not ids:
        return {}
    rows = (
        AuditEvent.objects.filter(target_type=Meeting._meta.label_lower, target_id__in=ids, action__in=CALENDAR_REVISIONS)
        .values("target_id").annotate(n=Count("pk"))
    )
    return {int(row["target_id"]): row["n"] for row in rows}
