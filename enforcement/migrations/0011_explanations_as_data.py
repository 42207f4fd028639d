"""Explanations as data: fill the structured evidence (shape "v": 2) of rows written before it.

Fines, cases and the causes of withdrawn and refund-flagged fines used to keep their words as English
text; pages now render the words from the data in the reader's language (`enforcement.explain`). Each
row is rebuilt from what it already stores: its evidence, its rules version (never edited), the records
its evidence names (referrals, consent answers, leave, the fines of a case) and, where only the old text
held a fact (a mark's allowance note, a quoted title, an amount called for), that text.

A row that cannot be rebuilt keeps its stored English text, and its data says so (`"fallback": true`):
the renderer then shows the text as written. Nothing is lost, and the text columns are left as they are.
Self-contained on purpose (no app code): a migration must keep meaning what it meant when written.
"""

import re
import zoneinfo
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import migrations

VERSION = 2
BATCH = 500
TITLES = {
    "Absence over the limit": "absence", "Lates over the limit": "lates",
    "Lates and absences over the limit": "lates_and_absences", "Late arrival": "late",
    "Referral quota missed": "quota",
}
NOTE = re.compile(r"^(substitute|medical) (\d+) of (\d+) allowed: a full absence$")
LATE_TITLE = re.compile(r"see “(.+?)” for this meeting")
CALLS_FOR_PAID = re.compile(r"The evidence now calls for (.+?), not the (.+?) paid\.")
UNITS = re.compile(r"now (\d+(?:\.\d+)?) over the limit\.")
LEAVE_REASON = re.compile(r"\(Leave: (.*)\)$", re.S)
BELOW = re.compile(r"^Only (\d+) violations? of this case still stands? .*the case was opened at (\d+)\.", re.S)
AMOUNT = re.compile(r"\d[\d,]*(?:\.\d+)?")
CONSENT_GIVEN = ("confirmed", "withdrawn")


class CannotRebuild(Exception):
    """The row's stored facts do not say everything its words need: keep the text."""


def _fallback(data: dict) -> dict:
    return {**(data or {}), "v": VERSION, "fallback": True}


def _title_key(kind: str, evidence: dict) -> str:
    if kind != "absence":
        return kind
    statuses = {m.get("status") for m in evidence.get("marks", []) if m.get("weight") not in ("0", 0, None)}
    if statuses and statuses <= {"late"}:
        return "lates"
    if "late" in statuses:
        return "lates_and_absences"
    return "absence"


def _amount(text: str) -> str:
    found = AMOUNT.search(text or "")
    if not found:
        raise CannotRebuild(text)
    try:
        return str(Decimal(found.group(0).replace(",", "")).quantize(Decimal("0.01")))
    except InvalidOperation as exc:
        raise CannotRebuild(text) from exc


def _rules(fine_or_case) -> dict:
    r = fine_or_case.rules
    return {"v": VERSION, "rules_version": r.number, "rules_id": r.pk, "rules_from": r.effective_from.isoformat()}


def _need(evidence: dict, *keys):
    missing = [k for k in keys if k not in evidence]
    if missing:
        raise CannotRebuild(missing)


class Records:
    """The records rows name, loaded for one batch: receivers and dates of referrals, consent answers, leave."""

    def __init__(self, apps, rows, tz_of):
        Referral = apps.get_model("referrals", "Referral")
        ConsentRequest = apps.get_model("referrals", "ConsentRequest")
        Leave = apps.get_model("enforcement", "Leave")
        ids, leave_ids = set(), set()
        for evidence, cause in rows:
            for key in ("counted", "not_counted_referrals"):
                ids |= {r.get("referral_id") for r in (evidence or {}).get(key, [])}
            ids |= set((cause or {}).get("referral_ids", []))
            if (cause or {}).get("kind") == "leave":
                leave_ids.add(cause.get("leave_id"))
        ids.discard(None)
        self.referrals = {
            pk: {"receiver": name or email or "", "created_at": created, "status": status}
            for pk, name, email, created, status in Referral.objects.filter(pk__in=ids).values_list(
                "pk", "receiver__user__full_name", "receiver__user__email", "created_at", "status"
            )
        }
        self.consented = {}
        for rid, answered in ConsentRequest.objects.filter(
            referral_id__in=ids, outcome__in=CONSENT_GIVEN, answered_at__isnull=False
        ).values_list("referral_id", "answered_at"):
            if rid not in self.consented or answered < self.consented[rid]:
                self.consented[rid] = answered
        self.leave = dict(Leave.objects.filter(pk__in=leave_ids).values_list("pk", "reason"))
        self.tz_of = tz_of

    def referral(self, pk) -> dict:
        if pk not in self.referrals:
            raise CannotRebuild(f"referral {pk}")
        return self.referrals[pk]


# Fines -------------------------------------------------------------------------------------------


def _absence(fine, ev: dict) -> dict:
    _need(ev, "window", "allowed", "marks", "total", "before", "units", "rate", "amount", "currency")
    r = fine.rules
    marks = []
    for m in ev["marks"]:
        m = dict(m)
        note = m.pop("note", "") or ""
        if note:
            found = NOTE.match(note)
            if not found:
                raise CannotRebuild(note)
            m["over"] = {"count": int(found.group(2)), "allowed": int(found.group(3))}
        marks.append(m)
    meeting_id = fine.meeting_id
    if meeting_id is None:  # the meeting was deleted: the mark of the fine's day is "this meeting"
        meeting_id = next((m.get("meeting_id") for m in marks if m.get("date") == fine.period_start.isoformat()), None)
    months = {"quarter": 3, "half": 6}.get(r.absence_window, r.window_months)
    return {**ev, **_rules(fine), "meeting_id": meeting_id, "date": fine.period_start.isoformat(),
            "window_kind": r.absence_window, "window_months": months, "window_start_month": r.fixed_start_month,
            "marks": marks}


def _late(fine, ev: dict) -> dict:
    _need(ev, "rate", "amount", "currency")
    out = {**ev, **_rules(fine), "meeting_id": ev.get("meeting_id", fine.meeting_id),
           "date": ev.get("date", fine.period_start.isoformat()), "status": ev.get("status", "late"),
           "late_weight": format(Decimal(fine.rules.late_weight).normalize(), "f")}
    if "also" in ev:
        found = LATE_TITLE.search(fine.explanation or "")
        if not found or found.group(1) not in TITLES:
            raise CannotRebuild("the absence fine's title")
        out["also"] = {**ev["also"], "title": TITLES[found.group(1)]}
    return out


def _quota(fine, ev: dict, records: Records) -> dict:
    _need(ev, "period", "quota", "counts", "counted", "amount", "currency")
    if ev.get("not_counted") and "not_counted_referrals" not in ev:
        raise CannotRebuild("the referrals that did not count")
    tz = records.tz_of(fine)
    r = fine.rules

    def item(entry, consent_date=False):
        known = records.referral(entry["referral_id"])
        out = {**entry, "receiver": known["receiver"]}
        answered = records.consented.get(entry["referral_id"])
        if consent_date and answered is not None:
            out["consented_on"] = answered.astimezone(tz).date().isoformat()
        return out

    consent = bool(ev.get("consent_until"))
    out = {**ev, **_rules(fine), "quota_period": r.quota_period,
           "counted": [item(e) for e in ev["counted"]],
           "not_counted_referrals": [item(e, consent) for e in ev.get("not_counted_referrals", [])]}
    if consent:
        out["consent_grace_days"] = r.consent_grace_days
    return out


def fine_evidence(fine, records: Records) -> dict:
    ev = dict(fine.evidence or {})
    try:
        if fine.kind == "absence":
            return _absence(fine, ev)
        if fine.kind == "late":
            return _late(fine, ev)
        if fine.kind == "quota":
            return _quota(fine, ev, records)
    except (CannotRebuild, KeyError, TypeError, ValueError):
        pass
    return _fallback(ev)


# Why a fine was withdrawn or flagged ----------------------------------------------------------------


def _about(fine) -> dict:
    if fine.kind == "quota":
        return {"period": [fine.period_start.isoformat(), fine.period_end.isoformat()]}
    return {"meeting": fine.period_start.isoformat()}


def _cause_words(fine, cause: dict, text: str, records: Records, ChapterRules) -> dict:
    kind = cause.get("kind")
    tz = records.tz_of(fine)
    out = {**cause, "v": VERSION}
    if kind == "leave":
        _need(cause, "starts_on", "ends_on")
        reason = records.leave.get(cause.get("leave_id"))
        if reason is None:
            found = LEAVE_REASON.search(text.split(" The evidence now calls for")[0])
            reason = found.group(1) if found else ""
        out["leave_reason"] = reason
    elif kind == "rules":
        _need(cause, "from_version", "to_version")
        if cause["to_version"] is not None:
            rules = ChapterRules.objects.filter(pk=cause.get("rules_id")).first() or ChapterRules.objects.filter(
                chapter_id=fine.chapter_id, number=cause["to_version"]).first()
            if rules is None:
                raise CannotRebuild("rules version")
            out["to_from"] = rules.effective_from.isoformat()
    elif kind == "meeting":
        _need(cause, "status")
    elif kind == "correction":
        changes = []
        for c in cause.get("changes") or []:
            c = dict(c)
            if c.get("at"):
                c["on"] = datetime.fromisoformat(c["at"]).astimezone(tz).date().isoformat()
            changes.append(c)
        if not changes:
            raise CannotRebuild("no changes")
        out["changes"] = changes
    elif kind == "grace":
        _need(cause, "joined_on")
        user = fine.membership.user
        out["member"] = user.full_name or user.email
    elif kind == "recalculated":
        if cause.get("weights"):
            weights = []
            for d in cause["weights"]:
                d = dict(d)
                note = d.pop("note", "") or ""
                if note:
                    found = NOTE.match(note)
                    if not found:
                        raise CannotRebuild(note)
                    d["over"] = {"count": int(found.group(2)), "allowed": int(found.group(3))}
                weights.append(d)
            out["weights"] = weights
        elif not text.startswith("The records no longer call for a fine"):
            found = UNITS.search(text)
            if not found:
                raise CannotRebuild(text)
            out["units"] = found.group(1)
            out["title"] = _title_key(fine.kind, fine.evidence or {})
    elif kind == "consent":
        grace_until = None
        if "within the grace" in text:
            grace_until = (fine.period_end + timedelta(days=fine.rules.consent_grace_days)).isoformat()
        out["grace_until"] = grace_until
        out["referrals"] = []
        for pk in cause.get("referral_ids") or []:
            known = records.referral(pk)
            answered = records.consented.get(pk)
            out["referrals"].append({
                "referral_id": pk, "receiver": known["receiver"],
                "date": known["created_at"].astimezone(tz).date().isoformat(),
                "consented_on": answered.astimezone(tz).date().isoformat() if answered else None,
            })
    elif kind == "referrals":
        if cause.get("referral_ids"):
            out["referrals"] = []
            for pk in cause["referral_ids"]:
                known = records.referral(pk)
                out["referrals"].append({
                    "referral_id": pk, "receiver": known["receiver"], "status": known["status"],
                    "at": known["created_at"].astimezone(tz).replace(tzinfo=None).isoformat(timespec="minutes"),
                })
        elif "no_longer_counted" not in cause:
            raise CannotRebuild(cause)
    else:
        raise CannotRebuild(kind)
    return out


def cause_data(fine, cause: dict, text: str, *, paid: bool, records: Records, ChapterRules) -> dict:
    try:
        out = _cause_words(fine, dict(cause), text or "", records, ChapterRules)
        out["about"] = _about(fine)
        if paid:
            found = CALLS_FOR_PAID.search(text or "")
            if found:
                out["calls_for"] = {"amount": _amount(found.group(1)), "currency": fine.currency}
                out["paid"] = {"amount": str(fine.amount), "currency": fine.currency}
            elif "The evidence now calls for" in (text or ""):
                raise CannotRebuild(text)
        elif fine.replaced_by_id is not None:
            out["calls_for"] = {"amount": str(fine.replaced_by.amount), "currency": fine.replaced_by.currency}
        elif "The evidence now calls for" in (text or ""):
            raise CannotRebuild(text)
        return out
    except (CannotRebuild, KeyError, TypeError, ValueError, AttributeError):
        return _fallback(cause)


# Cases -------------------------------------------------------------------------------------------


def case_evidence(case, fines_of) -> dict:
    ev = dict(case.evidence or {})
    try:
        _need(ev, "threshold", "months", "since", "violations")
        fines = fines_of.get(case.pk, [])
        items = []
        for v in ev["violations"]:
            v = dict(v)
            what = v.get("what", "")
            if v.get("title") is None:
                if what not in TITLES:
                    raise CannotRebuild(what)
                v["title"] = TITLES[what]
            if "end" not in v:
                start = date.fromisoformat(v["date"])
                match = next((f for f in fines if f.kind == v["kind"] and f.period_start == start), None)
                if match is not None:
                    end = match.period_end
                elif v["kind"] != "quota":
                    end = start
                elif case.rules.quota_period == "month":
                    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
                elif case.rules.quota_period == "week":
                    end = start + timedelta(days=6)
                else:
                    raise CannotRebuild("a per-meeting quota period's end")
                v["end"] = end.isoformat()
            items.append(v)
        return {**ev, **_rules(case), "violations": items}
    except (CannotRebuild, KeyError, TypeError, ValueError):
        return _fallback(ev)


def below_threshold(note: str) -> dict:
    found = BELOW.match(note or "")
    if not found:
        return {"v": VERSION, "fallback": True}
    return {"v": VERSION, "standing": int(found.group(1)), "threshold": int(found.group(2))}


# The migration -------------------------------------------------------------------------------------


def _unversioned(data) -> bool:
    """A cause (or a case's flag) written before the data: present, without a version."""
    return bool(data) and "v" not in data


def _evidence_unversioned(data) -> bool:
    """Evidence written before the data (every fine and case has some; an empty one is rebuilt or flagged too)."""
    return "v" not in (data or {})


def explanations_as_data(apps, schema_editor):
    Fine = apps.get_model("enforcement", "Fine")
    ExpulsionCase = apps.get_model("enforcement", "ExpulsionCase")
    ChapterRules = apps.get_model("enforcement", "ChapterRules")
    zones: dict[str, zoneinfo.ZoneInfo] = {}

    def tz_of(row):
        name = row.chapter.timezone
        return zones.setdefault(name, zoneinfo.ZoneInfo(name))

    fines = Fine.objects.select_related("rules", "chapter", "membership__user", "replaced_by").order_by("pk")
    batch = []
    for fine in fines.iterator(chunk_size=BATCH):
        if (_evidence_unversioned(fine.evidence) or _unversioned(fine.withdrawn_cause)
                or _unversioned(fine.refund_flag_cause)):
            batch.append(fine)
        if len(batch) >= BATCH:
            _fines_batch(apps, batch, tz_of, Fine, ChapterRules)
            batch = []
    if batch:
        _fines_batch(apps, batch, tz_of, Fine, ChapterRules)

    cases = ExpulsionCase.objects.select_related("rules", "chapter").order_by("pk")
    batch = []
    for case in cases.iterator(chunk_size=BATCH):
        below = case.below_threshold_at is not None and case.below_threshold_note and not case.below_threshold_cause
        if _evidence_unversioned(case.evidence) or below:
            batch.append(case)
        if len(batch) >= BATCH:
            _cases_batch(batch, ExpulsionCase)
            batch = []
    if batch:
        _cases_batch(batch, ExpulsionCase)


def _fines_batch(apps, fines, tz_of, Fine, ChapterRules):
    records = Records(apps, [(f.evidence, f.withdrawn_cause) for f in fines]
                      + [(None, f.refund_flag_cause) for f in fines], tz_of)
    for fine in fines:
        if _evidence_unversioned(fine.evidence):
            fine.evidence = fine_evidence(fine, records)
        if _unversioned(fine.withdrawn_cause):
            fine.withdrawn_cause = cause_data(fine, fine.withdrawn_cause, fine.withdrawn_reason, paid=False,
                                              records=records, ChapterRules=ChapterRules)
        if _unversioned(fine.refund_flag_cause):
            fine.refund_flag_cause = cause_data(fine, fine.refund_flag_cause, fine.refund_flag_reason, paid=True,
                                                records=records, ChapterRules=ChapterRules)
    Fine.objects.bulk_update(fines, ["evidence", "withdrawn_cause", "refund_flag_cause"])


def _cases_batch(cases, ExpulsionCase):
    Through = ExpulsionCase.fines.through
    fines_of: dict[int, list] = {}
    for link in Through.objects.filter(expulsioncase_id__in=[c.pk for c in cases]).select_related("fine"):
        fines_of.setdefault(link.expulsioncase_id, []).append(link.fine)
    for case in cases:
        if _evidence_unversioned(case.evidence):
            case.evidence = case_evidence(case, fines_of)
        if case.below_threshold_at is not None and case.below_threshold_note and not case.below_threshold_cause:
            case.below_threshold_cause = below_threshold(case.below_threshold_note)
    ExpulsionCase.objects.bulk_update(cases, ["evidence", "below_threshold_cause"])


class Migration(migrations.Migration):

    dependencies = [
        ("enforcement", "0010_translated_names_and_below_threshold_cause"),
        ("referrals", "0006_admin_indexes"),
        ("members", "0002_one_president"),
    ]

    operations = [
        # Backwards: nothing to undo (the text columns were never changed; older code ignores the new keys).
        migrations.RunPython(explanations_as_data, migrations.RunPython.noop),
    ]
