"""What changes integrity flags: the nightly check (find, reconcile), leadership's review, the thresholds."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from integrity.detection import Found, Scope, detect_all
from integrity.fingerprints import fingerprints_sync
from integrity.models import EVIDENCE_FIELDS, IntegrityCheck, IntegrityEvidence, IntegrityFlag, IntegrityRules
from members.audit import AuditText, Label, audit_record

log = logging.getLogger(__name__)
Status = IntegrityFlag.Status
# Found's sets of row ids, by the evidence field each fills.
FOUND_ROWS = {"referral": "referrals", "thank_you": "thank_yous", "one_to_one": "one_to_ones",
              "attendance": "attendances"}


def integrity_rules_for(*, chapter) -> IntegrityRules:
    """The chapter's thresholds, or the defaults (unsaved) while leadership never changed them."""
    return IntegrityRules.objects.filter(chapter=chapter).first() or IntegrityRules(chapter=chapter)


# The check ----------------------------------------------------------------------------------------


@dataclass
class CheckResult:
    opened: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    found: int = 0

    @property
    def counts(self) -> dict:
        return {"found": self.found, "opened": len(self.opened), "reopened": len(self.reopened),
                "changed": len(self.changed), "closed": len(self.closed)}


@transaction.atomic
def chapter_integrity_check(*, chapter, now=None) -> CheckResult:
    """Find every pattern in the chapter now and bring its flags in line: new ones opened, gone ones closed.

    Idempotent (one flag per chapter, pattern and key, enforced by the database) and safe on two workers at
    once (the chapter's check row is locked). A fixed number of queries, whatever the chapter's size.
    """
    now = now or timezone.now()
    IntegrityCheck.objects.get_or_create(chapter=chapter)
    check = IntegrityCheck.objects.select_for_update().get(chapter=chapter)
    rules = integrity_rules_for(chapter=chapter)
    scope = Scope.build(chapter=chapter, rules=rules, now=now)
    fingerprints_sync(chapter=chapter, since=scope.since)
    result = _reconcile(chapter=chapter, found=detect_all(scope), now=now)
    check.checked_at = now
    check.save(update_fields=["checked_at"])
    return result


def _reconcile(*, chapter, found: dict[tuple[str, str], Found], now) -> CheckResult:
    result = CheckResult(found=len(found))
    flags = {(f.kind, f.key): f for f in IntegrityFlag.objects.filter(chapter=chapter)}
    new = [
        IntegrityFlag(chapter=chapter, kind=kind, key=key, figures=item.figures, opened_at=now, evidence_changed_at=now)
        for (kind, key), item in found.items() if (kind, key) not in flags
    ]
    if new:
        IntegrityFlag.objects.bulk_create(new)
        for flag in new:
            flags[(flag.kind, flag.key)] = flag
        result.opened = [flag.pk for flag in new]
    new_ids = set(result.opened)
    evidence_changed = _evidence_reconcile(chapter=chapter, flags=flags, found=found, now=now)
    _members_reconcile(chapter=chapter, flags=flags, found=found)
    changed = []
    for key, flag in flags.items():
        item = found.get(key)
        if item is None:
            if flag.status != Status.CLOSED:
                flag.status, flag.closed_at = Status.CLOSED, now
                changed.append(flag)
                result.closed.append(flag.pk)
            continue
        if flag.pk in new_ids:
            continue
        touched = False
        if flag.status == Status.CLOSED:  # the pattern is back: leadership looks again
            flag.status, flag.closed_at = Status.OPEN, None
            result.reopened.append(flag.pk)
            touched = True
        if flag.figures != item.figures or flag.pk in evidence_changed:
            flag.figures = item.figures
            result.changed.append(flag.pk)
            touched = True
        if touched:
            flag.evidence_changed_at = now
            changed.append(flag)
    if changed:
        IntegrityFlag.objects.bulk_update(changed, ["status", "closed_at", "figures", "evidence_changed_at"])
    return result


def _evidence_reconcile(*, chapter, flags, found, now) -> set[int]:
    """Add the rows now behind each flag found, drop those no longer behind it; a closed flag keeps its record.

    Returns the ids of the flags whose evidence changed. Three queries at most.
    """
    had: dict[tuple[int, str, int], int] = {}
    for pk, flag_id, *ids in IntegrityEvidence.objects.filter(flag__chapter=chapter).values_list(
        "pk", "flag_id", *(f"{name}_id" for name in EVIDENCE_FIELDS)
    ):
        name, row = next((name, row) for name, row in zip(EVIDENCE_FIELDS, ids, strict=True) if row is not None)
        had[(flag_id, name, row)] = pk
    wanted: set[tuple[int, str, int]] = set()
    for key, item in found.items():
        flag_id = flags[key].pk
        for name, attr in FOUND_ROWS.items():
            wanted.update((flag_id, name, row) for row in getattr(item, attr))
    found_flags = {flags[key].pk for key in found}
    add = wanted - had.keys()
    drop = [pk for (flag_id, name, row), pk in had.items() if flag_id in found_flags and (flag_id, name, row) not in wanted]
    if add:
        IntegrityEvidence.objects.bulk_create(
            [IntegrityEvidence(flag_id=flag_id, added_at=now, **{f"{name}_id": row}) for flag_id, name, row in add]
        )
    if drop:
        IntegrityEvidence.objects.filter(pk__in=drop).delete()
    dropped = {flag_id for (flag_id, name, row), pk in had.items() if pk in set(drop)}
    return {flag_id for flag_id, _, _ in add} | dropped


def _members_reconcile(*, chapter, flags, found) -> None:
    """The members each flag found names now (a closed flag keeps those it named). Three queries at most."""
    through = IntegrityFlag.memberships.through
    had = dict(
        ((flag_id, membership_id), pk) for pk, flag_id, membership_id in
        through.objects.filter(integrityflag__chapter=chapter).values_list("pk", "integrityflag_id", "membership_id")
    )
    wanted = {(flags[key].pk, member) for key, item in found.items() for member in item.members}
    found_flags = {flags[key].pk for key in found}
    add = wanted - had.keys()
    drop = [pk for (flag_id, member), pk in had.items() if flag_id in found_flags and (flag_id, member) not in wanted]
    if add:
        through.objects.bulk_create([through(integrityflag_id=f, membership_id=m) for f, m in add])
    if drop:
        through.objects.filter(pk__in=drop).delete()


def integrity_check_soon(*, chapter_id: int) -> None:
    """Check the chapter again once the current transaction commits (its thresholds changed). Never fails."""

    def _dispatch() -> None:
        from integrity.tasks import chapter_integrity_task

        try:
            chapter_integrity_task.delay(chapter_id)
        except Exception:  # noqa: BLE001 - a broker outage must never fail the change that caused it
            log.warning("Broker unavailable; chapter %s is checked again tonight", chapter_id)

    transaction.on_commit(_dispatch)


# Review -------------------------------------------------------------------------------------------


def flag_names(flag: IntegrityFlag, membership) -> bool:
    """Whether the flag is about this seat (the person may not judge their own case)."""
    return membership is not None and any(m.pk == membership.pk for m in flag.memberships.all())


def can_review(access, flag: IntegrityFlag) -> bool:
    """Leadership reviews a flag that is not closed, unless it names them; overseers review any."""
    if flag.status == Status.CLOSED or not access.is_leadership:
        return False
    return access.is_oversight or not flag_names(flag, access.membership)


@transaction.atomic
def flag_review(*, flag: IntegrityFlag, access, actor, outcome: str, note: str) -> IntegrityFlag:
    """Leadership records what it made of a flag (fined, warned, false alarm) and why; audited. Never fines."""
    flag = IntegrityFlag.objects.select_for_update().prefetch_related("memberships").get(pk=flag.pk)
    if not can_review(access, flag):
        if flag.status == Status.CLOSED:
            raise ValidationError(_("This flag is closed: its evidence is gone, so there is nothing to review."))
        raise PermissionDenied(_("A flag that names you is reviewed by other leaders or the region's staff."))
    if outcome not in IntegrityFlag.Outcome.values:
        raise ValidationError({"outcome": _("Choose what you made of it.")})
    note = note.strip()
    if not note:
        raise ValidationError({"note": _("Say what you found, so the next reader knows why.")})
    before = {"status": flag.status, "outcome": flag.outcome, "note": flag.note}
    flag.status, flag.outcome, flag.note = Status.REVIEWED, outcome, note
    flag.reviewed_at, flag.reviewed_by = timezone.now(), actor
    flag.save(update_fields=["status", "outcome", "note", "reviewed_at", "reviewed_by"])
    audit_record(
        actor=actor,
        action="integrity.flag_reviewed",
        target=flag,
        chapter=flag.chapter,
        summary=AuditText(gettext_noop("Integrity flag #%(id)s (%(kind)s) reviewed: %(outcome)s"), id=flag.pk,
                          kind=Label("integrity.integrityflag.kind", flag.kind),
                          outcome=Label("integrity.integrityflag.outcome", flag.outcome)),
        before=before,
        after={"status": flag.status, "outcome": flag.outcome, "note": flag.note},
        reason=note,
    )
    return flag


# Thresholds ---------------------------------------------------------------------------------------


@transaction.atomic
def integrity_rules_save(*, chapter, actor, data: dict) -> IntegrityRules:
    """Leadership changes the chapter's thresholds: audited field by field, and the chapter checked again."""
    rules = IntegrityRules.objects.select_for_update().filter(chapter=chapter).first() or IntegrityRules(chapter=chapter)
    before = {name: getattr(rules, name) for name in IntegrityRules.THRESHOLD_FIELDS}
    for name in IntegrityRules.THRESHOLD_FIELDS:
        if name in data:
            setattr(rules, name, data[name])
    rules.full_clean(exclude=["chapter", "updated_by"])
    after = {name: getattr(rules, name) for name in IntegrityRules.THRESHOLD_FIELDS}
    changed = [name for name in IntegrityRules.THRESHOLD_FIELDS if before[name] != after[name]]
    if not changed:
        return rules
    rules.updated_by = actor
    rules.save()
    audit_record(
        actor=actor,
        action="integrity.rules_changed",
        target=rules,
        chapter=chapter,
        summary=AuditText(gettext_noop("Integrity thresholds of %(chapter)s changed"), chapter=chapter.name),
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )
    integrity_check_soon(chapter_id=chapter.pk)
    return rules
