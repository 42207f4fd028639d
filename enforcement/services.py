"""Writes of rule enforcement: rules versions, fines, expulsion cases, reminders."""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from chapters.models import Chapter
from enforcement import selectors
from enforcement.evaluation import CaseCandidate, Evaluation, Finding, chapter_evaluate
from enforcement.formatting import money, plural
from enforcement.limits import rules_effective_from_error, rules_limit_errors, rules_limits_for
from enforcement.models import ChapterRules, ExpulsionCase, Fine
from enforcement.periods import local_today
from enforcement.review import case_deciders
from meetings.models import Meeting
from members.audit import audit_record
from members.models import Membership, Notification
from members.notifications import notification_email_claim, notification_email_deliver, notification_send

log = logging.getLogger(__name__)


# Rules ------------------------------------------------------------------------------------------


@transaction.atomic
def rules_create(
    *, chapter: Chapter, by, data: dict, effective_from: date, reason: str = "", allow_backdate: bool = False
) -> ChapterRules:
    """Add a rules version; the past is never edited, so it may not start before today (chapter time).

    `allow_backdate` is for the demo and for importing a chapter's existing rules.
    """
    chapter = Chapter.objects.select_for_update().get(pk=chapter.pk)  # serialise version numbers
    today = local_today(chapter.tz, timezone.now())
    error = rules_effective_from_error(effective_from, today, allow_backdate=allow_backdate)
    if error:
        raise ValidationError({"effective_from": error})
    errors = rules_limit_errors(limits=rules_limits_for(chapter=chapter), data=data, currency=chapter.currency)
    if errors:
        raise ValidationError(errors)
    previous = selectors.rules_in_force(chapter=chapter, day=effective_from)
    number = (chapter.rules_versions.aggregate(n=Max("number"))["n"] or 0) + 1
    rules = ChapterRules(
        chapter=chapter, number=number, effective_from=effective_from, currency=chapter.currency,
        reason=reason, created_by=by if getattr(by, "is_authenticated", False) else None,
        **{k: data[k] for k in ChapterRules.RULE_FIELDS if k in data},
    )
    rules.full_clean()
    before = {k: getattr(previous, k) for k in ChapterRules.RULE_FIELDS} if previous else {}
    after = {k: getattr(rules, k) for k in ChapterRules.RULE_FIELDS}
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    if previous is not None and not changed:
        raise ValidationError({
            NON_FIELD_ERRORS: f"Nothing changed: these are the rules of version {previous.number}, in force on "
                              f"{effective_from:%-d %b %Y}. Change a rule to save a new version."
        })
    rules.save()
    audit_record(
        actor=by, action="rules.version_created", target=rules, chapter=chapter,
        summary=f"Rules version {number} from {effective_from:%-d %b %Y}"
        + (f": changed {', '.join(sorted(changed))}" if previous else ": first rules"),
        before={k: before[k] for k in changed if k in before}, after=changed, reason=reason,
    )
    return rules


# Enforcement ------------------------------------------------------------------------------------


@dataclass
class EnforceResult:
    chapter: Chapter
    evaluation: Evaluation
    dry_run: bool
    fines: list[Fine] = field(default_factory=list)
    cases: list[ExpulsionCase] = field(default_factory=list)


def chapter_enforce(*, chapter: Chapter, now: datetime | None = None, dry_run: bool = False) -> EnforceResult:
    """Evaluate the chapter's rules and issue what is due: fines, then expulsion cases. Idempotent.

    The whole chapter is one transaction (a crash leaves nothing half-applied) holding the
    chapter's row lock, so a second worker on the same chapter waits, re-evaluates and finds
    everything issued. The unique constraints on Fine and ExpulsionCase are the backstop
    (SQLite has no row locks, but its IMMEDIATE transactions serialise writers anyway).
    """
    now = now or timezone.now()
    if dry_run:
        evaluation = chapter_evaluate(chapter=chapter, today=local_today(chapter.tz, now))
        return EnforceResult(chapter=chapter, evaluation=evaluation, dry_run=True)
    with transaction.atomic():
        chapter = Chapter.objects.select_for_update().get(pk=chapter.pk)
        evaluation = chapter_evaluate(chapter=chapter, today=local_today(chapter.tz, now))
        result = EnforceResult(chapter=chapter, evaluation=evaluation, dry_run=False)
        issued: dict[tuple, Fine] = {}
        for finding in evaluation.findings:
            fine = fine_issue(finding=finding)
            if fine is not None:
                result.fines.append(fine)
                issued[finding.key] = fine
        presidents = list(
            Membership.objects.filter(
                chapter=chapter, role=Membership.Role.PRESIDENT, status__in=Membership.SEATED_STATUSES
            ).select_related("user")
        ) if evaluation.cases else []
        deciders = case_deciders(chapter) if evaluation.cases else []
        for candidate in evaluation.cases:
            case = case_open(candidate=candidate, issued=issued, presidents=presidents, deciders=deciders)
            if case is not None:
                result.cases.append(case)
    return result


def fine_issue(*, finding: Finding) -> Fine | None:
    """Record one finding as a fine and tell the member; None if it was issued before."""
    m = finding.membership
    try:
        with transaction.atomic():  # savepoint: a clash undoes this fine only
            fine = Fine.objects.create(
                chapter_id=m.chapter_id, membership=m, rules=finding.rules, kind=finding.kind,
                period_start=finding.period.start, period_end=finding.period.end, meeting_id=finding.meeting_id,
                amount=finding.amount, currency=finding.currency, explanation=finding.explanation,
                evidence=finding.evidence,
            )
    except IntegrityError:
        return None  # unique per (membership, kind, meeting or period): issued already
    fine.chapter = m.chapter
    audit_record(
        actor=None, action="fine.issued", target=fine, chapter=m.chapter,
        summary=f"{m.display_name}: {finding.summary}", after={"amount": fine.amount, "currency": fine.currency},
    )
    title = (
        f"Warning: {fine.get_kind_display().lower()} ({finding.period.label()})" if fine.is_warning
        else f"Fine {money(fine.amount, fine.currency)}: {fine.get_kind_display().lower()} ({finding.period.label()})"
    )
    notification_send(
        user=m.user, kind=Notification.Kind.FINE, title=title, body=fine.explanation, url=fine.get_absolute_url(),
        chapter=m.chapter, dedupe_key=f"fine:{fine.pk}",
    )
    return fine


def case_open(
    *, candidate: CaseCandidate, issued: dict, presidents: list[Membership], deciders: list | None = None
) -> ExpulsionCase | None:
    """Open an expulsion case with its evidence; None if one is open.

    Tells the member, the president and the people who decide it (`case_deciders`: the region's
    staff, else the organisation admins). The notices are rows in this transaction; their emails go
    once it commits.
    """
    m = candidate.membership
    try:
        with transaction.atomic():  # savepoint: at most one open case per membership
            case = ExpulsionCase.objects.create(
                chapter_id=m.chapter_id, membership=m, rules=candidate.rules,
                explanation=candidate.explanation, evidence=candidate.evidence,
            )
    except IntegrityError:
        return None
    fine_ids = [v["fine_id"] for v in candidate.violations if v["fine_id"]]
    fine_ids += [issued[v["key"]].pk for v in candidate.violations if not v["fine_id"] and v.get("key") in issued]
    case.fines.set(fine_ids)
    case.chapter = m.chapter
    audit_record(
        actor=None, action="case.opened", target=case, chapter=m.chapter,
        summary=f"Expulsion case opened for {m.display_name} ({plural(len(candidate.violations), 'violation')})",
        after={"violations": len(candidate.violations)},
    )
    url = case.get_absolute_url()
    notification_send(
        user=m.user, kind=Notification.Kind.CASE, title="Your membership is under review",
        body=candidate.explanation + f"\n\nYou may write an appeal on the case page until "
        f"{case.appeal_deadline.astimezone(m.chapter.tz):%-d %b %Y %H:%M}; an admin decides after that, "
        "with a written reason.",
        # The member's link works even after an expulsion takes their seat (and chapter pages) away.
        url=reverse("my-case", args=[case.pk]), chapter=m.chapter, dedupe_key=f"case:{case.pk}",
    )
    for president in presidents:
        if president.pk != m.pk:
            notification_send(
                user=president.user, kind=Notification.Kind.CASE,
                title=f"Expulsion case opened: {m.display_name}", body=candidate.explanation, url=url,
                chapter=m.chapter, dedupe_key=f"case:{case.pk}",
            )
    deadline = f"{case.appeal_deadline.astimezone(m.chapter.tz):%-d %b %Y %H:%M}"
    for user in deciders or []:
        if user.pk != m.user_id:  # a president who is also region staff is told once (same key)
            notification_send(
                user=user, kind=Notification.Kind.CASE,
                title=f"Expulsion case to decide: {m.display_name}",  # the chapter heads the email and the notice
                body=candidate.explanation + f"\n\n{m.display_name} may appeal until {deadline} "
                f"({m.chapter.timezone}); you can decide after that, or earlier if they waive it.",
                url=url, chapter=m.chapter, dedupe_key=f"case:{case.pk}",
            )
    return case


# Fines: paid or waived --------------------------------------------------------------------------


@transaction.atomic
def fine_resolve(*, fine: Fine, by, status: str, reason: str = "") -> Fine:
    """Mark an unpaid fine paid or waived (a waiver needs a reason); recorded in the audit trail."""
    reason = reason.strip()
    if status not in (Fine.Status.PAID, Fine.Status.WAIVED):
        raise ValidationError({"status": "Choose paid or waived."})
    if status == Fine.Status.WAIVED and not reason:
        raise ValidationError({"reason": "Say why the fine is waived; the member and the audit trail see it."})
    now = timezone.now()
    # Conditional update: two officers clicking at once resolve the fine once.
    changed = Fine.objects.filter(pk=fine.pk, status=Fine.Status.OPEN).update(
        status=status, resolved_at=now, resolved_by=by, resolution_reason=reason[:300]
    )
    if not changed:
        raise ValidationError("This fine is no longer unpaid; reload the page.")
    fine.refresh_from_db()
    audit_record(
        actor=by, action=f"fine.{status}", target=fine, chapter=fine.chapter,
        summary=f"Fine {money(fine.amount, fine.currency)} of {fine.membership.display_name} marked "
        f"{fine.get_status_display().lower()}",
        before={"status": Fine.Status.OPEN}, after={"status": status}, reason=reason,
    )
    return fine


# Reminders --------------------------------------------------------------------------------------


def reminder_due_meetings(*, chapter: Chapter, now: datetime):
    """Tomorrow's meetings (chapter time) once the chapter's reminder hour has come today."""
    local = now.astimezone(chapter.tz)
    if local.hour < settings.ENFORCEMENT_REMINDER_HOUR:
        return Meeting.objects.none()
    return Meeting.objects.filter(
        chapter=chapter, local_date=local.date() + timedelta(days=1),
        status__in=[Meeting.Status.SCHEDULED, Meeting.Status.OPEN],
    ).order_by("starts_at")


def chapters_due_reminders(*, now: datetime) -> list[int]:
    """Ids of active chapters whose reminder hour has come today (chapter time) and that meet tomorrow."""
    hour = settings.ENFORCEMENT_REMINDER_HOUR
    slots = Q()
    for pk, tz in Chapter.objects.filter(status=Chapter.Status.ACTIVE).values_list("pk", "timezone"):
        local = now.astimezone(zoneinfo.ZoneInfo(tz))
        if local.hour >= hour:
            slots |= Q(chapter_id=pk, local_date=local.date() + timedelta(days=1))
    if not slots:
        return []
    return sorted(set(
        Meeting.objects.filter(slots, status__in=[Meeting.Status.SCHEDULED, Meeting.Status.OPEN])
        .values_list("chapter_id", flat=True)
    ))  # one query for every chapter


def chapter_send_reminders(*, chapter: Chapter, now: datetime | None = None) -> int:
    """Remind every member of tomorrow's meeting if the reminder hour has come; returns how many were sent."""
    now = now or timezone.now()
    return sum(meeting_send_reminders(meeting=m, now=now) for m in reminder_due_meetings(chapter=chapter, now=now))


def meeting_send_reminders(*, meeting: Meeting, now: datetime | None = None) -> int:
    """One reminder per member for the meeting (dedupe key `reminder:<meeting id>`): in-app, and email unless muted."""
    now = now or timezone.now()
    chapter = meeting.chapter
    key = f"reminder:{meeting.pk}"
    done = set(Notification.objects.filter(dedupe_key=key, chapter=chapter).values_list("user_id", flat=True))
    members = [
        m for m in Membership.objects.filter(
            chapter=chapter, status__in=[Membership.Status.ACTIVE, Membership.Status.PROBATION]
        ).select_related("user")
        if m.user_id not in done and m.user.is_active
    ]
    if not members:
        return 0
    contexts = selectors.reminder_contexts(meeting=meeting, memberships=members, today=local_today(chapter.tz, now))
    sent = 0
    for m in members:
        context = contexts[m.pk]
        body = render_to_string("emails/reminder.txt", {**context, "in_app": True}).strip()
        notification = notification_send(
            user=m.user, kind=Notification.Kind.REMINDER, title=context["title"], body=body,
            url=context["meeting_url"], chapter=chapter, dedupe_key=key, email=False,
        )
        if notification is None:
            continue  # another run got there first
        sent += 1
        if m.user.wants_email(Notification.Kind.REMINDER) and m.user.email:
            # The reminder has its own email (text + HTML); the row tracks it like any other email,
            # so a lost send is retried by `reminders_email_pending` (and, failing that, the generic sweep).
            Notification.objects.filter(pk=notification.pk).update(email_wanted=True)
            transaction.on_commit(lambda pk=notification.pk: _queue_reminder_email(pk))
    return sent


def _queue_reminder_email(notification_id: int) -> None:
    from enforcement.tasks import reminder_email_send_task

    try:
        reminder_email_send_task.delay(notification_id)
    except Exception:  # noqa: BLE001 - a broker outage must never fail the run
        log.warning("Broker unavailable; reminder email %s will go out with the next sweep", notification_id)


def reminder_email_send(*, notification_id: int) -> bool:
    """Send one reminder's email at most once (claimed like every notification email); True if sent now."""
    from django.core.mail import EmailMultiAlternatives

    if not notification_email_claim(notification_id=notification_id, kind=Notification.Kind.REMINDER):
        return False
    now = timezone.now()
    n = Notification.objects.select_related("user", "chapter").get(pk=notification_id)
    meeting = Meeting.objects.filter(chapter=n.chapter, pk=int(n.dedupe_key.split(":")[1])).first()
    membership = Membership.objects.filter(chapter=n.chapter, user=n.user).select_related("user").first()
    if meeting is None or membership is None:
        Notification.objects.filter(pk=notification_id).update(email_wanted=False)
        return False
    context = selectors.reminder_contexts(
        meeting=meeting, memberships=[membership], today=local_today(n.chapter.tz, now)
    )[membership.pk]
    context = {**context, "site_url": settings.SITE_URL, "org": settings.ORGANISATION_NAME}
    message = EmailMultiAlternatives(
        subject=f"[{n.chapter}] {context['title']}",
        body=render_to_string("emails/reminder.txt", context),
        to=[n.user.email],
    )
    message.attach_alternative(render_to_string("emails/reminder.html", context), "text/html")
    # Through the outbox: sent now; a failure is recorded, retried with backoff and listed for admins.
    return notification_email_deliver(notification_id=notification_id, message=message)


def reminders_email_pending_ids(*, older_than_seconds: int = 60) -> list[int]:
    """Reminder emails still unsent (their on-commit send was lost)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        Notification.objects.filter(
            kind=Notification.Kind.REMINDER, email_wanted=True, email_sent_at__isnull=True, created_at__lt=cutoff
        ).order_by("created_at").values_list("pk", flat=True)[:500]
    )
