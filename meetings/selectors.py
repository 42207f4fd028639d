"""Reads about meetings, shaped for their pages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db.models import CharField, Count, Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Cast
from django.utils import timezone

from meetings.models import Attendance, ChapterMeetingSettings, Meeting, Presentation, Testimonial, Visitor
from members.models import AuditEvent, Membership

STATUSES = list(Attendance.Status)
AGENDA = [
    ("networking", "Open networking"),
    ("welcome", "Welcome and introductions"),
    ("education", "Education moment"),
    ("pitches", "Member pitches (30–60 seconds each)"),
    ("features", "Feature presentations"),
    ("visitors", "Visitors introduce themselves"),
    ("referrals", "Referral passing"),
    ("testimonials", "Testimonials"),
    ("announcements", "Announcements and close"),
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


def meetings_upcoming(*, chapter, limit: int = 10):
    cutoff = timezone.now() - timedelta(hours=3)
    return (
        Meeting.objects.filter(chapter=chapter, starts_at__gte=cutoff)
        .exclude(status=Meeting.Status.CLOSED)
        .select_related("chapter")
        .prefetch_related(Prefetch("presentations", queryset=Presentation.objects.select_related("presenter__user")))
        .order_by("starts_at")[:limit]
    )


def meetings_past(*, chapter, limit: int = 12):
    cutoff = timezone.now() - timedelta(hours=3)
    return (
        Meeting.objects.filter(chapter=chapter)
        .filter(Q(starts_at__lt=cutoff) | Q(status=Meeting.Status.CLOSED))
        .select_related("chapter")
        .annotate(
            marked=Count("attendances"),
            present=Count("attendances", filter=Q(attendances__status__in=["present", "late", "substitute"])),
        )
        .order_by("-starts_at")[:limit]
    )


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


def meeting_roll_call(*, meeting: Meeting) -> RollCall:
    """Every seat at the meeting with its mark (two queries, whatever the chapter's size)."""
    marks = {
        a.membership_id: a
        for a in Attendance.objects.filter(meeting=meeting).select_related("recorded_by")
    }
    members = (
        Membership.objects.filter(chapter_id=meeting.chapter_id)
        .filter(
            (Q(status__in=Membership.SEATED_STATUSES) & held_to(meeting)) | Q(pk__in=list(marks))
        )
        .select_related("user", "classification")
        .order_by("user__full_name", "user__email")
    )
    expected, on_leave = [], []
    for m in members:
        row = RollCallRow(membership=m, attendance=marks.get(m.pk))
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


# Visitors ----------------------------------------------------------------------------------------


def _norm_phone(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


def _visit_key_matches(a: Visitor, b: Visitor) -> bool:
    if a.email and b.email and a.email.lower() == b.email.lower():
        return True
    if _norm_phone(a.phone) and _norm_phone(a.phone) == _norm_phone(b.phone):
        return True
    return a.name.strip().lower() == b.name.strip().lower()


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
    for v in visitors:
        same_person = [c for c in candidates if _visit_key_matches(c, v)]
        earlier = [c for c in same_person if c.meeting.starts_at <= v.meeting.starts_at]
        v.visit_number = max(1, len(earlier))
        # the person came again afterwards: their follow-up goes on from that later visit
        v.visited_again = any(
            (c.meeting.starts_at, c.pk) > (v.meeting.starts_at, v.pk) for c in same_person if c.pk != v.pk
        )
        v.over_visit_limit = v.visit_number > max_visits
        v.classification_held = v.classification_id in held and v.applicant_membership_id is None
    return visitors


def meeting_visitors(*, meeting: Meeting, max_visits: int | None = None) -> list[Visitor]:
    visitors = list(
        meeting.visitors.select_related("classification", "invited_by__user", "meeting").order_by("pk")
    )
    return visitors_flagged(chapter=meeting.chapter, visitors=visitors, max_visits=max_visits)


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


def visitors_recent(*, chapter, limit: int = 30) -> list[Visitor]:
    """Visitors whose follow-up is done (applied or not interested), newest first."""
    return list(
        Visitor.objects.filter(meeting__chapter=chapter)
        .exclude(follow_up__in=Visitor.AWAITING)
        .select_related("classification", "invited_by__user", "meeting", "applicant_membership__user")
        .order_by("-meeting__starts_at", "name")[:limit]
    )


# Run sheet ---------------------------------------------------------------------------------------


def meeting_run_sheet(*, meeting: Meeting) -> dict:
    presentations = list(meeting.presentations.select_related("presenter__user"))
    return {
        "education": [p for p in presentations if p.kind == Presentation.Kind.EDUCATION],
        "features": [p for p in presentations if p.kind == Presentation.Kind.FEATURE],
        "testimonials": list(
            Testimonial.objects.filter(meeting=meeting).select_related("given_by__user", "about__user")
        ),
    }


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


def attendance_report(*, chapter, start: date, end: date) -> dict:
    """Chapter grid for a date range: members × meetings, with per-member totals (three queries)."""
    meetings = list(
        Meeting.objects.filter(chapter=chapter, local_date__gte=start, local_date__lte=end)
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("chapter")
        .order_by("starts_at")
    )
    marks = {
        (a.membership_id, a.meeting_id): a
        for a in Attendance.objects.filter(meeting__in=meetings).only("membership_id", "meeting_id", "status")
    }
    marked_members = {mid for mid, _ in marks}
    members = (
        Membership.objects.filter(chapter=chapter)
        .filter(Q(status__in=Membership.SEATED_STATUSES) | Q(pk__in=marked_members))
        .select_related("user", "classification")
        .annotate(
            visitors_count=Count(
                "visitors_invited",
                filter=Q(visitors_invited__meeting__local_date__gte=start, visitors_invited__meeting__local_date__lte=end)
                & ~Q(visitors_invited__meeting__status=Meeting.Status.CANCELLED),
            )
        )
        .order_by("user__full_name", "user__email")
    )
    lines = []
    for m in members:
        cells = [marks.get((m.pk, mt.pk)) for mt in meetings]
        totals = {s.value: 0 for s in STATUSES}
        for c in cells:
            if c is not None:
                totals[c.status] += 1
        lines.append(ReportLine(membership=m, cells=cells, totals=totals, visitors=m.visitors_count))
    return {
        "meetings": meetings, "lines": lines,
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
