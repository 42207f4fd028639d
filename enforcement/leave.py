"""Leave by dates: recording, correcting and ending a member's leave, and keeping Membership.status in step.

Leave excuses the meetings and quota periods inside it (when the rules say so); recording or
changing leave whose dates have begun re-judges the chapter (`chapter_enforce_soon`), so fines for
meetings inside a back-dated leave are withdrawn. Membership.status is "on leave" exactly while a
leave covers today (chapter time): these services set it, and `leave_status_sync` (hourly) moves it
when a leave starts or ends on a later day.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from chapters.models import Chapter
from enforcement import explain, notices
from enforcement.limits import RULES_AHEAD_MAX_MONTHS
from enforcement.models import Leave
from enforcement.periods import add_months, local_today
from enforcement.services import chapter_enforce_soon, chapter_mark_dirty
from leadsgroups.formats import format_date
from leadsgroups.i18n import for_user
from members.audit import AuditText, Worded, audit_record
from members.models import Membership, Notification
from members.notice_texts import worded
from members.notifications import notification_send
from members.services import membership_change

# Statuses a leave moves between; a member on probation (or anything else) keeps their status.
STATUS_WHEN_BACK = Membership.Status.ACTIVE


def _today(chapter) -> date:
    return local_today(chapter.tz, timezone.now())


_span = notices.leave_span


def leave_errors(
    *, membership: Membership, starts_on: date, ends_on: date | None, reason: str, today: date,
    exclude_pk: int | None = None, was: Leave | None = None,
) -> dict[str, str]:
    """Field → message for leave dates that cannot be recorded (the form shows the same)."""
    errors = {}
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = _("The leave cannot end before it starts (%(date)s).") % {
            "date": explain.short_day(starts_on),
        }
    if starts_on < membership.joined_on:
        errors["starts_on"] = _("The leave cannot start before %(name)s joined (%(date)s).") % {
            "name": membership.display_name, "date": explain.short_day(membership.joined_on),
        }
    latest = add_months(today, RULES_AHEAD_MAX_MONTHS)
    if starts_on > latest:
        errors["starts_on"] = _("Record leave at most %(count)s months ahead (by %(date)s).") % {
            "count": RULES_AHEAD_MAX_MONTHS, "date": explain.short_day(latest),
        }
    backdated = starts_on < today and (was is None or starts_on != was.starts_on)
    ended_back = ends_on is not None and ends_on < today and (was is None or ends_on != was.ends_on)
    if (backdated or ended_back or was is not None) and len(reason.strip()) < 5:
        if was is not None:
            errors["reason"] = _("Say why the leave is corrected; the member and the audit trail see it.")
        elif backdated:
            errors["reason"] = _("The leave starts in the past: say why it is back-dated (e.g. the sick note's date).")
        else:
            errors["reason"] = _("The leave ends in the past: say why.")
    if "ends_on" not in errors and "starts_on" not in errors:
        clash = (
            Leave.objects.filter(membership=membership)
            .exclude(pk=exclude_pk)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
        )
        if ends_on is not None:
            clash = clash.filter(starts_on__lte=ends_on)
        other = clash.order_by("starts_on").first()
        if other is not None:
            errors["starts_on"] = _("This overlaps the leave already recorded (%(leave)s); correct or end that one "
                                    "instead.") % {"leave": other.label}
    return errors


def _seated(membership: Membership) -> Membership:
    locked = Membership.objects.select_for_update().select_related("chapter", "user").get(pk=membership.pk)
    if locked.status not in Membership.SEATED_STATUSES:
        raise ValidationError(_("Leave is recorded only for a seated member."), code="not_seated")
    return locked


@transaction.atomic
def leave_record(*, membership: Membership, by, starts_on: date, ends_on: date | None = None, reason: str = "") -> Leave:
    """Record leave (back-dated with a reason, if it began in the past); audited, the member told."""
    membership = _seated(membership)  # the row lock serialises leave of one member: no overlap slips in
    chapter = membership.chapter
    today = _today(chapter)
    errors = leave_errors(membership=membership, starts_on=starts_on, ends_on=ends_on, reason=reason, today=today)
    if errors:
        raise ValidationError(errors)
    leave = Leave.objects.create(
        chapter=chapter, membership=membership, starts_on=starts_on, ends_on=ends_on, reason=reason.strip()[:300],
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    back = " (back-dated)" if starts_on < today else ""
    audit_record(
        actor=by, action="leave.recorded", target=leave, chapter=chapter,
        summary=AuditText(gettext_noop("Leave of %(name)s recorded (back-dated): %(span)s") if back
                          else gettext_noop("Leave of %(name)s recorded: %(span)s"),
                          name=membership.display_name, span=Worded("leave.span", starts_on, ends_on)),
        after={"starts_on": starts_on, "ends_on": ends_on}, reason=reason.strip(),
    )
    _tell(membership, notices.LEAVE_RECORDED, notices.leave_params(leave))
    _after_change(membership, by=by, today=today, touched_past=starts_on <= today)
    return leave


@transaction.atomic
def leave_correct(*, leave: Leave, by, starts_on: date, ends_on: date | None, reason: str) -> Leave:
    """Correct a leave's dates (or end it: a last day); a reason is required. Audited, the member told."""
    membership = _seated(leave.membership)
    leave = Leave.objects.select_for_update().get(pk=leave.pk, membership=membership)
    today = _today(membership.chapter)
    if (starts_on, ends_on) == (leave.starts_on, leave.ends_on):
        raise ValidationError(_("Nothing changed: these are the leave's dates already."), code="unchanged")
    errors = leave_errors(membership=membership, starts_on=starts_on, ends_on=ends_on, reason=reason, today=today,
                          exclude_pk=leave.pk, was=leave)
    if errors:
        raise ValidationError(errors)
    before = {"starts_on": leave.starts_on, "ends_on": leave.ends_on}
    touched_past = min(starts_on, leave.starts_on) <= today
    leave.starts_on, leave.ends_on = starts_on, ends_on
    leave.save(update_fields=["starts_on", "ends_on", "updated_at"])
    audit_record(
        actor=by, action="leave.corrected", target=leave, chapter=membership.chapter,
        summary=AuditText(gettext_noop("Leave of %(name)s corrected: %(before)s → %(after)s"), name=membership.display_name,
                          before=Worded("leave.span", *before.values()), after=Worded("leave.span", starts_on, ends_on)),
        before=before, after={"starts_on": starts_on, "ends_on": ends_on}, reason=reason.strip(),
    )
    _tell(membership, notices.LEAVE_CORRECTED, notices.leave_params(
        leave, was_start=before["starts_on"].isoformat(),
        was_end=before["ends_on"].isoformat() if before["ends_on"] else None, reason=reason.strip(),
    ))
    _after_change(membership, by=by, today=today, touched_past=touched_past)
    return leave


def leave_end(*, leave: Leave, by, ends_on: date, reason: str = "") -> Leave:
    """End a leave on `ends_on` (its last day)."""
    return leave_correct(leave=leave, by=by, starts_on=leave.starts_on, ends_on=ends_on,
                         # the reason as the person ending it would write it: in their language
                         reason=reason or _("Leave ended on %(day)s.") % {"day": format_date(ends_on)})


def _tell(membership: Membership, message: str, params: dict) -> None:
    """Tell the member the notice `message` (enforcement/notices.py), worded in the member's language."""
    with for_user(membership.user):
        notification_send(
            user=membership.user, kind=Notification.Kind.MEMBERSHIP, **worded(message, params),
            url=reverse("enforcement:standing", args=[membership.chapter.slug]), chapter=membership.chapter,
        )


def _after_change(membership: Membership, *, by, today: date, touched_past: bool) -> None:
    membership_status_follow_leave(membership=membership, by=by, today=today)
    if touched_past:
        # Meetings or periods already judged may now be excused (or no longer): reconcile after commit.
        chapter_enforce_soon(chapter_id=membership.chapter_id)
    else:
        # Only future days: nothing judged changes, but its start and end are days the sweep must come back.
        chapter_mark_dirty(chapter_id=membership.chapter_id)


# Membership.status in step with the leave records -----------------------------------------------


def leave_covering(*, membership: Membership, day: date) -> Leave | None:
    return (
        Leave.objects.filter(membership=membership, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .first()
    )


def membership_status_follow_leave(*, membership: Membership, by=None, today: date | None = None) -> Membership:
    """On leave while a leave covers today; back to active when none does. Other statuses are kept
    (a member on probation stays on probation; the leave still excuses their meetings)."""
    today = today or _today(membership.chapter)
    covering = leave_covering(membership=membership, day=today)
    if covering is not None and membership.status == Membership.Status.ACTIVE:
        return membership_change(membership=membership, by=by, status=Membership.Status.ON_LEAVE, notify=False,
                                 reason=f"Leave {explain.snapshot(lambda: covering.label)}")
    if covering is None and membership.status == Membership.Status.ON_LEAVE:
        return membership_change(membership=membership, by=by, status=STATUS_WHEN_BACK, notify=False,
                                 reason="Back from leave")
    return membership


@transaction.atomic
def leave_follow_status(*, membership: Membership, by, was: str, reason: str) -> None:
    """After leadership changed a seat's status on the member page: record leave from today when it became
    'on leave', end the leave covering today when it stopped being so. Keeps the two in step."""
    membership = Membership.objects.select_related("chapter").get(pk=membership.pk)
    today = _today(membership.chapter)
    covering = leave_covering(membership=membership, day=today)
    if membership.status == Membership.Status.ON_LEAVE and was != Membership.Status.ON_LEAVE and covering is None:
        leave = Leave.objects.create(
            chapter=membership.chapter, membership=membership, starts_on=today, reason=reason.strip()[:300],
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )
        audit_record(actor=by, action="leave.recorded", target=leave, chapter=membership.chapter,
                     summary=AuditText(gettext_noop("Leave of %(name)s recorded: %(span)s"), name=membership.display_name,
                                       span=Worded("leave.span", today, None)),
                     after={"starts_on": today, "ends_on": None}, reason=reason.strip())
        chapter_enforce_soon(chapter_id=membership.chapter_id)  # today's closed meeting, if any, is excused
    elif was == Membership.Status.ON_LEAVE and membership.status != Membership.Status.ON_LEAVE and covering:
        before = {"starts_on": covering.starts_on, "ends_on": covering.ends_on}
        if covering.starts_on >= today:
            # Began today and ended today: it never covered a judged day; the record goes, the audit stays.
            audit_record(actor=by, action="leave.cancelled", target=covering, chapter=membership.chapter,
                         summary=AuditText(gettext_noop("Leave of %(name)s from %(date)s cancelled"),
                                           name=membership.display_name, date=covering.starts_on),
                         before=before, reason=reason.strip())
            covering.delete()
        else:
            covering.ends_on = today - timedelta(days=1)
            covering.save(update_fields=["ends_on", "updated_at"])
            audit_record(actor=by, action="leave.corrected", target=covering, chapter=membership.chapter,
                         summary=AuditText(gettext_noop("Leave of %(name)s ended: %(span)s"), name=membership.display_name,
                                           span=Worded("leave.span", covering.starts_on, covering.ends_on)),
                         before=before, after={"ends_on": covering.ends_on}, reason=reason.strip())
        chapter_enforce_soon(chapter_id=membership.chapter_id)


def leave_status_mismatches(*, now=None) -> list[int]:
    """Seats whose status disagrees with their leave records today (chapter time): two queries per chapter."""
    now = now or timezone.now()
    out = []
    for chapter in Chapter.objects.filter(status=Chapter.Status.ACTIVE).only("pk", "timezone"):
        today = local_today(chapter.tz, now)
        covering = Q(leaves__starts_on__lte=today) & (Q(leaves__ends_on__isnull=True) | Q(leaves__ends_on__gte=today))
        seats = Membership.objects.filter(chapter=chapter)
        should_leave = seats.filter(covering, status=Membership.Status.ACTIVE)
        should_return = seats.filter(status=Membership.Status.ON_LEAVE).exclude(
            pk__in=Membership.objects.filter(covering, chapter=chapter).values("pk")
        )
        out += list(should_leave.values_list("pk", flat=True)) + list(should_return.values_list("pk", flat=True))
    return sorted(set(out))


@transaction.atomic
def leave_status_sync(*, membership_id: int, now=None) -> bool:
    """Bring one seat's status in step with its leave (a leave that started or ended on a later day). True if changed."""
    membership = Membership.objects.select_for_update().select_related("chapter", "user").filter(pk=membership_id).first()
    if membership is None:
        return False
    before = membership.status
    after = membership_status_follow_leave(
        membership=membership, today=local_today(membership.chapter.tz, now or timezone.now())
    ).status
    if after != before:
        on_leave = after == Membership.Status.ON_LEAVE
        _tell(membership, notices.LEAVE_STATUS,
              {"membership": membership.pk, "on_leave": on_leave, "chapter": str(membership.chapter)})
    return after != before
