"""Why a standing fine is no longer what the evidence calls for: the change, as data (and its English words).

Reconciliation (`evaluation.chapter_evaluate`) finds the fines to withdraw or flag; this module
reads the records that changed (marks and their corrections, leave, rules versions, referrals
and their consent) and names the cause. The cause is derived from the records themselves, not
from whatever queued the run, so the daily sweep explains a change as well as the task a
correction queued. A fixed number of queries for the whole batch, never one per fine.

The cause holds everything its words need (`enforcement.explain.cause_text` renders them in the
reader's language); the reason returned beside it is the English snapshot stored with the fine.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from enforcement import explain
from enforcement.models import Fine
from enforcement.periods import Period
from leadsgroups.formats import plain_number
from meetings.models import Attendance, Meeting
from members.models import AuditEvent

CENT = Decimal("0.01")


# What a fine stands on ----------------------------------------------------------------------------


def basis(kind: str, evidence: dict, amount, rules_id: int) -> tuple:
    """What a fine rests on, for comparing a standing fine with what the evidence calls for now.

    Only the facts that decide the fine: the version, the amount, and the marks (with their
    weights) or the referrals counted. Words, notes, and the status of referrals that did not
    count may change without the fine changing.
    """
    amount = str(Decimal(amount).quantize(CENT))
    evidence = evidence or {}
    if kind == Fine.Kind.ABSENCE:
        marks = tuple((m.get("meeting_id"), m.get("status"), m.get("weight")) for m in evidence.get("marks", []))
        return (rules_id, amount, marks)
    if kind == Fine.Kind.QUOTA:
        # a weighted quota: each referral with its weight (a rating or a repeat may change it alone)
        counted = sorted((r.get("referral_id"), r.get("weight", "")) for r in evidence.get("counted", []))
        if not any(w for _, w in counted):
            return (rules_id, amount, tuple(pk for pk, _ in counted))
        return (rules_id, amount, tuple(counted))
    return (rules_id, amount)


def basis_of(fine: Fine) -> tuple:
    return basis(fine.kind, fine.evidence, fine.amount, fine.rules_id)


# Explaining a batch of changes ----------------------------------------------------------------------


def explain_all(*, chapter, book, members, leave, items, referrals, weights=None) -> dict[int, tuple[str, dict]]:
    """fine id → (reason as an English snapshot, cause as data) for each (standing fine, finding now or None).

    `weights`: (member, meeting) → (weight, over) of the marks the evaluation weighed now.
    """
    tz = chapter.tz
    marks_of = [(f, n) for f, n in items if f.kind != Fine.Kind.QUOTA]
    now_marks, meetings, corrections = _attendance_records(marks_of)  # queries: marks, meetings, corrections
    out = {}
    for fine, finding in items:
        if fine.kind == Fine.Kind.QUOTA:
            cause = _quota_change(fine, finding, book, leave.get(fine.membership_id, []),
                                  referrals.get(fine.membership_id, []), tz)
        else:
            cause = _attendance_change(
                fine, finding, book, members.get(fine.membership_id), leave.get(fine.membership_id, []),
                now_marks, meetings, corrections, tz, weights or {},
            )
        cause = {"v": explain.VERSION, **cause, "about": _about(fine)}
        if finding is not None:
            cause["calls_for"] = {"amount": str(finding.amount), "currency": finding.currency}
            if fine.status != Fine.Status.OPEN:
                cause["paid"] = {"amount": str(fine.amount), "currency": fine.currency}
        out[fine.pk] = (explain.snapshot(explain.cause_text, cause), cause)
    return out


def _about(fine: Fine) -> dict:
    """The fine's meeting (a day) or quota period, which the words name."""
    if fine.kind == Fine.Kind.QUOTA:
        return {"period": [fine.period_start.isoformat(), fine.period_end.isoformat()]}
    return {"meeting": fine.period_start.isoformat()}


def _marks_in(fine: Fine) -> list[dict]:
    if fine.kind == Fine.Kind.ABSENCE:
        return fine.evidence.get("marks", [])
    return [{"meeting_id": fine.meeting_id, "date": fine.period_start.isoformat(),
             "status": fine.evidence.get("status", Attendance.Status.LATE)}]


def _attendance_records(items):
    """Marks now, meeting states and the latest correction of each mark, for the fines' meetings."""
    if not items:
        return {}, {}, {}
    member_ids = {f.membership_id for f, _ in items}
    meeting_ids = set()
    for fine, finding in items:
        meeting_ids |= {m.get("meeting_id") for m in _marks_in(fine)}
        if finding is not None:
            meeting_ids |= {m.get("meeting_id") for m in finding.evidence.get("marks", [])}
    meeting_ids.discard(None)
    now_marks, attendance_ids = {}, {}
    for pk, mid, meeting_id, status in Attendance.objects.filter(
        membership_id__in=member_ids, meeting_id__in=meeting_ids
    ).values_list("pk", "membership_id", "meeting_id", "status"):  # query: the marks as they are now
        now_marks[(mid, meeting_id)] = status
        attendance_ids[str(pk)] = (mid, meeting_id)
    meetings = {
        m["pk"]: m for m in Meeting.objects.filter(pk__in=meeting_ids).values("pk", "status", "local_date")
    }  # query: the meetings' states
    corrections = {}
    for target_id, who, email, at, reason, before, after in (
        AuditEvent.objects.filter(
            action="attendance.corrected", target_type="meetings.attendance", target_id__in=list(attendance_ids)
        ).order_by("created_at", "pk")
        .values_list("target_id", "actor__full_name", "actor__email", "created_at", "reason", "before", "after")
    ):  # query: the corrections of those marks (the latest wins)
        corrections[attendance_ids[target_id]] = {
            "by": who or email or "", "at": at, "reason": reason,
            "from": (before or {}).get("status"), "to": (after or {}).get("status"),
        }
    return now_marks, meetings, corrections


def _leave_cause(span) -> dict:
    return {"kind": "leave", "leave_id": span.leave_id, "starts_on": span.start.isoformat(),
            "ends_on": None if span.end == date.max else span.end.isoformat(), "leave_reason": span.reason}


def _rules_cause(fine: Fine, now_rules) -> dict:
    if now_rules is None:
        return {"kind": "rules", "from_version": fine.rules.number, "to_version": None}
    return {"kind": "rules", "from_version": fine.rules.number, "to_version": now_rules.number,
            "rules_id": now_rules.pk, "to_from": now_rules.effective_from.isoformat()}


def _attendance_change(fine, finding, book, membership, leave, now_marks, meetings, corrections, tz, weights) -> dict:
    from enforcement.evaluation import in_grace, on_leave

    mid, day = fine.membership_id, fine.period_start
    own = book.at(day)
    if own is not None and own.exempt_on_leave and (span := on_leave(leave, day)):
        return _leave_cause(span)
    meeting = meetings.get(fine.meeting_id)
    if meeting is not None and meeting["status"] != Meeting.Status.CLOSED:
        return {"kind": "meeting", "meeting_id": fine.meeting_id, "status": meeting["status"]}
    # Marks that changed since the fine was issued: the fine's own marks, and any the evidence now adds.
    before = {m["meeting_id"]: m for m in _marks_in(fine)}
    after = {m["meeting_id"]: m for m in (finding.evidence.get("marks", []) if finding else [])}
    changed = []
    for meeting_id in sorted(set(before) | set(after), key=lambda k: (before.get(k) or after.get(k))["date"]):
        was = (before.get(meeting_id) or {}).get("status")
        now = now_marks.get((mid, meeting_id), Attendance.Status.PRESENT if meeting_id in meetings else None)
        if was is not None and now == was:
            continue
        if was is None and meeting_id in after:
            now = after[meeting_id]["status"]
            if (mid, meeting_id) not in corrections:
                continue  # newly counted for another reason (the window moved, a leave ended)
            # The fine did not list this mark (a present counts for nothing): what it was, the correction says.
            was = corrections[(mid, meeting_id)]["from"]
        fix = corrections.get((mid, meeting_id))
        mark_day = (before.get(meeting_id) or after.get(meeting_id))["date"]
        changed.append({
            "meeting_id": meeting_id, "date": mark_day, "from": was, "to": now,
            **({"by": fix["by"], "at": fix["at"].isoformat(), "on": fix["at"].astimezone(tz).date().isoformat(),
                "reason": fix["reason"]} if fix else {}),
        })
    if changed:
        return {"kind": "correction", "changes": changed}
    now_rules = finding.rules if finding is not None else own
    if now_rules is None or now_rules.pk != fine.rules_id:
        return _rules_cause(fine, now_rules)
    if membership is not None and in_grace(membership, now_rules, day):
        return {"kind": "grace", "joined_on": membership.joined_on.isoformat(), "member": membership.display_name}
    return _recalculated(fine, finding, weights)


def _recalculated(fine, finding, weights=None) -> dict:
    """The same records, judged as the rules now say (e.g. each mark under the version of its own day)."""
    before = {m["meeting_id"]: m for m in fine.evidence.get("marks", [])}
    after = {m["meeting_id"]: m for m in (finding.evidence.get("marks", []) if finding else [])}
    for meeting_id, m in before.items():
        if meeting_id not in after and (fine.membership_id, meeting_id) in (weights or {}):
            w, over = weights[(fine.membership_id, meeting_id)]
            after[meeting_id] = {**m, "weight": plain_number(w), **({"over": over} if over else {})}
    diffs = []
    for meeting_id, m in before.items():
        new = after.get(meeting_id)
        if new is not None and new.get("weight") != m.get("weight"):
            diffs.append({"meeting_id": meeting_id, "date": m["date"], "status": m["status"],
                          "from": m.get("weight"), "to": new.get("weight"),
                          **({"over": new["over"]} if new.get("over") else {})})
    if diffs:
        return {"kind": "recalculated", "weights": diffs}
    if finding is None:
        return {"kind": "recalculated"}
    return {"kind": "recalculated", "units": plain_number(Decimal(finding.evidence.get("units", "0") or 0)),
            "title": explain.title_key(fine.kind, fine.evidence)}


def _quota_change(fine, finding, book, leave, given, tz) -> dict:
    from enforcement.evaluation import _counts, on_leave_during, quota_judge

    period = Period(fine.period_start, fine.period_end)
    rules = fine.rules
    if rules.exempt_on_leave and (span := on_leave_during(leave, period)):
        return _leave_cause(span)
    now_rules = finding.rules if finding is not None else quota_judge(book=book, kind=rules.quota_period, period=period)
    if now_rules is None or now_rules.pk != fine.rules_id:
        return _rules_cause(fine, now_rules)
    lo, hi = period.utc_bounds(tz)
    until = None
    if fine.evidence.get("consent_until") or rules.quota_counts == "consented":
        last = period.end.toordinal() + rules.consent_grace_days
        until = Period(date.fromordinal(last), date.fromordinal(last)).utc_bounds(tz)[1]
    in_period = [r for r in given if lo <= r["created_at"] < hi]
    before = {r["referral_id"] for r in fine.evidence.get("counted", [])}
    counted_now = {r["pk"] for r in in_period if _counts(r, rules.quota_counts, until)}
    added = [r for r in in_period if r["pk"] in counted_now - before]
    removed = sorted(before - counted_now)
    consent = [r for r in added if rules.quota_counts == "consented"]
    if consent:
        grace_until = date.fromordinal(period.end.toordinal() + rules.consent_grace_days) if until else None
        return {
            "kind": "consent", "referral_ids": [r["pk"] for r in consent],
            "grace_until": grace_until.isoformat() if grace_until else None,
            "referrals": [
                {"referral_id": r["pk"], "receiver": r.get("receiver", ""),
                 "date": r["created_at"].astimezone(tz).date().isoformat(),
                 "consented_on": r["consented_at"].astimezone(tz).date().isoformat() if r.get("consented_at") else None}
                for r in consent
            ],
        }
    if added:
        return {
            "kind": "referrals", "referral_ids": [r["pk"] for r in added],
            "referrals": [
                {"referral_id": r["pk"], "receiver": r.get("receiver", ""),
                 "at": r["created_at"].astimezone(tz).replace(tzinfo=None).isoformat(timespec="minutes"),
                 "status": r["status"]}
                for r in added
            ],
        }
    if removed:
        return {"kind": "referrals", "no_longer_counted": removed}
    return _recalculated(fine, finding)
