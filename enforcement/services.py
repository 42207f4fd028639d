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
from django.template.defaultfilters import linebreaksbr
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import conditional_escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from chapters.models import Chapter, RegionStaff
from enforcement import explain, notices, selectors
from enforcement.evaluation import (
    CaseCandidate,
    CaseFlag,
    Evaluation,
    Finding,
    RefundFlag,
    Withdrawal,
    chapter_evaluate,
)
from enforcement.limits import rules_effective_from_error, rules_limit_errors, rules_limits_for
from enforcement.models import ChapterEvaluationState, ChapterRules, ExpulsionCase, Fine, appeal_days
from enforcement.notices import FINE as FINE_NOTICE
from enforcement.notices import fine_params as fine_notice_params
from enforcement.periods import local_today
from enforcement.review import case_deciders
from leadsgroups.i18n import for_user
from leadsgroups.links import link_maker
from leadsgroups.single_line import one_line
from meetings.models import Meeting
from members.audit import AuditText, Fields, Label, Money, Worded, audit_record, summary_fields
from members.models import AuditEvent, Membership, Notification, OutboundEmail, User
from members.notice_texts import worded
from members.notifications import notification_email_claim, notification_email_deliver, notification_send
from members.outbox import emails_send_queue
from webhooks.events import emit as webhook_emit

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
            NON_FIELD_ERRORS: ValidationError(
                _("Nothing changed: these are the rules of version %(version)s, in force on %(date)s. Change a rule "
                  "to save a new version."),
                code="unchanged", params={"version": previous.number, "date": explain.short_day(effective_from)},
            )
        })
    rules.save()
    audit_record(
        actor=by, action="rules.version_created", target=rules, chapter=chapter,
        summary=AuditText(gettext_noop("Rules version %(number)s from %(date)s: changed %(fields)s"), number=number,
                          date=effective_from, fields=Fields("enforcement.chapterrules", sorted(changed))) if previous
        else AuditText(gettext_noop("Rules version %(number)s from %(date)s: first rules"), number=number,
                       date=effective_from),
        before={k: before[k] for k in changed if k in before}, after=changed, reason=reason,
    )
    chapter_enforce_soon(chapter_id=chapter.pk)  # a version in force from today may re-judge today's meetings
    return rules


def chapter_mark_dirty(*, chapter_id: int) -> None:
    """Record, in the current transaction, that the chapter's evidence changed: the next sweep judges it in full."""
    ChapterEvaluationState.mark_dirty(chapter_id)


def chapter_enforce_soon(*, chapter_id: int) -> None:
    """Reconcile the chapter once the current transaction commits (after a change of evidence).

    The chapter is marked dirty in this transaction first, so a lost task (broker down, worker
    killed) is caught by the next sweep. Never fails the request.
    """
    chapter_mark_dirty(chapter_id=chapter_id)

    def _dispatch() -> None:
        from enforcement.tasks import chapter_enforce_task

        try:
            chapter_enforce_task.delay(chapter_id)
        except Exception:  # noqa: BLE001 - a broker outage must never fail the change that caused it
            log.warning("Broker unavailable; chapter %s is reconciled by the next sweep", chapter_id)

    transaction.on_commit(_dispatch)


# Enforcement ------------------------------------------------------------------------------------


@dataclass
class EnforceResult:
    chapter: Chapter
    evaluation: Evaluation
    dry_run: bool
    fines: list[Fine] = field(default_factory=list)
    cases: list[ExpulsionCase] = field(default_factory=list)
    withdrawn: list[Fine] = field(default_factory=list)
    refund_flagged: list[Fine] = field(default_factory=list)
    case_flags: list[CaseFlag] = field(default_factory=list)


def chapter_enforce(*, chapter: Chapter, now: datetime | None = None, dry_run: bool = False) -> EnforceResult:
    """Reconcile the chapter's fines with what its records call for, then open expulsion cases. Idempotent.

    Withdraws unpaid fines the evidence no longer supports (issuing a replacement where it calls
    for a different one), flags paid ones for a refund decision, issues what is missing, flags
    open cases that fell below their threshold, and opens new cases. Judges the whole lookback
    (the sweep's batches judge only what came due since: `enforcement.sweep`).

    The whole chapter is one transaction (a crash leaves nothing half-applied) holding the
    chapter's row lock, so a second worker on the same chapter waits, re-evaluates and finds
    everything done. The unique constraints on Fine and ExpulsionCase and the conditional updates
    of withdrawals and flags are the backstop (SQLite has no row locks, but its IMMEDIATE
    transactions serialise writers anyway).
    """
    now = now or timezone.now()
    if dry_run:
        evaluation = chapter_evaluate(chapter=chapter, today=local_today(chapter.tz, now))
        return EnforceResult(chapter=chapter, evaluation=evaluation, dry_run=True)
    with transaction.atomic():
        started = timezone.now()
        chapter = Chapter.objects.select_for_update().get(pk=chapter.pk)
        evaluation = chapter_evaluate(chapter=chapter, today=local_today(chapter.tz, now))
        result = evaluation_apply(evaluation=evaluation, now=now)
        evaluation_states_record(evaluations=[evaluation], now=now, started=started)
    return result


def evaluation_apply(*, evaluation: Evaluation, now: datetime, bulk: bool = False) -> EnforceResult:
    """Write what one chapter's evaluation calls for (inside the caller's transaction, chapter locked).

    `bulk`: new fines and cases in a few statements (as `evaluations_apply` does for a sweep's
    batch); else one by one.
    """
    if bulk:
        return evaluations_apply(evaluations=[evaluation], now=now)[0]
    chapter = evaluation.chapter
    result = EnforceResult(chapter=chapter, evaluation=evaluation, dry_run=False)
    if not evaluation.changes_anything:
        return result
    _corrections_apply(evaluation=evaluation, result=result, now=now)
    pairs = [(f, fine) for f in evaluation.findings if (fine := fine_issue(finding=f)) is not None]
    issued = _issued_record(result=result, pairs=pairs)
    if evaluation.case_flags:
        result.case_flags = case_threshold_flags(chapter=chapter, flags=evaluation.case_flags, now=now)
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


def evaluations_apply(*, evaluations: list[Evaluation], now: datetime) -> list[EnforceResult]:
    """Write what a batch of chapters' evaluations call for (the caller holds their locks), one
    result each: the same writes as `evaluation_apply` one chapter at a time, but the batch's new
    fines and new cases each in a few statements (`fines_issue`, `cases_open`)."""
    results = [EnforceResult(chapter=e.chapter, evaluation=e, dry_run=False) for e in evaluations]
    changing = [(e, r) for e, r in zip(evaluations, results, strict=True) if e.changes_anything]
    for evaluation, result in changing:
        _corrections_apply(evaluation=evaluation, result=result, now=now)
    pairs = fines_issue(findings=[f for e, _ in changing for f in e.findings])
    by_chapter: dict[int, list] = {}
    for finding, fine in pairs:
        by_chapter.setdefault(finding.membership.chapter_id, []).append((finding, fine))
    opening = []
    for evaluation, result in changing:
        issued = _issued_record(result=result, pairs=by_chapter.get(evaluation.chapter.pk, []))
        if evaluation.case_flags:
            result.case_flags = case_threshold_flags(chapter=evaluation.chapter, flags=evaluation.case_flags, now=now)
        opening += [(candidate, issued, result) for candidate in evaluation.cases]
    if opening:
        chapters = {e.chapter.pk: e.chapter for e, _ in changing if e.cases}
        presidents: dict[int, list[Membership]] = {}
        for p in Membership.objects.filter(
            chapter_id__in=list(chapters), role=Membership.Role.PRESIDENT, status__in=Membership.SEATED_STATUSES
        ).select_related("user"):  # query: the presidents of the chapters with new cases
            presidents.setdefault(p.chapter_id, []).append(p)
        deciders = _deciders_by_region({c.region_id for c in chapters.values()})  # queries: two at most
        opened = cases_open(items=[
            (candidate, issued, presidents.get(candidate.membership.chapter_id, []),
             deciders[chapters[candidate.membership.chapter_id].region_id])
            for candidate, issued, _ in opening
        ])
        for (_, _, result), case in zip(opening, opened, strict=True):
            if case is not None:
                result.cases.append(case)
    return results


def _deciders_by_region(region_ids: set) -> dict:
    """`case_deciders` of the chapters of many regions (None: no region): the region's active staff,
    else the organisation admins. Two queries at most."""
    staff: dict = {}
    for rs in RegionStaff.objects.filter(
        region_id__in=[r for r in region_ids if r is not None], user__is_active=True
    ).select_related("user").order_by("pk"):
        staff.setdefault(rs.region_id, []).append(rs.user)
    if any(r not in staff for r in region_ids):
        admins = list(User.objects.filter(is_org_admin=True, is_active=True))
        for r in region_ids:
            staff.setdefault(r, admins)
    return staff


def _corrections_apply(*, evaluation: Evaluation, result: EnforceResult, now: datetime) -> None:
    """Withdrawals, refund flags and cleared flags of one chapter's evaluation."""
    leaders = _leaders(evaluation.chapter) if (evaluation.refund_flags or evaluation.case_flags) else []
    for w in evaluation.withdrawals:
        if fine_withdraw(withdrawal=w, now=now):
            result.withdrawn.append(w.fine)
    for flag in evaluation.refund_flags:
        if fine_refund_flag(flag=flag, leaders=leaders, now=now):
            result.refund_flagged.append(flag.fine)
    if evaluation.refund_flags_cleared:
        Fine.objects.filter(
            pk__in=evaluation.refund_flags_cleared, status=Fine.Status.PAID, refund_decision=""
        ).update(refund_flagged_at=None, refund_flag_reason="", refund_flag_cause={})


def _issued_record(*, result: EnforceResult, pairs: list[tuple[Finding, Fine]]) -> dict[tuple, Fine]:
    """Note the fines issued for one chapter on its result; a replacement takes its predecessor's place."""
    issued: dict[tuple, Fine] = {}
    for finding, fine in pairs:
        result.fines.append(fine)
        issued[finding.key] = fine
        if finding.replaces is not None:
            Fine.objects.filter(pk=finding.replaces.pk).update(replaced_by=fine)
            _replace_in_cases(old=finding.replaces, new=fine)
    return issued


def evaluation_states_record(*, evaluations: list[Evaluation], now: datetime, started: datetime) -> None:
    """Remember what was judged and when time next matters (two queries for any number of chapters).

    The dirty mark is cleared only if it is older than this run's start (`started`, taken once the
    chapters were locked): evidence that changed while the run read the records keeps it set.
    """
    if not evaluations:
        return
    ChapterEvaluationState.objects.bulk_create(
        [ChapterEvaluationState(chapter_id=e.chapter.pk, evaluated_on=e.today, evaluated_at=now,
                                next_due_on=e.next_due_on) for e in evaluations],
        update_conflicts=True, unique_fields=["chapter"], update_fields=["evaluated_on", "evaluated_at", "next_due_on"],
    )
    ChapterEvaluationState.objects.filter(
        chapter_id__in=[e.chapter.pk for e in evaluations], dirty_since__lt=started
    ).update(dirty_since=None)


def _leaders(chapter: Chapter) -> list[Membership]:
    """Who decides refunds: the president and the secretary-treasurer."""
    return list(
        Membership.objects.filter(
            chapter=chapter, role__in=[Membership.Role.PRESIDENT, Membership.Role.SECRETARY_TREASURER],
            status__in=Membership.SEATED_STATUSES,
        ).select_related("user")
    )


def _replace_in_cases(*, old: Fine, new: Fine) -> None:
    """A replacement fine stands in every case its withdrawn predecessor was weighed in."""
    for case in old.expulsion_cases.all():
        case.fines.add(new)


def fine_withdraw(*, withdrawal: Withdrawal, now: datetime) -> bool:
    """Withdraw an unpaid fine the evidence no longer supports: kept (never deleted), audited, the member told.

    A conditional update: a fine paid or waived meanwhile, or withdrawn by another run, is left alone.
    """
    fine, reason, cause = withdrawal.fine, withdrawal.reason, withdrawal.cause
    changed = Fine.objects.filter(pk=fine.pk, status=Fine.Status.OPEN).update(
        status=Fine.Status.WITHDRAWN, withdrawn_at=now, withdrawn_reason=reason, withdrawn_cause=cause
    )
    if not changed:
        return False
    fine.status, fine.withdrawn_at, fine.withdrawn_reason, fine.withdrawn_cause = (
        Fine.Status.WITHDRAWN, now, reason, cause
    )
    m = fine.membership
    with explain.english():
        audit_record(
            actor=None, action="fine.withdrawn", target=fine, chapter=m.chapter,
            summary=AuditText(gettext_noop("%(name)s: %(title)s (%(date)s) withdrawn — %(cause)s"), name=m.display_name,
                              title=Label("fine.title", fine.title_key), date=fine.period_start,
                              cause=Label("fine.withdrawal_cause", cause.get("kind"))),
            before={"status": Fine.Status.OPEN}, after={"status": Fine.Status.WITHDRAWN, "cause": cause}, reason=reason,
        )
    with for_user(m.user):
        notification_send(
            user=m.user, kind=Notification.Kind.FINE,
            **worded(notices.FINE_WITHDRAWN, notices.fine_withdrawn_params(fine)),
            url=fine.get_absolute_url(), chapter=m.chapter, dedupe_key=f"fine-withdrawn:{fine.pk}",
        )
    return True


def fine_refund_flag(*, flag: RefundFlag, leaders: list[Membership], now: datetime) -> bool:
    """Flag a paid fine the evidence no longer supports for leadership's refund decision (once)."""
    fine = flag.fine
    changed = Fine.objects.filter(pk=fine.pk, status=Fine.Status.PAID, refund_flagged_at__isnull=True).update(
        refund_flagged_at=now, refund_flag_reason=flag.reason, refund_flag_cause=flag.cause
    )
    if not changed:
        return False
    fine.refund_flagged_at, fine.refund_flag_reason, fine.refund_flag_cause = now, flag.reason, flag.cause
    m = fine.membership
    with explain.english():
        audit_record(
            actor=None, action="fine.refund_flagged", target=fine, chapter=m.chapter,
            summary=AuditText(gettext_noop("%(name)s: paid %(what)s (%(date)s) no longer supported by the evidence — "
                                           "refund to decide"), name=m.display_name,
                              what=Label("fine.in_sentence", fine.title_key), date=fine.period_start),
            after={"cause": flag.cause}, reason=flag.reason,
        )
    for leader in leaders:
        with for_user(leader.user):
            notification_send(
                user=leader.user, kind=Notification.Kind.FINE,
                **worded(notices.FINE_REFUND_FLAGGED, notices.fine_refund_flagged_params(fine, m.display_name)),
                url=fine.get_absolute_url(), chapter=m.chapter, dedupe_key=f"fine-refund:{fine.pk}",
            )
    return True


@transaction.atomic
def fine_refund_decide(*, fine: Fine, by, decision: str, reason: str) -> Fine:
    """Leadership's decision on a flagged paid fine: refund (status refunded) or keep (with a reason). Audited."""
    reason = reason.strip()
    if decision not in Fine.RefundDecision.values:
        raise ValidationError({"decision": ValidationError(_("Choose refund or keep."), code="invalid")})
    if decision == Fine.RefundDecision.KEEP and len(reason) < 10:
        raise ValidationError({"reason": ValidationError(
            _("Say in a sentence why the fine is kept; the member and the audit trail see it."), code="required",
        )})
    now = timezone.now()
    values = dict(refund_decision=decision, refund_decided_at=now, refund_decided_by=by,
                  refund_decision_reason=reason[:300])
    if decision == Fine.RefundDecision.REFUND:
        values["status"] = Fine.Status.REFUNDED
    # Conditional update: two leaders deciding at once decide once.
    changed = Fine.objects.filter(
        pk=fine.pk, status=Fine.Status.PAID, refund_flagged_at__isnull=False, refund_decision=""
    ).update(**values)
    if not changed:
        raise ValidationError(_("This fine has no refund waiting for a decision; reload the page."), code="stale")
    fine.refresh_from_db()
    chapter_mark_dirty(chapter_id=fine.chapter_id)  # its case (if any) may fall below its threshold
    m = fine.membership
    refunded = decision == Fine.RefundDecision.REFUND
    with explain.english():
        audit_record(
            actor=by, action=f"fine.refund_{decision}", target=fine, chapter=fine.chapter,
            summary=AuditText(gettext_noop("Paid fine %(amount)s of %(name)s refunded") if refunded
                              else gettext_noop("Paid fine %(amount)s of %(name)s kept"),
                              amount=Money(fine.amount, fine.currency), name=m.display_name),
            before={"status": Fine.Status.PAID}, after={"status": fine.status, "refund_decision": decision},
            reason=reason,
        )
    with for_user(m.user):
        notification_send(
            user=m.user, kind=Notification.Kind.FINE,
            **worded(notices.FINE_REFUND_DECIDED, notices.fine_refund_decided_params(fine, refunded=refunded,
                                                                                      reason=reason)),
            url=fine.get_absolute_url(), chapter=fine.chapter, dedupe_key=f"fine-refund-decided:{fine.pk}",
        )
    return fine


def case_threshold_flags(*, chapter: Chapter, flags: list[CaseFlag], now: datetime) -> list[CaseFlag]:
    """Flag open cases whose standing violations fell below their threshold and tell their deciders;
    clear the flag (quietly) of a case back at its threshold. Conditional updates: once per change."""
    done = []
    deciders = None
    for flag in flags:
        if not flag.below:
            if ExpulsionCase.objects.filter(pk=flag.case_id, below_threshold_at__isnull=False).update(
                below_threshold_at=None, below_threshold_note="", below_threshold_cause={}
            ):
                done.append(flag)
            continue
        cause = {"v": explain.VERSION, "standing": flag.standing, "threshold": flag.threshold}
        note = explain.snapshot(explain.below_threshold_text, cause)
        if not ExpulsionCase.objects.filter(
            pk=flag.case_id, status=ExpulsionCase.Status.OPEN, below_threshold_at__isnull=True
        ).update(below_threshold_at=now, below_threshold_note=note, below_threshold_cause=cause):
            continue
        done.append(flag)
        case = ExpulsionCase.objects.select_related("membership__user").get(pk=flag.case_id)
        case.chapter = chapter
        audit_record(
            actor=None, action="case.below_threshold", target=case, chapter=chapter,
            summary=AuditText(gettext_noop("Case of %(name)s: %(standing)s of %(threshold)s violations stand"),
                              name=case.membership.display_name, standing=flag.standing, threshold=flag.threshold),
            after={"standing": flag.standing, "threshold": flag.threshold}, reason=note,
        )
        deciders = case_deciders(chapter) if deciders is None else deciders
        for user in deciders:
            if user.pk != case.membership.user_id:
                with for_user(user):
                    notification_send(
                        user=user, kind=Notification.Kind.CASE,
                        **worded(notices.CASE_BELOW_THRESHOLD, notices.case_below_threshold_params(case, cause)),
                        url=case.get_absolute_url(), chapter=chapter,
                        dedupe_key=f"case-below:{case.pk}:{now:%Y%m%d}",  # a key, not words: ISO digits
                    )
    return done


def fines_issue(*, findings: list[Finding]) -> list[tuple[Finding, Fine]]:
    """Record findings as fines and tell each member, in a few statements for any number of fines:
    the fines, their audit events, the notices and their outbox emails (each send queued on commit,
    as `notification_send` does).

    The caller holds the chapters' locks, so no other run issues the same fines meanwhile; should
    one clash all the same (unique per membership, kind, meeting or period), the findings are
    issued one by one (`fine_issue`), which skips the ones issued before.
    """
    if len(findings) < 2:
        return [(f, fine) for f in findings if (fine := fine_issue(finding=f)) is not None]
    fines = [
        Fine(chapter_id=f.membership.chapter_id, membership=f.membership, rules=f.rules, kind=f.kind,
             period_start=f.period.start, period_end=f.period.end, meeting_id=f.meeting_id, amount=f.amount,
             currency=f.currency, explanation=f.explanation, evidence=f.evidence)
        for f in findings
    ]
    try:
        with transaction.atomic():  # savepoint: a clash undoes the bulk insert only
            Fine.objects.bulk_create(fines)
    except IntegrityError:
        return [(f, fine) for f in findings if (fine := fine_issue(finding=f)) is not None]
    notices, events = [], []
    for finding, fine in zip(findings, fines, strict=True):
        m = finding.membership
        fine.chapter = m.chapter
        with explain.english():
            summary = _fine_issued_summary(m, finding)
        events.append(AuditEvent(
            actor=None, actor_name="", actor_email="", chapter=m.chapter, action="fine.issued",
            target_type=Fine._meta.label_lower, target_id=str(fine.pk), **summary_fields(summary),
            before={}, after={"amount": str(fine.amount), "currency": fine.currency}, reason="",
        ))
        title, body = _fine_notice(finding, m.user)
        notices.append(Notification(
            user=m.user, chapter=m.chapter, kind=Notification.Kind.FINE, title=title[:200], body=body,
            url=link_maker("enforcement:fine-detail", m.chapter.slug)(fine.pk),
            email_wanted=m.user.wants_email(Notification.Kind.FINE) and bool(m.user.email),
            dedupe_key=f"fine:{fine.pk}", message_key=FINE_NOTICE, params=fine_notice_params(fine),
        ))
    AuditEvent.objects.bulk_create(events)
    Notification.objects.bulk_create(notices)
    emails_queue_bulk(notifications=[n for n in notices if n.email_wanted])
    webhook_emit("fine.issued", fines)  # one query for the batch's chapters; rows now, sent on commit
    return list(zip(findings, fines, strict=True))


def _fine_notice(finding: Finding, user) -> tuple[str, str]:
    """A new fine's notice (title, body) in the member's language: what it is for, and its explanation."""
    with for_user(user):
        title = explain.fine_notice_title(
            finding.title_key, finding.period.start, finding.period.end, finding.amount, finding.currency
        )
        # The English snapshot is rendered once already (stored with the fine): reused for English readers.
        english = translation.get_language() == explain.SNAPSHOT_LANGUAGE
        return title, finding.explanation if english else finding.explained


# The notice email's two templates, rendered once per language and shape with these stand-ins, then filled.
_STAND_IN_TITLE, _STAND_IN_BODY, _STAND_IN_PK = "Qx7TITLEx7Q", "Qx7BODYx7Q", 987654321


def _email_shape(has_body: bool, has_url: bool) -> tuple[str, str]:
    """emails/notification.txt and .html as `notification_send` renders them in the active language, with
    stand-ins for the notice's title, body and id."""
    stand_in = Notification(pk=_STAND_IN_PK, title=_STAND_IN_TITLE, body=_STAND_IN_BODY if has_body else "",
                            url="/" if has_url else "")
    context = {"n": stand_in, "site_url": settings.SITE_URL, "org": settings.ORGANISATION_NAME}
    return (render_to_string("emails/notification.txt", context),
            render_to_string("emails/notification.html", context))


def notification_email_parts(n: Notification, shapes: dict | None = None) -> tuple[str, str]:
    """A notice's email as plain text and HTML, byte for byte what `emails/notification.txt` and
    `.html` render for it (`notification_send`), in the recipient's language.

    The sweep writes thousands at once: the templates are rendered once per language and shape
    (`shapes` caches them across a batch) and each notice's title, body and link filled in. That holds
    while the templates show nothing of the recipient but their language; `tests/enforcement/test_sweep.py`
    and `test_explanations_i18n.py` hold the two equal.
    """
    title, body = str(n.title), n.body
    with for_user(n.user):
        key = (_active_language(), bool(body), bool(n.url))
        shapes = {} if shapes is None else shapes
        if key not in shapes:
            shapes[key] = _email_shape(bool(body), bool(n.url))
    txt, html = shapes[key]
    pk = str(_STAND_IN_PK)
    txt = txt.replace(_STAND_IN_TITLE, title).replace(_STAND_IN_BODY, body).replace(pk, str(n.pk))
    html = (html.replace(_STAND_IN_TITLE, conditional_escape(title))
            .replace(_STAND_IN_BODY, linebreaksbr(body, autoescape=True)).replace(pk, str(n.pk)))
    return txt, html


def _active_language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


def emails_queue_bulk(*, notifications: list[Notification]) -> None:
    """Each notice's email as an outbox row (the same as `notification_send` writes), in one insert;
    the sends are queued in batches once the transaction commits (`emails_send_queue`)."""
    if not notifications:
        return
    emails, shapes = [], {}
    for n in notifications:
        body, html = notification_email_parts(n, shapes)
        emails.append(OutboundEmail(
            kind=OutboundEmail.Kind.NOTIFICATION, to=n.user.email.strip(), from_email="",
            subject=one_line(f"[{n.chapter or settings.ORGANISATION_NAME}] {n.title}")[:300],
            body=body, html=html, headers={}, chapter=n.chapter, notification=n,
        ))
    OutboundEmail.objects.bulk_create(emails)
    ids = [e.pk for e in emails]
    transaction.on_commit(lambda: emails_send_queue(email_ids=ids))


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
    with explain.english():
        audit_record(
            actor=None, action="fine.issued", target=fine, chapter=m.chapter,
            summary=_fine_issued_summary(m, finding), after={"amount": fine.amount, "currency": fine.currency},
        )
    title, body = _fine_notice(finding, m.user)
    with for_user(m.user):
        notification_send(
            user=m.user, kind=Notification.Kind.FINE, title=title, body=body, url=fine.get_absolute_url(),
            chapter=m.chapter, dedupe_key=f"fine:{fine.pk}", message_key=notices.FINE, params=notices.fine_params(fine),
        )
    webhook_emit("fine.issued", [fine])  # rows now, sent once this commits
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
        summary=_case_opened_summary(m, candidate), after={"violations": len(candidate.violations)},
    )
    url = case.get_absolute_url()
    with for_user(m.user):
        notification_send(
            user=m.user, kind=Notification.Kind.CASE, **_case_notice_to_member(case, candidate),
            # The member's link works even after an expulsion takes their seat (and chapter pages) away.
            url=reverse("my-case", args=[case.pk]), chapter=m.chapter, dedupe_key=f"case:{case.pk}",
        )
    for president in presidents:
        if president.pk != m.pk:
            with for_user(president.user):
                notification_send(
                    user=president.user, kind=Notification.Kind.CASE, **_case_notice_to_president(case, candidate),
                    url=url, chapter=m.chapter, dedupe_key=f"case:{case.pk}",
                )
    for user in deciders or []:
        if user.pk != m.user_id:  # a president who is also region staff is told once (same key)
            with for_user(user):
                notification_send(
                    user=user, kind=Notification.Kind.CASE, **_case_notice_to_decider(case, candidate),
                    url=url, chapter=m.chapter, dedupe_key=f"case:{case.pk}",
                )
    return case


def _case_opened_summary(m: Membership, candidate: CaseCandidate) -> AuditText:
    return AuditText(gettext_noop("Expulsion case opened for %(name)s (violations: %(count)s)"), name=m.display_name,
                     count=len(candidate.violations))


def _fine_issued_summary(m: Membership, finding) -> AuditText:
    """"Mona Member: Absence over the limit, Wed, 7 Jan 2026: £10.00", worded for each reader."""
    return AuditText(gettext_noop("%(name)s: %(fine)s"), name=m.display_name, fine=Worded(
        "fine.summary", finding.title_key, finding.period.start, finding.period.end, finding.amount, finding.currency,
    ))


def _case_notice_to_member(case: ExpulsionCase, candidate: CaseCandidate) -> dict:
    """The member's notice of a new case (its snapshot in the active language: call inside `for_user`)."""
    return worded(notices.CASE_OPENED, notices.case_opened_params(case, candidate, "member"))


def _case_notice_to_president(case: ExpulsionCase, candidate: CaseCandidate) -> dict:
    return worded(notices.CASE_OPENED, notices.case_opened_params(case, candidate, "president"))


def _case_notice_to_decider(case: ExpulsionCase, candidate: CaseCandidate) -> dict:
    # the chapter heads the email and the notice
    return worded(notices.CASE_OPENED, notices.case_opened_params(case, candidate, "decider"))


def cases_open(*, items: list[tuple]) -> list[ExpulsionCase | None]:
    """Open many expulsion cases in a few statements, each with every side effect `case_open` has
    (its fines, audit event, notices and their emails); items are (candidate, issued, presidents,
    deciders). Returns each item's case.

    The caller holds the chapters' locks; should a case clash all the same (one open case per
    membership), the items are opened one by one (`case_open`), which skips the ones open.
    """
    if len(items) < 2:
        return [case_open(candidate=c, issued=i, presidents=p, deciders=d) for c, i, p, d in items]
    now = timezone.now()
    deadline = now + timedelta(days=appeal_days())
    cases = [
        ExpulsionCase(chapter_id=c.membership.chapter_id, membership=c.membership, rules=c.rules,
                      explanation=c.explanation, evidence=c.evidence, appeal_deadline=deadline)
        for c, _, _, _ in items
    ]
    try:
        with transaction.atomic():  # savepoint: a clash undoes the bulk insert only
            ExpulsionCase.objects.bulk_create(cases)
    except IntegrityError:
        return [case_open(candidate=c, issued=i, presidents=p, deciders=d) for c, i, p, d in items]
    links, events, notices, told = [], [], [], set()

    def tell(user, words, **fields):
        if (user.pk, fields["dedupe_key"]) in told:
            return  # told once per key, as `notification_send` does
        told.add((user.pk, fields["dedupe_key"]))
        with for_user(user):
            fields.update(words())
        notices.append(Notification(
            user=user, kind=Notification.Kind.CASE, email_wanted=user.wants_email(Notification.Kind.CASE) and bool(user.email),
            **{**fields, "title": str(fields["title"])[:200]},
        ))

    Through = ExpulsionCase.fines.through
    for (candidate, issued, presidents, deciders), case in zip(items, cases, strict=True):
        m = candidate.membership
        case.chapter = m.chapter
        fine_ids = [v["fine_id"] for v in candidate.violations if v["fine_id"]]
        fine_ids += [issued[v["key"]].pk for v in candidate.violations if not v["fine_id"] and v.get("key") in issued]
        links += [Through(expulsioncase_id=case.pk, fine_id=pk) for pk in dict.fromkeys(fine_ids)]
        events.append(AuditEvent(
            actor=None, actor_name="", actor_email="", chapter=m.chapter, action="case.opened",
            target_type=ExpulsionCase._meta.label_lower, target_id=str(case.pk),
            **summary_fields(_case_opened_summary(m, candidate)),
            before={}, after={"violations": len(candidate.violations)}, reason="",
        ))
        url, key = link_maker("enforcement:case-detail", m.chapter.slug)(case.pk), f"case:{case.pk}"
        tell(m.user, lambda case=case, c=candidate: _case_notice_to_member(case, c), chapter=m.chapter,
             url=link_maker("my-case")(case.pk), dedupe_key=key)
        for president in presidents:
            if president.pk != m.pk:
                tell(president.user, lambda case=case, c=candidate: _case_notice_to_president(case, c),
                     chapter=m.chapter, url=url, dedupe_key=key)
        for user in deciders or []:
            if user.pk != m.user_id:
                tell(user, lambda case=case, c=candidate: _case_notice_to_decider(case, c), chapter=m.chapter,
                     url=url, dedupe_key=key)
    Through.objects.bulk_create(links)
    AuditEvent.objects.bulk_create(events)
    Notification.objects.bulk_create(notices)
    emails_queue_bulk(notifications=[n for n in notices if n.email_wanted])
    return cases


# Fines: paid or waived --------------------------------------------------------------------------


@transaction.atomic
def fine_resolve(*, fine: Fine, by, status: str, reason: str = "") -> Fine:
    """Mark an unpaid fine paid or waived (a waiver needs a reason); recorded in the audit trail."""
    reason = reason.strip()
    if status not in (Fine.Status.PAID, Fine.Status.WAIVED):
        raise ValidationError({"status": ValidationError(_("Choose paid or waived."), code="invalid")})
    if status == Fine.Status.WAIVED and not reason:
        raise ValidationError({"reason": ValidationError(
            _("Say why the fine is waived; the member and the audit trail see it."), code="required",
        )})
    now = timezone.now()
    # Conditional update: two officers clicking at once resolve the fine once.
    changed = Fine.objects.filter(pk=fine.pk, status=Fine.Status.OPEN).update(
        status=status, resolved_at=now, resolved_by=by, resolution_reason=reason[:300]
    )
    if not changed:
        raise ValidationError(_("This fine is no longer unpaid; reload the page."), code="stale")
    fine.refresh_from_db()
    audit_record(
        actor=by, action=f"fine.{status}", target=fine, chapter=fine.chapter,
        summary=AuditText(gettext_noop("Fine %(amount)s of %(name)s marked %(status)s"),
                          amount=Money(fine.amount, fine.currency), name=fine.membership.display_name,
                          status=Label("enforcement.fine.status", status)),
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
        with for_user(m.user):  # the member's words, dates and money, whoever's run sends it
            title = selectors.reminder_title(context)
            body = render_to_string("emails/reminder.txt", {**context, "in_app": True}).strip()
        notification = notification_send(
            user=m.user, kind=Notification.Kind.REMINDER, title=title, body=body,
            url=context["meeting_url"], chapter=chapter, dedupe_key=key, email=False,
            message_key=notices.MESSAGE_KEY, params=notices.reminder_params(context),  # worded again when shown
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
    with for_user(n.user):  # the member's language, with dates, times and money in their locale
        context["LANGUAGE_CODE"] = translation.get_language()
        message = EmailMultiAlternatives(
            subject=f"[{n.chapter}] {selectors.reminder_title(context)}",
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
