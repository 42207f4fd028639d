"""Writes of the expulsion-case review: the president's recommendation, the member's appeal, the decision,
and lifting probation that has ended.

Who may do what is checked here as well as in the views, so a task, a command or a future API
cannot bypass it: the member (only) appeals, the chapter's president (not about themself)
recommends, organisation admins and staff of the chapter's region (not about themself) decide.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from chapters.models import RegionStaff
from enforcement import explain, notices
from enforcement.limits import probation_until_error
from enforcement.models import ChapterEvaluationState, ExpulsionCase
from enforcement.periods import local_today
from leadsgroups import formats
from leadsgroups.i18n import for_user
from members.audit import AuditText, Label, audit_record
from members.models import Membership, Notification, User
from members.notice_texts import worded
from members.notifications import notification_send
from members.services import membership_change

# Who may act on a case -------------------------------------------------------------------------


def oversees(user, chapter) -> bool:
    """An organisation admin, or staff of the chapter's region."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_org_admin:
        return True
    return chapter.region_id is not None and RegionStaff.objects.filter(user=user, region_id=chapter.region_id).exists()


def is_case_member(user, case: ExpulsionCase) -> bool:
    return getattr(user, "is_authenticated", False) and case.membership.user_id == user.pk


def is_case_president(user, case: ExpulsionCase) -> bool:
    """The chapter's seated president, unless the case is about them."""
    if not getattr(user, "is_authenticated", False) or is_case_member(user, case):
        return False
    return Membership.objects.filter(
        chapter_id=case.chapter_id, user=user, role=Membership.Role.PRESIDENT, status__in=Membership.SEATED_STATUSES
    ).exists()


def can_decide(user, case: ExpulsionCase) -> bool:
    return oversees(user, case.chapter) and not is_case_member(user, case)


# Recipients ------------------------------------------------------------------------------------


def _presidents(case: ExpulsionCase) -> list[User]:
    return [
        m.user for m in Membership.objects.filter(
            chapter_id=case.chapter_id, role=Membership.Role.PRESIDENT, status__in=Membership.SEATED_STATUSES
        ).exclude(pk=case.membership_id).select_related("user")
    ]


def case_deciders(chapter) -> list[User]:
    """Who is told a case is waiting for them: the staff of the chapter's region, else the organisation admins.

    A chapter with no region, or whose region has no active staff, falls to the organisation admins
    (who may decide every case). The member a case is about is left out by the caller.
    """
    if chapter.region_id is not None:
        staff = list(User.objects.filter(region_roles__region_id=chapter.region_id, is_active=True).distinct())
        if staff:
            return staff
    return list(User.objects.filter(is_org_admin=True, is_active=True))


def _overseers(case: ExpulsionCase) -> list[User]:
    who = Q(is_org_admin=True)
    if case.chapter.region_id is not None:
        who |= Q(region_roles__region_id=case.chapter.region_id)
    return list(User.objects.filter(who, is_active=True).exclude(pk=case.membership.user_id).distinct())


def _tell(users, *, case: ExpulsionCase, message: str, params: dict, key: str | None) -> None:
    """Tell each person once; the notice `message` (enforcement/notices.py) is worded in each one's language."""
    seen = set()
    for user in users:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        # The member's link works even after an expulsion takes their seat (and chapter pages) away.
        url = reverse("my-case", args=[case.pk]) if user.pk == case.membership.user_id else case.get_absolute_url()
        with for_user(user):
            notification_send(
                user=user, kind=Notification.Kind.CASE, url=url, chapter=case.chapter, dedupe_key=key,
                **worded(message, params),
            )


def _day_en(day) -> str:
    """A date in the audit trail or a status note: an English snapshot."""
    return explain.snapshot(explain.short_day, day)


def _locked(case: ExpulsionCase) -> ExpulsionCase:
    """The case row locked for the rest of the transaction, so two people acting at once act in turn."""
    return ExpulsionCase.objects.select_for_update().select_related("membership__user", "chapter").get(pk=case.pk)


def _require_open(case: ExpulsionCase) -> None:
    if not case.is_open:
        raise ValidationError(_("This case has been decided; nothing more can be added to it."), code="decided")


# Recommendation ------------------------------------------------------------------------------------


# A decision about someone's seat is explained in words, not a letter or a word ("x", "ok").
MIN_REASON = 10


@transaction.atomic
def case_recommend(*, case: ExpulsionCase, by, recommendation: str, note: str) -> ExpulsionCase:
    """The president recommends keep, probation or expel, with a note; a later one replaces it (both audited)."""
    case = _locked(case)
    if not is_case_president(by, case):
        raise PermissionDenied(_("Only the chapter's president recommends, and never about their own case."))
    _require_open(case)
    note = note.strip()
    if recommendation not in ExpulsionCase.Recommendation.values:
        raise ValidationError({"recommendation": ValidationError(_("Choose keep, probation or expel."), code="invalid")})
    if len(note) < MIN_REASON:
        raise ValidationError({"note": ValidationError(
            _("Say why in a sentence or two; the member and the admin who decides read it."), code="too_short",
        )})
    before = {"recommendation": case.recommendation, "note": case.president_recommendation}
    case.recommendation, case.president_recommendation = recommendation, note
    case.recommended_at, case.recommended_by = timezone.now(), by
    case.save(update_fields=["recommendation", "president_recommendation", "recommended_at", "recommended_by"])
    who = case.membership.display_name
    with explain.english():
        audit_record(
            actor=by, action="case.recommended", target=case, chapter=case.chapter,
            summary=AuditText(gettext_noop("President recommends for %(name)s: %(recommendation)s"), name=who,
                              recommendation=Label("enforcement.expulsioncase.recommendation", recommendation)),
            before=before if before["recommendation"] else {}, after={"recommendation": recommendation, "note": note},
            reason=note,
        )

    params = {"case": case.pk, "name": who, "by": str(by), "recommendation": recommendation, "note": note}
    _tell([case.membership.user], case=case, key=None, message=notices.CASE_RECOMMENDED,
          params={**params, "to": "member"})
    _tell(_overseers(case), case=case, key=None, message=notices.CASE_RECOMMENDED, params={**params, "to": "overseer"})
    return case


# Appeal ----------------------------------------------------------------------------------------


@transaction.atomic
def case_appeal(
    *, case: ExpulsionCase, by, text: str, waive_rest: bool = False, now: datetime | None = None
) -> ExpulsionCase:
    """The member writes their appeal before the deadline; `waive_rest` lets the case be decided at once."""
    now = now or timezone.now()
    case = _locked(case)
    if not is_case_member(by, case):
        raise PermissionDenied(_("Only the member the case is about may appeal."))
    _require_open(case)
    if case.appealed_at:
        raise ValidationError(_("You have already appealed; the admin will read it."), code="appealed")
    if case.appeal_waived_at:
        raise ValidationError(_("You said you would not appeal; the case is with the admin."), code="waived")
    if now >= case.appeal_deadline:
        raise ValidationError(_("The deadline for an appeal has passed."), code="too_late")
    text = text.strip()
    if not text:
        raise ValidationError({"text": ValidationError(
            _("Write your appeal: what happened, and anything the admin should know."), code="required",
        )})
    case.appeal_text, case.appealed_at = text, now
    fields = ["appeal_text", "appealed_at"]
    if waive_rest:
        case.appeal_waived_at = now
        fields.append("appeal_waived_at")
    case.save(update_fields=fields)
    who = case.membership.display_name
    audit_record(
        actor=by, action="case.appealed", target=case, chapter=case.chapter,
        summary=AuditText(gettext_noop("%(name)s appealed and asked for a decision without waiting for the deadline")
                          if waive_rest else gettext_noop("%(name)s appealed"), name=who),
        after={"appealed_at": now, "waived_rest": waive_rest, "chars": len(text)}, reason=text,
    )
    _tell(
        [*_presidents(case), *_overseers(case)], case=case, key=f"case-appeal:{case.pk}",
        message=notices.CASE_APPEALED, params={"case": case.pk, "name": who, "text": text, "waive_rest": waive_rest},
    )
    return case


@transaction.atomic
def case_appeal_waive(*, case: ExpulsionCase, by, now: datetime | None = None) -> ExpulsionCase:
    """The member gives up the rest of the appeal time; the case may be decided at once."""
    now = now or timezone.now()
    case = _locked(case)
    if not is_case_member(by, case):
        raise PermissionDenied(_("Only the member the case is about may waive the appeal."))
    _require_open(case)
    if case.appeal_waived_at:
        return case  # said so already
    if not case.appealed_at and now >= case.appeal_deadline:
        raise ValidationError(_("The deadline for an appeal has passed already; nothing to waive."), code="too_late")
    case.appeal_waived_at = now
    case.save(update_fields=["appeal_waived_at"])
    who = case.membership.display_name
    audit_record(
        actor=by, action="case.appeal_waived", target=case, chapter=case.chapter,
        summary=AuditText(gettext_noop("%(name)s waived the appeal time"), name=who), after={"appeal_waived_at": now},
    )
    _tell(_overseers(case), case=case, key=f"case-waived:{case.pk}", message=notices.CASE_READY,
          params={"case": case.pk, "name": who})
    return case


# Decision --------------------------------------------------------------------------------------


DECISION_TITLES = {
    ExpulsionCase.Decision.EXPEL: gettext_lazy("Decision on your case: expelled"),
    ExpulsionCase.Decision.PROBATION: gettext_lazy("Decision on your case: probation"),
    ExpulsionCase.Decision.DISMISS: gettext_lazy("Decision on your case: dismissed"),
}


@transaction.atomic
def case_decide(
    *, case: ExpulsionCase, by, decision: str, reason: str, probation_until: date | None = None,
    conditions: str = "", now: datetime | None = None,
) -> ExpulsionCase:
    """Decide an open case once the appeal time is over (or waived), with a written reason.

    Expel ends the membership (status expelled, which frees the classification); probation puts
    the membership on probation until `probation_until` (a local date, the last day) on the
    conditions given; dismiss leaves the membership as it is. The member and the president are told.
    """
    now = now or timezone.now()
    case = _locked(case)
    if not can_decide(by, case):
        raise PermissionDenied(
            _("Only organisation admins and staff of the chapter's region decide, never about themself.")
        )
    _require_open(case)
    if not case.decidable(now):
        raise ValidationError(
            _("The member may appeal until %(deadline)s; decide after that, unless they waive it."), code="too_early",
            params={"deadline": formats.format_datetime(case.appeal_deadline, tz=case.chapter.tz)},
        )
    reason, conditions = reason.strip(), conditions.strip()
    errors = {}
    if decision not in ExpulsionCase.Decision.values:
        errors["decision"] = _("Choose expel, probation or dismiss.")
    if len(reason) < MIN_REASON:
        errors["reason"] = _(
            "Write the reason in a sentence or two; the member, the president and the audit trail read it."
        )
    today = local_today(case.chapter.tz, now)
    if decision == ExpulsionCase.Decision.PROBATION:
        if probation_until is None:
            errors["probation_until"] = _("Give the last day of probation.")
        elif error := probation_until_error(probation_until, today):
            errors["probation_until"] = error
        if not conditions:
            errors["conditions"] = _("Say what the member must do during probation.")
    membership = case.membership
    if decision in (ExpulsionCase.Decision.EXPEL, ExpulsionCase.Decision.PROBATION) and not membership.is_seated:
        errors["decision"] = _("The member's status is “%(status)s”: only dismissal is possible.") % {
            "status": membership.get_status_display(),
        }
    if errors:
        raise ValidationError(errors)
    who = membership.display_name
    if decision == ExpulsionCase.Decision.EXPEL:
        membership = membership_change(
            membership=membership, by=by, status=Membership.Status.EXPELLED, notify=False,
            reason=f"Expelled after expulsion case #{case.pk}: {reason}",
        )
    elif decision == ExpulsionCase.Decision.PROBATION:
        membership = membership_change(
            membership=membership, by=by, status=Membership.Status.PROBATION, notify=False,
            reason=f"Probation until {_day_en(probation_until)} after expulsion case #{case.pk}: {conditions}",
        )
    elif membership.is_seated:
        # The seat stays as it is, but its note says why it was last reviewed. A departed member's
        # note keeps saying why they left; the case and the audit trail hold the dismissal.
        membership = membership_note(
            membership=membership, by=by, note=f"Expulsion case #{case.pk} dismissed: {reason}",
        )
    case.status, case.decision, case.decision_reason = ExpulsionCase.Status.DECIDED, decision, reason
    case.decided_at, case.decided_by = now, by
    if decision == ExpulsionCase.Decision.PROBATION:
        case.probation_until, case.probation_conditions = probation_until, conditions
    case.save(update_fields=[
        "status", "decision", "decision_reason", "decided_at", "decided_by", "probation_until", "probation_conditions",
    ])
    # Violations not weighed in this case may open another now that it is closed: the next sweep judges the chapter.
    ChapterEvaluationState.mark_dirty(case.chapter_id)
    after = {"status": case.status, "decision": decision, "membership_status": membership.status}
    if decision == ExpulsionCase.Decision.PROBATION:
        after.update(probation_until=probation_until, conditions=conditions)
    audit_record(
        actor=by, action="case.decided", target=case, chapter=case.chapter,
        summary=AuditText(gettext_noop("Case of %(name)s decided: %(decision)s"), name=who,
                          decision=Label("case.decision", decision)),
        before={"status": ExpulsionCase.Status.OPEN}, after=after, reason=reason,
    )

    params = {
        "case": case.pk, "decision": decision, "name": membership.display_name, "chapter": str(case.chapter),
        "probation_until": case.probation_until.isoformat() if case.probation_until else None,
        "conditions": case.probation_conditions, "reason": reason,
    }
    _tell([membership.user], case=case, key=f"case-decided:{case.pk}", message=notices.CASE_DECIDED,
          params={**params, "to": "member"})
    _tell(_presidents(case), case=case, key=f"case-decided:{case.pk}", message=notices.CASE_DECIDED,
          params={**params, "to": "president"})
    return case


def membership_note(*, membership: Membership, by, note: str) -> Membership:
    """Write the seat's status note without changing its status (e.g. a dismissed case); audited."""
    membership = Membership.objects.select_for_update().select_related("chapter", "user").get(pk=membership.pk)
    before = membership.status_note
    membership.status_note = note.strip()[:300]
    if membership.status_note == before:
        return membership
    membership.save(update_fields=["status_note"])
    audit_record(
        actor=by, action="membership.noted", target=membership, chapter=membership.chapter,
        summary=AuditText(gettext_noop("%(member)s: %(note)s"), member=membership.user, note=membership.status_note),
        before={"status_note": before}, after={"status_note": membership.status_note}, reason=note.strip(),
    )
    return membership


# Probation that has ended ------------------------------------------------------------------------


def probations_due(*, now: datetime | None = None) -> list[int]:
    """Ids of decided probation cases whose last day has passed in the chapter's timezone and not yet lifted."""
    now = now or timezone.now()
    rows = ExpulsionCase.objects.filter(
        decision=ExpulsionCase.Decision.PROBATION, probation_lifted_at__isnull=True,
        probation_until__lt=now.date() + timedelta(days=1),  # UTC date + 1 bounds every timezone
    ).values_list("pk", "probation_until", "chapter__timezone")
    return sorted(pk for pk, until, tz in rows if local_today(zoneinfo.ZoneInfo(tz), now) > until)


@transaction.atomic
def probation_lift(*, case_id: int, now: datetime | None = None) -> bool:
    """Lift one ended probation: status back to active, audit, tell the member and the president. Idempotent."""
    now = now or timezone.now()
    case = _locked(ExpulsionCase(pk=case_id))
    if case.probation_lifted_at or case.decision != ExpulsionCase.Decision.PROBATION:
        return False  # lifted by an earlier run
    if local_today(case.chapter.tz, now) <= case.probation_until:
        return False
    # A later probation decision for the same seat still running keeps the member on probation.
    later = ExpulsionCase.objects.filter(
        membership_id=case.membership_id, decision=ExpulsionCase.Decision.PROBATION, decided_at__gt=case.decided_at,
        probation_lifted_at__isnull=True,
    ).exists()
    case.probation_lifted_at = now
    case.save(update_fields=["probation_lifted_at"])
    membership = Membership.objects.get(pk=case.membership_id)
    who = case.membership.display_name
    if membership.status != Membership.Status.PROBATION or later:
        audit_record(
            actor=None, action="case.probation_ended", target=case, chapter=case.chapter,
            summary=AuditText(gettext_noop("Probation of %(name)s ended on %(date)s; status left as %(status)s "
                                           "(a later probation runs)") if later
                              else gettext_noop("Probation of %(name)s ended on %(date)s; status left as %(status)s"),
                              name=who, date=case.probation_until,
                              status=Label("members.membership.status", membership.status)),
            after={"membership_status": membership.status},
        )
        return True
    membership_change(
        membership=membership, by=None, status=Membership.Status.ACTIVE, notify=False,
        reason=f"Probation ended on {_day_en(case.probation_until)} (expulsion case #{case.pk})",
    )
    audit_record(
        actor=None, action="case.probation_lifted", target=case, chapter=case.chapter,
        summary=AuditText(gettext_noop("Probation of %(name)s lifted: ended %(date)s"), name=who,
                          date=case.probation_until),
        before={"membership_status": Membership.Status.PROBATION}, after={"membership_status": Membership.Status.ACTIVE},
    )

    params = {"case": case.pk, "name": who, "date": case.probation_until.isoformat()}
    _tell([case.membership.user], case=case, key=f"probation-lifted:{case.pk}", message=notices.PROBATION_LIFTED,
          params={**params, "to": "member"})
    _tell(_presidents(case), case=case, key=f"probation-lifted:{case.pk}", message=notices.PROBATION_LIFTED,
          params={**params, "to": "president"})
    return True
