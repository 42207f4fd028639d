"""Writes about meetings: the schedule, roll call, closing, visitors, the run sheet, calendar feeds."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from chapters.models import Chapter
from chapters.selectors import classification_reservation, classification_reserved_message
from leadsgroups.formats import format_date, format_time
from leadsgroups.i18n import for_chapter, for_user
from meetings import notices
from meetings.models import (
    MARK_IN_SENTENCE,
    MAX_VISITS_LIMIT,
    ROLL_CALL_OPENS_BEFORE,
    Attendance,
    CalendarFeed,
    ChapterMeetingSettings,
    Meeting,
    Presentation,
    Testimonial,
    Visitor,
)
from meetings.selectors import held_to
from members.audit import AuditText, Label, Worded, audit_record
from members.models import Invitation, Membership, Notification, User
from members.notice_texts import worded
from members.notifications import notification_send
from members.services import invitation_create, invitation_for_applicant
from webhooks.events import emit as webhook_emit

log = logging.getLogger(__name__)

SCHEDULE_WEEKS = 8
# The audit trail's words for a presentation moved off a cancelled meeting: keys worded for each reader
# where they are shown (members.audit).
MOVED_SLOT = {
    "feature": gettext_noop("Moved %(name)s's feature presentation from the cancelled meeting of %(was)s to %(to)s"),
    "education": gettext_noop("Moved %(name)s's education moment from the cancelled meeting of %(was)s to %(to)s"),
}
# Members whose seat counts at a meeting's roll call (on leave: shown apart, never marked absent).
EXPECTED_STATUSES = (Membership.Status.ACTIVE, Membership.Status.PROBATION)


# Schedule ----------------------------------------------------------------------------------------


def meeting_local_start(*, chapter: Chapter, local_date: date, local_time: time) -> datetime:
    """The UTC instant of a local date and wall-clock time in the chapter's timezone."""
    # zoneinfo applies the offset in force on that date, so 07:00 stays 07:00 across a DST change.
    return datetime.combine(local_date, local_time, tzinfo=chapter.tz).astimezone(UTC)


def _biweekly_anchor(*, chapter: Chapter, first: date) -> date:
    """The slot that fixes a bi-weekly chapter's rhythm: its latest regular meeting, else the first slot."""
    last = (
        Meeting.objects.filter(chapter=chapter, kind=Meeting.Kind.REGULAR, scheduled_date__isnull=False)
        .order_by("-scheduled_date")
        .values_list("scheduled_date", flat=True)
        .first()
    )
    if last is None:
        return first
    return last + timedelta(days=chapter.weekday - last.weekday())  # same week, today's weekday


def schedule_slots(*, chapter: Chapter, start: date, weeks: int = SCHEDULE_WEEKS) -> list[date]:
    """Local dates the chapter meets on from `start` (inclusive) for `weeks` weeks."""
    first = start + timedelta(days=(chapter.weekday - start.weekday()) % 7)
    end = start + timedelta(weeks=weeks)
    step = 7
    if chapter.cadence == Chapter.Cadence.BIWEEKLY:
        step = 14
        anchor = _biweekly_anchor(chapter=chapter, first=first)
        if ((first - anchor).days // 7) % 2:
            first += timedelta(days=7)
    slots = []
    day = first
    while day < end:
        slots.append(day)
        day += timedelta(days=step)
    return slots


def meetings_schedule(*, chapter: Chapter, today: date | None = None, weeks: int = SCHEDULE_WEEKS) -> int:
    """Create the chapter's regular meetings for the coming weeks; returns how many were new."""
    if chapter.status == Chapter.Status.CLOSED:
        return 0
    now = timezone.now()
    real_today = timezone.localdate(now, timezone=chapter.tz)
    today = today or real_today
    slots = schedule_slots(chapter=chapter, start=today, weeks=weeks)
    if today == real_today and slots and slots[0] == today:
        # today's slot is made only while it is still ahead (after a change of day or time, say)
        if meeting_local_start(chapter=chapter, local_date=today, local_time=chapter.start_time) <= now:
            slots = slots[1:]
    if not slots:
        return 0

    def week(day: date) -> date:
        return day - timedelta(days=day.weekday())

    # One regular meeting a week at most: a week that has one (moved, cancelled, or made before a
    # change of weekday) gets no other, so a cancelled holiday week stays cancelled.
    existing = {
        week(day) for day in Meeting.objects.filter(
            chapter=chapter, kind=Meeting.Kind.REGULAR,
            scheduled_date__gte=week(slots[0]), scheduled_date__lt=week(slots[-1]) + timedelta(days=7),
        ).values_list("scheduled_date", flat=True)
    }
    new = [
        Meeting(
            chapter=chapter, kind=Meeting.Kind.REGULAR, scheduled_date=day, local_date=day,
            starts_at=meeting_local_start(chapter=chapter, local_date=day, local_time=chapter.start_time),
            duration_minutes=chapter.duration_minutes, venue=chapter.venue,
        )
        for day in slots
        if week(day) not in existing
    ]
    # A second worker may insert the same slot meanwhile: the partial unique constraint
    # meetings_meeting_one_per_schedule_slot turns that into a no-op instead of a duplicate.
    Meeting.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


SCHEDULE_FIELDS = ("timezone", "cadence", "weekday", "start_time", "duration_minutes", "venue")


@transaction.atomic
def meetings_replan(*, chapter: Chapter, before: dict, by=None) -> dict:
    """Carry a change of the chapter's schedule settings over to its upcoming regular meetings.

    `before` holds the settings (SCHEDULE_FIELDS) the meetings were made with. A meeting still as
    the schedule made it (not moved, not under way, no marks) takes the new day, time, length and
    venue in its week; one whose week has no slot any more (weekly to bi-weekly) goes if nothing
    hangs on it (rota, visitors, testimonials) and stays otherwise. Moved, cancelled and closed
    meetings are left as leadership made them. Then the schedule fills the new slots.
    Returns {"moved": n, "removed": n, "kept": n, "added": n, "kept_meetings": [pk, …]}: the page
    names and links the meetings kept, so leadership can rebook or cancel them.
    """
    import zoneinfo

    old_tz = zoneinfo.ZoneInfo(before["timezone"])
    now = timezone.now()
    today = timezone.localdate(timezone=chapter.tz)
    upcoming = list(
        Meeting.objects.select_for_update()
        .filter(chapter=chapter, kind=Meeting.Kind.REGULAR, status=Meeting.Status.SCHEDULED, starts_at__gt=now)
        .exclude(attendances__isnull=False)
        .order_by("scheduled_date")
    )
    untouched = [
        m for m in upcoming
        if m.local_date == m.scheduled_date and m.venue == before["venue"]
        and m.starts_at == datetime.combine(m.scheduled_date, before["start_time"], tzinfo=old_tz).astimezone(UTC)
    ]
    slots = schedule_slots(chapter=chapter, start=today)
    by_week = {day - timedelta(days=day.weekday()): day for day in slots}
    taken = set(
        Meeting.objects.filter(chapter=chapter, kind=Meeting.Kind.REGULAR)
        .exclude(pk__in=[m.pk for m in untouched]).values_list("scheduled_date", flat=True)
    )
    result = {"moved": 0, "removed": 0, "kept": 0, "added": 0, "kept_meetings": []}
    for meeting in untouched:
        day = by_week.get(meeting.scheduled_date - timedelta(days=meeting.scheduled_date.weekday()))
        starts_at = meeting_local_start(chapter=chapter, local_date=day, local_time=chapter.start_time) if day else None
        if day is None or day in taken or starts_at <= now:
            busy = meeting.presentations.exists() or meeting.visitors.exists() or meeting.testimonials.exists()
            if busy:
                result["kept"] += 1
                result["kept_meetings"].append(meeting.pk)
            else:
                meeting.delete()
                result["removed"] += 1
            continue
        taken.add(day)
        meeting.scheduled_date = meeting.local_date = day
        meeting.starts_at = starts_at
        meeting.duration_minutes = chapter.duration_minutes
        meeting.venue = chapter.venue
        meeting.save(update_fields=["scheduled_date", "local_date", "starts_at", "duration_minutes", "venue"])
        result["moved"] += 1
    result["added"] = meetings_schedule(chapter=chapter, today=today)
    if result["moved"] or result["removed"] or result["kept"] or result["added"]:
        audit_record(
            actor=by, action="meetings.replanned", target=chapter, chapter=chapter,
            summary=AuditText(gettext_noop("Upcoming meetings follow the new schedule: %(moved)s changed, %(added)s added, "
                                           "%(removed)s removed, %(kept)s kept"),
                              moved=result["moved"], added=result["added"], removed=result["removed"],
                              kept=result["kept"]),
            after=result,
        )
    return result


def _meeting_for_update(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().select_related("chapter").get(pk=meeting.pk)


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by, reason: str, move_presentations: bool = False) -> Meeting:
    """Cancel a meeting (a holiday); it then counts for nobody's attendance.

    Its run sheet (feature presentations, education moment) either moves to the next meeting
    (`move_presentations`) or stays with the cancelled one; either way each presenter is told,
    and the audit trail has what moved where.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the meeting is cancelled; members see it.")}, code="required")
    meeting = _meeting_for_update(meeting)
    if meeting.status == Meeting.Status.CLOSED:
        raise ValidationError(_("A closed meeting cannot be cancelled."), code="closed")
    before = {"status": meeting.status}
    meeting.status = Meeting.Status.CANCELLED
    meeting.cancel_reason = reason[:300]
    meeting.save(update_fields=["status", "cancel_reason"])
    audit_record(
        actor=by, action="meeting.cancelled", target=meeting, chapter=meeting.chapter,
        summary=AuditText(gettext_noop("Cancelled the meeting of %(date)s"), date=meeting.local_date), before=before,
        after={"status": meeting.status}, reason=reason,
    )
    meeting.run_sheet_moved, meeting.run_sheet_kept = _cancelled_run_sheet(
        meeting=meeting, by=by, move=move_presentations
    )
    return meeting


def meeting_after(*, meeting: Meeting) -> Meeting | None:
    """The chapter's next meeting still to be held after this one: where a cancelled run sheet goes."""
    return (
        Meeting.objects.filter(chapter_id=meeting.chapter_id, starts_at__gt=meeting.starts_at)
        .exclude(status__in=[Meeting.Status.CANCELLED, Meeting.Status.CLOSED])
        .select_related("chapter")
        .order_by("starts_at")
        .first()
    )


def _cancelled_run_sheet(*, meeting: Meeting, by, move: bool) -> tuple[list, list]:
    """Move the run sheet of a cancelled meeting to the next one (or leave it), telling each presenter.

    Returns (moved, kept) presentations; a presenter who already has that slot at the next
    meeting, or an education moment when the next meeting has one, stays on the cancelled one.
    """
    moved, kept = [], []
    booked = list(meeting.presentations.select_related("presenter__user", "presenter__chapter"))
    if not booked:
        return moved, kept
    chapter = meeting.chapter
    target = meeting_after(meeting=meeting) if move else None
    if target is not None:
        target = _meeting_for_update(target)
        taken = set(target.presentations.values_list("presenter_id", "kind"))
        # a meeting has one education moment: an education moment already there keeps its place
        has_education = any(kind == Presentation.Kind.EDUCATION for _presenter, kind in taken)
    for presentation in booked:
        fits = target is not None and (presentation.presenter_id, presentation.kind) not in taken and not (
            presentation.kind == Presentation.Kind.EDUCATION and has_education
        )
        if fits:
            presentation.meeting = target
            presentation.save(update_fields=["meeting"])
            moved.append(presentation)
            audit_record(
                actor=by, action="presentation.moved", target=presentation, chapter=chapter,
                summary=AuditText(MOVED_SLOT[presentation.kind], name=presentation.presenter.display_name,
                                  was=Worded("day", meeting.local_date), to=Worded("day", target.local_date)),
                before={"meeting": str(meeting.local_date)}, after={"meeting": str(target.local_date)},
                reason=meeting.cancel_reason,
            )
            url = target.get_absolute_url()
        else:
            kept.append(presentation)
            url = reverse("meetings:rota", args=[chapter.slug])
        with for_user(presentation.presenter.user):  # the presenter's language, whoever cancelled
            notification_send(
                user=presentation.presenter.user, chapter=chapter, kind=Notification.Kind.REMINDER, url=url,
                **worded(notices.RUN_SHEET, notices.run_sheet_params(
                    meeting=meeting, presentation=presentation, target=target if fits else None)),
            )
    return moved, kept


@transaction.atomic
def meeting_reinstate(*, meeting: Meeting, by, reason: str = "") -> Meeting:
    """Undo a cancellation made by mistake: the meeting takes place and counts for attendance again.

    A meeting that is over needs a `reason`: members were told it was off, and once it is closed
    whoever was not marked is recorded absent for it (and may be fined), so the trail says why.
    """
    reason = reason.strip()
    meeting = _meeting_for_update(meeting)
    if meeting.status != Meeting.Status.CANCELLED:
        raise ValidationError(_("Only a cancelled meeting can be reinstated."), code="not_cancelled")
    if meeting.has_ended and not reason:
        raise ValidationError({"reason": _(
            "The meeting of %(date)s is over and members were told it was cancelled: "
            "say why it is reinstated; the audit trail keeps it."
        ) % {"date": format_date(meeting.local_date, "yMMMEd")}}, code="required")
    before = {"status": meeting.status, "cancel_reason": meeting.cancel_reason}
    # Marks recorded before the cancellation are kept: the roll call carries on from them.
    meeting.status = Meeting.Status.OPEN if meeting.attendances.exists() else Meeting.Status.SCHEDULED
    meeting.cancel_reason = ""
    meeting.save(update_fields=["status", "cancel_reason"])
    audit_record(
        actor=by, action="meeting.reinstated", target=meeting, chapter=meeting.chapter,
        summary=AuditText(gettext_noop("Reinstated the cancelled meeting of %(date)s"), date=meeting.local_date),
        before=before,
        after={"status": meeting.status}, reason=reason[:300],
    )
    return meeting


def _refuse_if_cancelled(meeting: Meeting) -> Meeting:
    """The meeting's row, locked so a cancellation cannot slip in meanwhile; refused when cancelled."""
    locked = _meeting_for_update(meeting)
    if locked.status == Meeting.Status.CANCELLED:
        raise ValidationError(_("The meeting is cancelled: nothing can be added to it."), code="cancelled")
    return locked


@transaction.atomic
def meeting_move(*, meeting: Meeting, by, local_date: date, local_time: time, venue: str) -> Meeting:
    """Move a meeting; its schedule slot stays, so the schedule does not recreate it."""
    meeting = _meeting_for_update(meeting)
    if meeting.status in (Meeting.Status.CLOSED, Meeting.Status.CANCELLED):
        if meeting.status == Meeting.Status.CLOSED:
            raise ValidationError(_("A closed meeting cannot be moved."), code="closed")
        raise ValidationError(_("A cancelled meeting cannot be moved."), code="cancelled")
    chapter = meeting.chapter
    before = {"starts_at": meeting.starts_at.astimezone(chapter.tz).isoformat(), "venue": meeting.venue}
    meeting.local_date = local_date
    meeting.starts_at = meeting_local_start(chapter=chapter, local_date=local_date, local_time=local_time)
    meeting.venue = venue.strip()
    meeting.save(update_fields=["local_date", "starts_at", "venue"])
    after = {"starts_at": meeting.starts_at.astimezone(chapter.tz).isoformat(), "venue": meeting.venue}
    audit_record(
        actor=by, action="meeting.moved", target=meeting, chapter=chapter,
        summary=AuditText(gettext_noop("Moved a meeting to %(date)s %(time)s"), date=local_date, time=local_time),
        before=before, after=after,
    )
    return meeting


@transaction.atomic
def meeting_add(*, chapter: Chapter, by, local_date: date, local_time: time, venue: str,
                duration_minutes: int | None = None) -> Meeting:
    """Add a one-off meeting outside the schedule."""
    meeting = Meeting.objects.create(
        chapter=chapter, kind=Meeting.Kind.ONE_OFF, local_date=local_date,
        starts_at=meeting_local_start(chapter=chapter, local_date=local_date, local_time=local_time),
        duration_minutes=duration_minutes or chapter.duration_minutes, venue=venue.strip(),
    )
    audit_record(
        actor=by, action="meeting.added", target=meeting, chapter=chapter,
        summary=AuditText(gettext_noop("Added a one-off meeting on %(date)s %(time)s"), date=local_date, time=local_time),
        after={"venue": meeting.venue},
    )
    return meeting


# Roll call -----------------------------------------------------------------------------------------


def _check_mark(*, meeting: Meeting, membership: Membership, status: str, substitute_name: str) -> None:
    if membership.chapter_id != meeting.chapter_id or membership.status not in Membership.SEATED_STATUSES:
        raise ValidationError(_("This person has no seat in the chapter."), code="no_seat")
    if status not in Attendance.Status.values:
        raise ValidationError({"status": _("Choose present, late, absent, medical or substitute.")}, code="invalid")
    if status == Attendance.Status.SUBSTITUTE:
        if not substitute_name:
            raise ValidationError({"substitute_name": _("Enter the substitute's name.")}, code="required")
        # DOMAIN: a substitute must not be a member of the same chapter.
        if Membership.objects.filter(
            chapter_id=meeting.chapter_id, status__in=Membership.SEATED_STATUSES, user__full_name__iexact=substitute_name
        ).exists():
            raise ValidationError({"substitute_name": _("A substitute cannot be a member of this chapter.")},
                                  code="member")


def attendance_mark(
    *, meeting: Meeting, membership: Membership, status: str, by,
    substitute_name: str = "", substitute_business: str = "",
) -> Attendance:
    """Record one member's PALMS mark during roll call; the latest mark wins."""
    substitute_name, substitute_business = substitute_name.strip(), substitute_business.strip()
    _check_mark(meeting=meeting, membership=membership, status=status, substitute_name=substitute_name)
    if status != Attendance.Status.SUBSTITUTE:
        substitute_name = substitute_business = ""
    with transaction.atomic():
        # Locking the meeting row orders marks against a close: none slips in after it.
        locked = _meeting_for_update(meeting)
        if locked.status == Meeting.Status.CLOSED:
            raise ValidationError(_("The meeting is closed: marks can no longer change."), code="closed")
        if locked.status == Meeting.Status.CANCELLED:
            raise ValidationError(_("The meeting is cancelled: marks can no longer change."), code="cancelled")
        if not locked.roll_call_is_open:
            opens = locked.roll_call_opens_at.astimezone(locked.chapter.tz)
            hours = int(ROLL_CALL_OPENS_BEFORE.total_seconds() // 3600)
            raise ValidationError(ngettext(
                "Roll call opens %(hours)s hour before the meeting starts, at %(time)s on %(date)s.",
                "Roll call opens %(hours)s hours before the meeting starts, at %(time)s on %(date)s.", hours,
            ) % {"hours": hours, "time": format_time(opens), "date": format_date(opens, "yMMMEd")}, code="not_open")
        # Two leaders may tap the same row at once: an upsert on the unique (meeting, membership)
        # constraint lets both succeed, and the later write is the state that stays.
        Attendance.objects.bulk_create(
            [Attendance(meeting=meeting, membership=membership, status=status, substitute_name=substitute_name,
                        substitute_business=substitute_business, recorded_by=by)],
            update_conflicts=True,
            unique_fields=["meeting", "membership"],
            update_fields=["status", "substitute_name", "substitute_business", "recorded_by", "recorded_at"],
        )
        if locked.status == Meeting.Status.SCHEDULED:
            Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.OPEN)
    meeting.status = Meeting.Status.OPEN
    return Attendance.objects.get(meeting=meeting, membership=membership)


def _roll_call_writable(locked: Meeting) -> None:
    if locked.status == Meeting.Status.CLOSED:
        raise ValidationError(_("The meeting is closed: marks can no longer change."), code="closed")
    if locked.status == Meeting.Status.CANCELLED:
        raise ValidationError(_("The meeting is cancelled: marks can no longer change."), code="cancelled")
    if not locked.roll_call_is_open:
        raise ValidationError(_("Roll call is not open yet."), code="not_open")


@transaction.atomic
def attendance_mark_rest_present(*, meeting: Meeting, by) -> list[int]:
    """Mark every expected member without a mark present, so a president taps only the exceptions.

    Returns the seats marked (for the undo). Marks take the meeting's lock too, so the unmarked
    seats read under it cannot be marked by another leader before these rows are written.
    """
    from meetings.selectors import meeting_roll_call

    locked = _meeting_for_update(meeting)
    _roll_call_writable(locked)
    unmarked = [row.membership.pk for row in meeting_roll_call(meeting=locked).expected if row.status is None]
    Attendance.objects.bulk_create([
        Attendance(meeting=locked, membership_id=pk, status=Attendance.Status.PRESENT, recorded_by=by)
        for pk in unmarked
    ])
    if unmarked and locked.status == Meeting.Status.SCHEDULED:
        Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.OPEN)
    return unmarked


@transaction.atomic
def attendance_undo_rest_present(*, meeting: Meeting, membership_ids: list[int], marked_since, by) -> int:
    """Take back the marks `attendance_mark_rest_present` wrote: only those still as it left them
    (present, by the same person, not re-marked by anyone since the batch); returns how many."""
    locked = _meeting_for_update(meeting)
    _roll_call_writable(locked)
    deleted, _rows = Attendance.objects.filter(
        meeting=locked, membership_id__in=membership_ids, status=Attendance.Status.PRESENT,
        recorded_by=by, recorded_at__gte=marked_since,
    ).delete()
    return deleted


@transaction.atomic
def attendance_correct(
    *, meeting: Meeting, membership: Membership, status: str, by, reason: str,
    substitute_name: str = "", substitute_business: str = "",
) -> Attendance:
    """Change a mark after the meeting was closed; needs a reason and goes on the audit trail."""
    reason, substitute_name = reason.strip(), substitute_name.strip()
    substitute_business = substitute_business.strip()
    meeting = _meeting_for_update(meeting)
    if meeting.status != Meeting.Status.CLOSED:
        raise ValidationError(_("Only a closed meeting's marks are corrected; use roll call until it is closed."),
                              code="not_closed")
    if not reason:
        raise ValidationError({"reason": _("Say why the mark is corrected; the audit trail keeps it.")}, code="required")
    _check_mark(meeting=meeting, membership=membership, status=status, substitute_name=substitute_name)
    if status != Attendance.Status.SUBSTITUTE:
        substitute_name = substitute_business = ""
    row = Attendance.objects.select_for_update().filter(meeting=meeting, membership=membership).first()
    before = (
        {"status": row.status, "substitute_name": row.substitute_name, "substitute_business": row.substitute_business}
        if row else {"status": None}
    )
    after = {"status": status, "substitute_name": substitute_name, "substitute_business": substitute_business}
    if before == after:
        # A "correction" that changes nothing would still write an audit event and count as a change
        # of evidence; refuse it so the trail only holds real corrections.
        now = str(MARK_IN_SENTENCE[status])
        if status == Attendance.Status.SUBSTITUTE:
            now += f" ({substitute_name}{', ' + substitute_business if substitute_business else ''})"
        raise ValidationError(
            _("The mark is already %(mark)s: choose another status or change the substitute's details to correct it.")
            % {"mark": now}, code="unchanged",
        )
    if row is None:
        row = Attendance(meeting=meeting, membership=membership)
    row.status, row.substitute_name, row.substitute_business = status, substitute_name, substitute_business
    row.recorded_by = by
    row.save()
    audit_record(
        actor=by, action="attendance.corrected", target=row, chapter=meeting.chapter,
        summary=AuditText(gettext_noop("Corrected %(name)s at %(date)s: %(before)s → %(after)s"),
                          name=membership.display_name, date=meeting.local_date,
                          before=Label("attendance.mark", before["status"] or None), after=Label("attendance.mark", status)),
        before=before, after=after, reason=reason,
    )
    from enforcement.services import chapter_enforce_soon

    chapter_enforce_soon(chapter_id=meeting.chapter_id)  # the fines follow the corrected mark (after commit)
    return row


def meeting_unmarked(*, meeting: Meeting):
    """Members expected at the meeting who have no mark yet: closing records them absent.

    Only members seated when the meeting started are held to it: one activated during the
    meeting (or when it is closed days later) was not expected there.
    """
    return (
        Membership.objects.filter(chapter_id=meeting.chapter_id, status__in=EXPECTED_STATUSES)
        .filter(held_to(meeting))
        .exclude(attendances__meeting=meeting)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )


@transaction.atomic
def meeting_close(*, meeting: Meeting, by) -> Meeting:
    """Lock the meeting's figures: unmarked members become absent, the figures turn final."""
    meeting = _meeting_for_update(meeting)  # a concurrent mark waits for, then sees, the close
    if meeting.status == Meeting.Status.CLOSED:
        return meeting  # closing twice changes nothing
    if meeting.status == Meeting.Status.CANCELLED:
        raise ValidationError(_("A cancelled meeting cannot be closed."), code="cancelled")
    if not meeting.has_started:
        start = meeting.starts_at.astimezone(meeting.chapter.tz)
        raise ValidationError(
            _("The meeting has not started yet: it can be closed from %(time)s on %(date)s.")
            % {"time": format_time(start), "date": format_date(start, "yMMMEd")}, code="not_started",
        )
    unmarked = list(meeting_unmarked(meeting=meeting))
    Attendance.objects.bulk_create(
        [Attendance(meeting=meeting, membership=m, status=Attendance.Status.ABSENT, recorded_by=by) for m in unmarked],
        ignore_conflicts=True,
    )
    meeting.status = Meeting.Status.CLOSED
    meeting.closed_at = timezone.now()
    meeting.closed_by = by
    meeting.save(update_fields=["status", "closed_at", "closed_by"])
    audit_record(
        actor=by, action="meeting.closed", target=meeting, chapter=meeting.chapter,
        summary=AuditText(gettext_noop("Closed the meeting of %(date)s; %(count)s unmarked recorded absent"),
                          date=meeting.local_date, count=len(unmarked)),
        after={"absent_by_close": [m.display_name for m in unmarked]},
    )
    meeting_after_close_queue(meeting=meeting)
    webhook_emit("meeting.closed", [meeting])  # rows now, sent once this commits
    return meeting


@dataclass(frozen=True)
class FineForeseen:
    """A fine closing the meeting would cause: what the close confirmation page shows."""

    membership: Membership
    kind: str
    amount: Decimal
    currency: str
    meeting_id: int | None
    summary: str
    # The unpaid fine it is issued in place of (its evidence now counts this meeting too), or None: new.
    replaces_amount: Decimal | None = None

    @property
    def adds(self) -> Decimal:
        """What it adds to what the member owes: a replacement adds only the difference."""
        return self.amount - (self.replaces_amount or 0)


class _PreviewDone(Exception):
    """Raised inside the preview's transaction so that everything it wrote is rolled back."""


def meeting_close_fines_preview(*, meeting: Meeting, by) -> list[FineForeseen]:
    """The fines closing the meeting now would cause, computed without keeping anything written.

    It closes the meeting for real inside a transaction (so the marks, and the evaluation of them,
    are exactly those of a real close), asks enforcement's public evaluation what it would issue
    before and after, and rolls everything back; work queued on commit is discarded with it.
    Raises ValidationError when the meeting cannot be closed.
    """
    from enforcement.evaluation import chapter_evaluate

    chapter = meeting.chapter
    today = timezone.localdate(timezone=chapter.tz)

    def key(finding) -> tuple:
        return (finding.membership.pk, finding.kind, finding.meeting_id, finding.summary)

    foreseen: list[FineForeseen] = []
    try:
        with transaction.atomic():
            before = {key(f) for f in chapter_evaluate(chapter=chapter, today=today).findings}
            meeting_close(meeting=meeting, by=by)
            foreseen = [
                FineForeseen(membership=f.membership, kind=f.kind, amount=f.amount, currency=f.currency,
                             meeting_id=f.meeting_id, summary=f.summary,
                             replaces_amount=f.replaces.amount if f.replaces is not None else None)
                for f in chapter_evaluate(chapter=chapter, today=today).findings
                if key(f) not in before
            ]
            raise _PreviewDone
    except _PreviewDone:
        pass
    return foreseen


def meeting_close_fingerprint(foreseen: list[FineForeseen]) -> str:
    """A short digest of a preview: a confirmation is for the fines that were shown, not others."""
    lines = sorted(f"{f.membership.pk}|{f.kind}|{f.meeting_id}|{f.amount}|{f.currency}|{f.summary}" for f in foreseen)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def meeting_after_close_queue(*, meeting: Meeting) -> None:
    """THE place where work that follows a closed meeting is queued, once the close is committed.

    Add further after-close tasks here (e.g. rule enforcement) so they run exactly when the
    figures become final; each must be idempotent, as a meeting's close may be retried.
    """
    from enforcement.services import chapter_mark_dirty
    from meetings.readout import meeting_readout_notify
    from members.outbox import emails_send_queue

    meeting_id, chapter_id = meeting.pk, meeting.chapter_id
    chapter_mark_dirty(chapter_id=chapter_id)  # in this transaction: if the task below is lost, the next sweep judges it
    # The week's read-out for leadership: notices and outbox rows in this transaction (once per leader
    # and meeting, however often it closes), sent below; the outbox's sweep sends any whose task is lost.
    readout_emails = meeting_readout_notify(meeting=meeting)

    def _dispatch() -> None:
        from enforcement.tasks import chapter_enforce_task
        from meetings.tasks import meeting_visitor_followups_task

        try:
            # The figures are final now: judge the chapter's attendance rules at once. If this
            # is lost, the next enforcement sweep judges the meeting all the same.
            chapter_enforce_task.delay(chapter_id)
            meeting_visitor_followups_task.delay(meeting_id)
        except Exception:  # noqa: BLE001 - a broker outage must never fail the close
            log.warning("Broker unavailable; after-close work of meeting %s not queued", meeting_id)
        if readout_emails:
            emails_send_queue(email_ids=readout_emails)  # never raises: a lost batch waits for the sweep

    transaction.on_commit(_dispatch)


def meeting_visitor_followups(*, meeting: Meeting) -> int:
    """Ask each inviting member to follow up their visitors of a closed meeting; safe to rerun."""
    sent = 0
    visitors = meeting.visitors.filter(follow_up__in=Visitor.AWAITING, invited_by__isnull=False).select_related(
        "invited_by__user", "meeting__chapter"
    )
    for visitor in visitors:
        chapter = visitor.meeting.chapter
        with for_user(visitor.invited_by.user):  # the inviting member's language
            notice = notification_send(
                user=visitor.invited_by.user, chapter=chapter, kind=Notification.Kind.REMINDER,
                **worded(notices.VISITOR_FOLLOW_UP, notices.visitor_follow_up_params(visitor, chapter)),
                # Only leadership may open the follow-up list; a member who brought the visitor gets the meeting.
                url=reverse("meetings:visitors", args=[chapter.slug]) if visitor.invited_by.is_leadership
                else reverse("meetings:detail", args=[chapter.slug, visitor.meeting_id]),
                dedupe_key=f"visitor-followup-{visitor.pk}",
            )
        sent += notice is not None
    return sent


# Settings ------------------------------------------------------------------------------------------


@transaction.atomic
def meeting_settings_update(*, chapter: Chapter, by, max_visits_before_applying: int) -> ChapterMeetingSettings:
    """Change the chapter's meeting settings; the first change creates its row. Audited."""
    if not 1 <= max_visits_before_applying <= MAX_VISITS_LIMIT:
        raise ValidationError({"max_visits_before_applying": _("Choose between 1 and %(limit)s visits.")
                               % {"limit": MAX_VISITS_LIMIT}}, code="range")
    # get_or_create on the one-to-one: two leaders saving at once end with one row, the later value.
    current, _created = ChapterMeetingSettings.objects.select_for_update().get_or_create(chapter=chapter)
    before = {"max_visits_before_applying": current.max_visits_before_applying}
    current.max_visits_before_applying = max_visits_before_applying
    current.save(update_fields=["max_visits_before_applying", "updated_at"])
    after = {"max_visits_before_applying": max_visits_before_applying}
    if before != after:
        audit_record(
            actor=by, action="meeting_settings.changed", target=current, chapter=chapter,
            summary=AuditText(gettext_noop("Visits allowed before applying: %(before)s → %(after)s"),
                              before=before["max_visits_before_applying"], after=max_visits_before_applying),
            before=before, after=after,
        )
    return current


# Visitors ------------------------------------------------------------------------------------------


@transaction.atomic
def visitor_add(
    *, meeting: Meeting, by, name: str, business: str = "", classification=None, email: str = "",
    phone: str = "", invited_by: Membership | None = None, notes: str = "",
) -> Visitor:
    """Record a guest at a meeting, credited to the member who invited them."""
    meeting = _refuse_if_cancelled(meeting)
    if invited_by is not None and invited_by.chapter_id != meeting.chapter_id:
        raise ValidationError({"invited_by": _("The inviting member must belong to this chapter.")}, code="chapter")
    return Visitor.objects.create(
        meeting=meeting, name=name.strip(), business=business.strip(), classification=classification,
        email=email.strip().lower(), phone=phone.strip(), invited_by=invited_by, notes=notes.strip(), recorded_by=by,
    )


@transaction.atomic
def visitor_follow_up(*, visitor: Visitor, by, follow_up: str, notes: str, email: str | None = None,
                      phone: str | None = None) -> Visitor:
    """Record where the follow-up of a visitor stands (and their contact, when given)."""
    if follow_up not in Visitor.FollowUp.values:
        raise ValidationError({"follow_up": _("Choose a follow-up status.")}, code="invalid")
    visitor.follow_up = follow_up
    visitor.notes = notes.strip()
    fields = ["follow_up", "notes"]
    if email is not None:
        visitor.email = email.strip().lower()
        fields.append("email")
    if phone is not None:
        visitor.phone = phone.strip()
        fields.append("phone")
    visitor.save(update_fields=fields)
    return visitor


@transaction.atomic
def visitor_convert(*, visitor: Visitor, by) -> Membership | Invitation:
    """Take up a visitor's application, keeping the link between the visit and what it became.

    A visitor without an account becomes an applicant, with an account made for their email.
    A visitor whose email already has an account is not seated: that account is someone's own,
    so they are sent an invitation (the members app's) and join only by accepting it; the
    invitation is returned. An open invitation already sent to them is reused.
    """
    # Lock the visitor's row only: PostgreSQL refuses FOR UPDATE across the nullable join to its invitation.
    visitor = (
        Visitor.objects.select_for_update(of=("self",)).select_related("meeting__chapter", "invitation").get(pk=visitor.pk)
    )
    chapter = visitor.meeting.chapter
    if visitor.applicant_membership_id:
        return visitor.applicant_membership
    if visitor.invitation is not None and (visitor.invitation.is_open or visitor.invitation.accepted_at):
        return visitor.invitation
    if not visitor.email:
        raise ValidationError({"email": _("Add the visitor's email address first: it becomes their sign-in.")},
                              code="required")
    user = User.objects.filter(email__iexact=visitor.email).first()
    membership = Membership.objects.filter(user=user, chapter=chapter).first() if user else None
    if membership is not None and membership.is_seated:
        raise ValidationError(_("This person already has a seat in the chapter."), code="seated")
    if user is not None and (membership is None or membership.status != Membership.Status.APPLICANT):
        return _visitor_invite(visitor=visitor, by=by)
    # No account yet (or one made from an earlier visit, still an applicant here): today's path.
    pending = classification_reservation(chapter=chapter, classification=visitor.classification,
                                         except_email=visitor.email)
    if pending is not None:
        raise ValidationError({"classification": classification_reserved_message(pending)})
    if user is None:
        user = User.objects.create_user(
            email=visitor.email, full_name=visitor.name, business_name=visitor.business, phone=visitor.phone
        )  # no usable password: they sign in once invited or through a password reset
    if membership is None:
        membership = Membership(user=user, chapter=chapter)
    membership.status = Membership.Status.APPLICANT
    membership.role = Membership.Role.MEMBER
    membership.classification = visitor.classification
    membership.business_name = visitor.business
    with for_chapter(chapter):  # a note kept on the seat, read by the chapter's leadership
        membership.status_note = _("Applied after visiting on %(date)s") % {
            "date": format_date(visitor.meeting.local_date)}
    membership.left_on = None
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError as exc:
        raise ValidationError(_("This person could not be made an applicant; check their seat."),
                              code="integrity") from exc
    visitor.applicant_membership = membership
    visitor.follow_up = Visitor.FollowUp.APPLIED
    audit_record(
        actor=by, action="visitor.converted", target=membership, chapter=chapter,
        summary=AuditText(gettext_noop("%(name)s became an applicant after visiting"), name=visitor.name),
        after={"status": membership.status, "classification": membership.classification, "visitor": visitor.pk},
    )
    # The account has no password: an invitation (an outbox row, sent by a task) lets them set one and
    # see the chapter, accepted as any invitation is. Reached once: a second conversion returns above.
    visitor.invitation, _created = invitation_for_applicant(membership=membership, by=by)
    visitor.save(update_fields=["applicant_membership", "follow_up", "invitation"])
    return membership


def _visitor_invite(*, visitor: Visitor, by) -> Invitation:
    """Invite a visitor who already has an account: a seat for them is theirs to accept, never given."""
    chapter = visitor.meeting.chapter
    invitation = (
        Invitation.objects.filter(chapter=chapter, email__iexact=visitor.email, accepted_at__isnull=True,
                                  revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )  # already invited (from the members page, say): that invitation stands
    if invitation is None:
        try:
            invitation, _link = invitation_create(
                chapter=chapter, email=visitor.email, full_name=visitor.name, role=Membership.Role.MEMBER,
                classification=visitor.classification, invited_by=by,
            )
        except ValidationError as exc:
            problems = " ".join(exc.messages)
            raise ValidationError(
                _("%(email)s already has an account, so they are invited rather than seated, "
                  "but the invitation could not be made: %(problems)s") % {"email": visitor.email, "problems": problems},
                code="invitation",
            ) from exc
    visitor.invitation = invitation
    visitor.follow_up = Visitor.FollowUp.APPLIED
    visitor.save(update_fields=["invitation", "follow_up"])
    audit_record(
        actor=by, action="visitor.invited", target=invitation, chapter=chapter,
        summary=AuditText(gettext_noop("%(name)s already has an account: invited to accept a seat instead of being "
                                       "seated"), name=visitor.name),
        after={"visitor": visitor.pk, "email": invitation.email, "classification": invitation.classification},
    )
    return invitation


# Run sheet -------------------------------------------------------------------------------------------


@transaction.atomic
def presentation_add(*, meeting: Meeting, presenter: Membership, kind: str, topic: str, by) -> Presentation:
    """Put a member on a meeting's run sheet (feature presentation or education moment)."""
    if presenter.chapter_id != meeting.chapter_id:
        raise ValidationError({"presenter": _("The presenter must belong to this chapter.")}, code="chapter")
    meeting = _meeting_for_update(meeting)
    if meeting.status in (Meeting.Status.CLOSED, Meeting.Status.CANCELLED):
        raise ValidationError({"meeting": _("Choose a meeting that is still to come.")}, code="held")
    try:
        with transaction.atomic():
            return Presentation.objects.create(meeting=meeting, presenter=presenter, kind=kind, topic=topic.strip())
    except IntegrityError as exc:
        raise ValidationError({"presenter": _("This member already has this slot at the meeting.")},
                              code="taken") from exc


@transaction.atomic
def presentation_remove(*, presentation: Presentation, by) -> None:
    presentation.delete()


@transaction.atomic
def testimonial_add(*, meeting: Meeting, given_by: Membership, about: Membership, text: str, by) -> Testimonial:
    """Record a testimonial given at the meeting."""
    if given_by.pk == about.pk:
        raise ValidationError({"about": _("A testimonial is about another member.")}, code="self")
    if given_by.chapter_id != meeting.chapter_id or about.chapter_id != meeting.chapter_id:
        raise ValidationError(_("Both members must belong to this chapter."), code="chapter")
    if not text.strip():
        raise ValidationError({"text": _("Write what was said.")}, code="required")
    meeting = _refuse_if_cancelled(meeting)
    return Testimonial.objects.create(meeting=meeting, given_by=given_by, about=about, text=text.strip())


# Calendar feed ---------------------------------------------------------------------------------------


def calendar_feed_for(*, user) -> CalendarFeed:
    """The person's calendar feed, issued on first use."""
    feed = CalendarFeed.objects.filter(user=user).first()
    if feed is not None:
        return feed
    try:
        with transaction.atomic():
            return CalendarFeed.objects.create(user=user, token=secrets.token_urlsafe(32))
    except IntegrityError:  # issued by a parallel request
        return CalendarFeed.objects.get(user=user)


@transaction.atomic
def calendar_feed_reset(*, user) -> CalendarFeed:
    """Issue a new token; the old address stops working at once."""
    feed = calendar_feed_for(user=user)
    feed.token = secrets.token_urlsafe(32)
    feed.save(update_fields=["token", "created_at"])
    return feed
