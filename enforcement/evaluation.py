"""Rule evaluation: which fines and expulsion cases a chapter's records call for, compared with the
fines that stand (reconciliation). Reads only.

Everything is loaded for the whole chapter in a fixed number of queries (filtered Count
aggregates pick the members worth a closer look, one query then fetches their marks or
referrals); the arithmetic runs in Python on those rows, so that every finding can explain
itself line by line. No query runs per member.

Reconciliation: every run re-derives what the evidence calls for in the periods it judges and
compares it with the fines standing there. A missing fine is issued; an unpaid fine the
evidence no longer supports is withdrawn (replaced when the amount or the evidence behind it
changed); a paid one is flagged for a refund decision. `enforcement.changes` says why.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Min, Q

from enforcement import changes
from enforcement.formatting import money, num, plural
from enforcement.models import ChapterRules, ExpulsionCase, Fine, Leave, fine_words
from enforcement.periods import Period, add_months, fixed_window, month_of, rolling_window, week_of
from meetings.models import Attendance, Meeting
from members.models import Membership
from referrals.models import ConsentRequest, Referral

ONE = Decimal("1")
ZERO = Decimal("0")
A = Attendance.Status
NOT_PRESENT = (A.ABSENT, A.LATE, A.MEDICAL, A.SUBSTITUTE)


def lookback_days() -> int:
    return getattr(settings, "ENFORCEMENT_LOOKBACK_DAYS", 183)


# Rules versions ---------------------------------------------------------------------------------


class RulesBook:
    """A chapter's rules versions; answers which one is in force on a local date."""

    def __init__(self, versions: list[ChapterRules]):
        by_day: dict[date, ChapterRules] = {}
        for v in sorted(versions, key=lambda v: (v.effective_from, v.number)):
            by_day[v.effective_from] = v  # same day: the later version wins
        self.versions = list(by_day.values())

    def __bool__(self) -> bool:
        return bool(self.versions)

    @property
    def first_from(self) -> date:
        return self.versions[0].effective_from

    def at(self, day: date) -> ChapterRules | None:
        found = None
        for v in self.versions:
            if v.effective_from <= day:
                found = v
            else:
                break
        return found

    def spans(self, until: date):
        """(version, first day, first day of the next version or `until`) for each version."""
        for i, v in enumerate(self.versions):
            end = self.versions[i + 1].effective_from if i + 1 < len(self.versions) else until
            if v.effective_from < end:
                yield v, v.effective_from, end


def absence_window(rules: ChapterRules, day: date) -> Period:
    if rules.absence_window == ChapterRules.Window.QUARTER:
        return fixed_window(day, months=3, start_month=rules.fixed_start_month)
    if rules.absence_window == ChapterRules.Window.HALF:
        return fixed_window(day, months=6, start_month=rules.fixed_start_month)
    return rolling_window(day, months=rules.window_months)


def window_months(rules: ChapterRules) -> int:
    return {ChapterRules.Window.QUARTER: 3, ChapterRules.Window.HALF: 6}.get(rules.absence_window, rules.window_months)


def window_words(rules: ChapterRules) -> str:
    if rules.absence_window == ChapterRules.Window.ROLLING:
        return f"in any rolling {plural(rules.window_months, 'month')}"
    kind = "quarter" if rules.absence_window == ChapterRules.Window.QUARTER else "half-year"
    return f"per calendar {kind} (starting in {date(2000, rules.fixed_start_month, 1):%B})"


def in_grace(membership: Membership, rules: ChapterRules, day: date) -> bool:
    return day < membership.joined_on + timedelta(days=rules.grace_days)


@dataclass(frozen=True)
class LeaveSpan(Period):
    """A recorded leave as local dates (both ends count; an open leave runs to date.max)."""

    leave_id: int = 0
    reason: str = ""


def leave_spans(*, chapter, membership_ids) -> dict[int, list[LeaveSpan]]:
    """Each member's recorded leave (`Leave` rows), oldest first. One query.

    Only meetings and quota periods inside a leave are excused: a member on leave now is still
    judged for the time before it began, and a member back from leave is not judged on it.
    """
    ids = list(membership_ids)
    if not ids:
        return {}
    spans: dict[int, list[LeaveSpan]] = defaultdict(list)
    for pk, mid, start, end, reason in (
        Leave.objects.filter(chapter=chapter, membership_id__in=ids)
        .order_by("starts_on", "pk")
        .values_list("pk", "membership_id", "starts_on", "ends_on", "reason")
    ):
        spans[mid].append(LeaveSpan(start, end or date.max, leave_id=pk, reason=reason))
    return spans


def on_leave(leave: list[Period], day: date) -> Period | None:
    """The leave covering `day`, or None."""
    return next((p for p in leave if day in p), None)


def on_leave_during(leave: list[Period], period: Period) -> Period | None:
    """A leave overlapping `period` (even by a day), or None: such a quota period is excused."""
    return next((p for p in leave if p.start <= period.end and period.start <= p.end), None)


# Results ----------------------------------------------------------------------------------------


@dataclass
class Finding:
    """A fine the records call for (or a warning, when the rule's amount is zero)."""

    membership: Membership
    kind: str
    period: Period
    rules: ChapterRules
    amount: Decimal
    explanation: str
    evidence: dict
    meeting_id: int | None = None
    replaces: Fine | None = None  # the fine this one is issued in place of (withdrawn in the same run)

    @property
    def basis(self) -> tuple:
        return changes.basis(self.kind, self.evidence, self.amount, self.rules.pk)

    @property
    def key(self) -> tuple[int, str, date, int | None]:
        """What a fine is unique by (see Fine's constraints): per meeting, or per period when there is none."""
        return (self.membership.pk, self.kind, self.period.start, self.meeting_id)

    @property
    def currency(self) -> str:
        return self.rules.currency

    @property
    def summary(self) -> str:
        label = fine_words(self.kind, self.evidence)
        what = "warning" if self.amount == 0 else money(self.amount, self.currency)
        return f"{label}, {self.period.label()}: {what}"


@dataclass
class CaseCandidate:
    membership: Membership
    rules: ChapterRules
    violations: list[dict]  # existing fines (with "fine_id") and new findings, oldest first
    explanation: str
    evidence: dict


@dataclass
class Withdrawal:
    """An unpaid fine the evidence no longer supports (or supports differently: `replacement`)."""

    fine: Fine
    reason: str
    cause: dict
    replacement: Finding | None = None


@dataclass
class RefundFlag:
    """A paid fine the evidence no longer supports: leadership decides on a refund."""

    fine: Fine
    reason: str
    cause: dict


@dataclass
class CaseFlag:
    """An open case whose standing violations fell below (or rose back to) its threshold."""

    case_id: int
    standing: int
    threshold: int
    below: bool


@dataclass
class Evaluation:
    chapter: object
    today: date
    findings: list[Finding] = field(default_factory=list)  # not issued yet (new, or in place of a withdrawn one)
    already_issued: int = 0
    withdrawals: list[Withdrawal] = field(default_factory=list)
    refund_flags: list[RefundFlag] = field(default_factory=list)
    refund_flags_cleared: list[int] = field(default_factory=list)  # paid fines the evidence supports again
    case_flags: list[CaseFlag] = field(default_factory=list)
    cases: list[CaseCandidate] = field(default_factory=list)
    open_case_ids: set[int] = field(default_factory=set)  # membership ids with an open case

    @property
    def changes_anything(self) -> bool:
        return bool(self.findings or self.withdrawals or self.refund_flags or self.refund_flags_cleared
                    or self.case_flags or self.cases)


# Attendance ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    membership_id: int
    meeting_id: int
    day: date
    status: str

    @property
    def order(self) -> tuple[date, int]:
        return (self.day, self.meeting_id)


def _excused(membership: Membership, book: RulesBook, mark: Mark, leave: list[Period]) -> bool:
    """A mark no rule holds against the member: before any rules, in their grace period, or on leave."""
    own = book.at(mark.day)
    return own is None or in_grace(membership, own, mark.day) or (own.exempt_on_leave and bool(on_leave(leave, mark.day)))


def mark_weights(
    *, membership: Membership, marks: list[Mark], book: RulesBook, leave: list[Period] = ()
) -> dict[Mark, tuple[Decimal, str]]:
    """How much of an absence each mark counts for (and a note), every one judged under the version in
    force on its own day: its weights and its substitute and medical allowances, counted in that
    version's window ending on the mark's day. A later version never re-judges a mark, so a
    substitute within the allowance of its day stays within it. Excused marks are left out.
    """
    counted = sorted((m for m in marks if not _excused(membership, book, m, leave)), key=lambda m: m.order)
    out: dict[Mark, tuple[Decimal, str]] = {}
    for i, mark in enumerate(counted):
        own = book.at(mark.day)
        note = ""
        if mark.status == A.ABSENT:
            weight = ONE
        elif mark.status == A.LATE:
            weight = own.late_weight
        elif mark.status in (A.SUBSTITUTE, A.MEDICAL):
            window = absence_window(own, mark.day)
            n = sum(1 for m in counted[: i + 1] if m.status == mark.status and m.day in window)
            sub = mark.status == A.SUBSTITUTE
            allowed = own.substitutes_allowed if sub else own.medical_allowed
            word = "substitute" if sub else "medical"
            if n > allowed:
                weight = ONE
                note = f"{word} {n} of {allowed} allowed: a full absence"
            else:
                weight = own.substitute_weight if sub else own.medical_weight
        else:
            continue
        out[mark] = (weight, note)
    return out


def absence_standing(
    *, membership: Membership, marks: list[Mark], book: RulesBook, day: date, leave: list[Period] = ()
) -> tuple[Decimal, ChapterRules | None, Period | None]:
    """Weighted absences in the window ending `day` under the version in force then."""
    rules = book.at(day)
    if rules is None:
        return ZERO, None, None
    window = absence_window(rules, day)
    weights = mark_weights(membership=membership, marks=marks, book=book, leave=leave)
    return sum((w for m, (w, _) in weights.items() if m.day in window and m.day <= day), ZERO), rules, window


def attendance_findings(
    *, membership: Membership, marks: list[Mark], book: RulesBook, eval_start: date, leave: list[Period] = ()
) -> list[Finding]:
    """Absence-over-the-limit and lateness findings for one member's marks (sorted oldest first).

    `leave`: the member's recorded leave (`leave_spans`); marks made then count for nothing.
    """
    findings = []
    weights = mark_weights(membership=membership, marks=marks, book=book, leave=leave)
    for target in marks:
        if target.day < eval_start or target not in weights:
            continue  # before the judged range, or excused (no rules, grace, leave)
        rules = book.at(target.day)
        late_fee = target.status == A.LATE and rules.fine_late > 0
        window = absence_window(rules, target.day)
        weighed = [(m, *weights[m]) for m in marks if m in weights and m.day in window and m.order <= target.order]
        total = sum((w for _, w, _ in weighed), ZERO)
        own = weights[target][0]
        before = total - own
        units = max(ZERO, total - rules.absences_allowed) - max(ZERO, before - rules.absences_allowed)
        absence = _absence_finding(membership, target, rules, window, weighed, total, before, units, late_fee) \
            if units > 0 else None
        if late_fee:
            findings.append(_late_finding(membership, target, rules, absence))
        if absence is not None:
            findings.append(absence)
    return findings


def _absence_finding(membership, target, rules, window, weighed, total, before, units, late_fee) -> Finding:
    # A late that is also charged a late fee pays its share of an absence fine too only if the rules stack them.
    stacked = not late_fee or rules.late_fee_stacks_with_absence
    amount = (units * rules.fine_absence).quantize(Decimal("0.01")) if stacked else Decimal("0.00")
    lines = [
        f"Rule: version {rules.number} of the chapter's rules (in force from {rules.effective_from:%-d %b %Y}) "
        f"allows {plural(rules.absences_allowed, 'absence')} {window_words(rules)}.",
    ]
    if any(m.status == A.LATE and w > 0 for m, w, _ in weighed):
        lines.append("Late arrivals count toward it too: each is weighed as the version in force on its day says.")
    lines.append(f"Window: {window.label()}. Counted in it:")
    for m, w, note in weighed:
        status = A(m.status).label.lower()
        extra = f" ({note})" if note else ""
        this = " ← this meeting" if m == target else ""
        lines.append(f"  • {m.day:%a %-d %b %Y}: {status} = {num(w)}{extra}{this}")
    lines.append(
        f"Total {num(total)} against {rules.absences_allowed} allowed. Before this meeting: {num(before)}; "
        f"this meeting puts you {num(units)} more over the limit."
    )
    if late_fee:
        lines.append(
            f"This late arrival is also charged a late fee of {money(rules.fine_late, rules.currency)}, a separate "
            "fine (“Late arrival”, same meeting)."
        )
        if not stacked:
            lines.append(
                f"Version {rules.number} does not charge a late twice: no further fine here, but it counts as a "
                "violation toward expulsion."
            )
        else:
            lines.append(f"Version {rules.number} charges both (a late fee stacks with the late's share of an absence).")
    if amount:
        lines.append(f"Fine: {num(units)} × {money(rules.fine_absence, rules.currency)} = "
                     f"{money(amount, rules.currency)}.")
    elif stacked:
        lines.append("The rules set no fine for this: it is recorded as a warning.")
    else:
        lines.append("Recorded as a warning.")
    return Finding(
        membership=membership, kind=Fine.Kind.ABSENCE, period=Period(target.day, target.day), rules=rules,
        amount=amount, explanation="\n".join(lines), meeting_id=target.meeting_id,
        evidence={
            "rules_version": rules.number, "rules_id": rules.pk,
            "window": [window.start.isoformat(), window.end.isoformat()],
            "allowed": rules.absences_allowed,
            "marks": [
                {"meeting_id": m.meeting_id, "date": m.day.isoformat(), "status": m.status,
                 "weight": num(w), "note": note}
                for m, w, note in weighed
            ],
            "total": num(total), "before": num(before), "units": num(units),
            "rate": str(rules.fine_absence), "amount": str(amount), "currency": rules.currency,
            **({"also": {"kind": Fine.Kind.LATE, "amount": str(rules.fine_late), "stacked": stacked}}
               if late_fee else {}),
        },
    )


def _late_finding(membership: Membership, mark: Mark, rules: ChapterRules, absence: Finding | None) -> Finding:
    amount = rules.fine_late
    lines = [
        f"Late at the meeting of {mark.day:%a %-d %b %Y}.",
        f"Rule: version {rules.number} (in force from {rules.effective_from:%-d %b %Y}) fines each late arrival "
        f"{money(amount, rules.currency)}.",
    ]
    if absence is not None:
        what = "warning" if not absence.amount else money(absence.amount, absence.currency)
        lines.append(
            f"The same late also counts as {num(rules.late_weight)} of an absence and puts you over the absence "
            f"limit: see “{fine_words(absence.kind, absence.evidence)}” for this meeting ({what}). "
            + ("The rules charge both." if absence.amount else "It is not charged twice.")
        )
    lines.append(f"Fine: 1 × {money(amount, rules.currency)} = {money(amount, rules.currency)}.")
    evidence = {"rules_version": rules.number, "rules_id": rules.pk, "meeting_id": mark.meeting_id,
                "date": mark.day.isoformat(), "status": mark.status, "rate": str(amount), "amount": str(amount),
                "currency": rules.currency}
    if absence is not None:
        evidence["also"] = {"kind": Fine.Kind.ABSENCE, "amount": str(absence.amount)}
    return Finding(
        membership=membership, kind=Fine.Kind.LATE, period=Period(mark.day, mark.day), rules=rules, amount=amount,
        explanation="\n".join(lines), meeting_id=mark.meeting_id, evidence=evidence,
    )


# Referral quota -------------------------------------------------------------------------------


# What counts toward a quota, as lookups on Referral (see `_counts` for the same in Python).
QUALITY = {
    ChapterRules.QuotaCounts.ALL: {},
    ChapterRules.QuotaCounts.CONSENTED: {"consent__in": [Referral.Consent.CONFIRMED, Referral.Consent.STATED]},
    ChapterRules.QuotaCounts.MEETING: {"status__in": [Referral.Status.MEETING, Referral.Status.WON]},
    ChapterRules.QuotaCounts.WON: {"status": Referral.Status.WON},
}
QUALITY_WORDS = {
    ChapterRules.QuotaCounts.ALL: "every referral given counts",
    ChapterRules.QuotaCounts.CONSENTED: "only referrals whose prospect consented (confirmed or stated) count",
    ChapterRules.QuotaCounts.MEETING: "only referrals that reached a meeting with the prospect (or closed) count",
    ChapterRules.QuotaCounts.WON: "only referrals that closed business count",
}


@dataclass(frozen=True)
class QuotaPeriod:
    period: Period
    rules: ChapterRules
    meeting_id: int | None = None

    @property
    def consent_until(self) -> date | None:
        """When only consented referrals count: the last local day whose consent still counts."""
        if self.rules.quota_counts != ChapterRules.QuotaCounts.CONSENTED:
            return None
        return self.period.end + timedelta(days=self.rules.consent_grace_days)


def quota_period_of(rules: ChapterRules, day: date) -> Period:
    """The week or calendar month of `rules`' kind containing `day` (meeting periods depend on meetings)."""
    return week_of(day) if rules.quota_period == ChapterRules.QuotaPeriod.WEEK else month_of(day)


def quota_judged_from(rules: ChapterRules, period_end: date) -> date:
    """The first local day a quota period ending on `period_end` may be judged: the day after it ends
    (a per-meeting period: after the meeting's day, not when the meeting closes), or after the consent
    grace when only consented referrals count."""
    grace = rules.consent_grace_days if rules.quota_counts == ChapterRules.QuotaCounts.CONSENTED else 0
    return period_end + timedelta(days=1 + grace)


def quota_judge(*, book: RulesBook, kind: str, period: Period) -> ChapterRules | None:
    """The version that judges a quota period of `kind`, or None if none does.

    A week or month is judged by the version in force on its first day, if that version sets a
    quota per such a period (a version starting mid-month first judges the next whole month); a
    meeting period by the version in force on the meeting's day (its last day). A version with
    no quota judges nothing. The evaluation and the standing page both ask this.
    """
    rules = book.at(period.end if kind == ChapterRules.QuotaPeriod.MEETING else period.start)
    if rules is None or rules.quota_period != kind or not rules.referral_quota:
        return None
    return rules


def quota_periods(*, book: RulesBook, today: date, since: date, meetings: list[dict], cadence_days: int):
    """Quota periods that may be judged on `today` (`quota_judged_from`), each with the version that
    judges it (`quota_judge`).

    Week and month periods count from the first whole period under a version; a meeting period
    runs from the day after the previous meeting to the meeting, once the meeting is closed.
    """
    out = []
    for rules, first, until in book.spans(today + timedelta(days=1)):
        if rules.referral_quota == 0:
            continue
        kind = rules.quota_period
        if kind == ChapterRules.QuotaPeriod.MEETING:
            held = [m for m in meetings if m["status"] != Meeting.Status.CANCELLED]
            # Meetings sharing a day (a one-off the evening of a regular one) close one period, at the last.
            held = [m for i, m in enumerate(held) if i + 1 == len(held) or held[i + 1]["local_date"] != m["local_date"]]
            for i, m in enumerate(held):
                if not since <= m["local_date"] or m["status"] != Meeting.Status.CLOSED:
                    continue
                if quota_judged_from(rules, m["local_date"]) > today:
                    continue  # the meeting's day (or the consent grace) has not ended in the chapter's timezone
                prev = held[i - 1]["local_date"] if i else m["local_date"] - timedelta(days=cadence_days)
                p = Period(prev + timedelta(days=1), m["local_date"])
                if quota_judge(book=book, kind=kind, period=p) is rules:
                    out.append(QuotaPeriod(p, rules, m["id"]))
            continue
        p = quota_period_of(rules, max(first, since))
        while p.start < until and quota_judged_from(rules, p.end) <= today:
            if quota_judge(book=book, kind=kind, period=p) is rules:
                out.append(QuotaPeriod(p, rules))
            p = quota_period_of(rules, p.end + timedelta(days=1))
    return out


def current_quota_period(*, book: RulesBook, today: date, meeting_period: Period | None) -> QuotaPeriod | None:
    """The quota period running on `today` that the evaluation will judge once it ends, or None.

    Each version in force by `today` proposes its own kind of period around today (a meeting
    period is `meeting_period`: from the day after the last meeting to the next); `quota_judge`
    keeps the ones it judges. Should a change of kind leave two running, the newer version's wins.
    """
    for rules in reversed([v for v in book.versions if v.effective_from <= today]):
        kind = rules.quota_period
        if kind == ChapterRules.QuotaPeriod.MEETING:
            if meeting_period is None:
                continue
            period = meeting_period
        else:
            period = quota_period_of(rules, today)
        judge = quota_judge(book=book, kind=kind, period=period)
        if judge is not None:
            return QuotaPeriod(period, judge)
    return None


def _referral_words(r: dict) -> str:
    """A referral's status and consent in words: 'given; consent not asked'."""
    status = Referral.Status(r["status"]).label.lower() if r["status"] in Referral.Status.values else r["status"]
    consent = Referral.Consent(r["consent"]).label.lower() if r["consent"] in Referral.Consent.values else r["consent"]
    return f"{status}; consent {consent}"


def _quota_explanation(qp: QuotaPeriod, counted: list[dict], not_counted: list[dict], tz) -> str:
    rules = qp.rules
    per = ChapterRules.QuotaPeriod(rules.quota_period).label.split(" (")[0].lower()
    lines = [
        f"Rule: version {rules.number} (in force from {rules.effective_from:%-d %b %Y}) asks for "
        f"{rules.referral_quota} referral{'s' if rules.referral_quota != 1 else ''} per {per}; "
        f"{QUALITY_WORDS[rules.quota_counts]}.",
        f"Period: {qp.period.label()}.",
    ]
    if qp.consent_until:
        lines.append(
            f"Consent given up to {qp.consent_until:%a %-d %b %Y} counts "
            f"({plural(rules.consent_grace_days, 'day')} after the period)."
        )
    if counted:
        lines.append(f"Counted ({len(counted)}):")
        for r in counted:
            lines.append(f"  • {r['created_at'].astimezone(tz):%a %-d %b %Y}: to {r['receiver']} ({r['status']})")
    else:
        lines.append("Counted: none.")
    if not_counted:
        others = len(not_counted)
        lines.append(f"{others} other referral{'s' if others != 1 else ''} given in the period did not count:")
        for r in not_counted:
            late = ""
            if qp.consent_until and r.get("consented_at") and r["consent"] == Referral.Consent.CONFIRMED:
                late = f", confirmed {r['consented_at'].astimezone(tz):%-d %b %Y}: after the grace"
            lines.append(
                f"  • {r['created_at'].astimezone(tz):%a %-d %b %Y}: to {r['receiver']} ({_referral_words(r)}{late})"
            )
    short = rules.referral_quota - len(counted)
    lines.append(f"{len(counted)} of {rules.referral_quota}: short by {short}.")
    if rules.fine_quota:
        lines.append(f"Fine: {money(rules.fine_quota, rules.currency)} for the period.")
    else:
        lines.append("The rules set no fine for this: it is recorded as a warning.")
    return "\n".join(lines)


# The whole chapter -----------------------------------------------------------------------------


def chapter_evaluate(*, chapter, today: date) -> Evaluation:
    """What the chapter's records call for on `today` (a local date), compared with what stands.

    Queries: rules, seated members, leave, standing fines, marks (2), meetings, referral counts,
    referrals for the evidence, open cases, violations on record, the fines of open cases; and,
    only when something is withdrawn or flagged, the records that explain why (`changes`).
    None of them runs per member.
    """
    result = Evaluation(chapter=chapter, today=today)
    book = RulesBook(list(chapter.rules_versions.all()))  # query: rules versions
    if not book:
        return result
    eval_start = max(book.first_from, today - timedelta(days=lookback_days()))
    # Marks back to twice the longest window: a mark at the start of a judged window is weighed by
    # the allowances counted in its own version's window, which reaches back one more window.
    mark_start = add_months(eval_start, -2 * max(window_months(v) for v in book.versions))
    members = {
        m.pk: m
        for m in Membership.objects.filter(chapter=chapter, status__in=Membership.SEATED_STATUSES).select_related("user")
    }  # query: seated members
    leave = leave_spans(chapter=chapter, membership_ids=members)  # query: recorded leave
    standing = [
        f for f in Fine.objects.filter(chapter=chapter, membership_id__in=list(members), period_end__gte=eval_start)
        .exclude(status=Fine.Status.WITHDRAWN).select_related("rules")
        if _judged_in_run(f, eval_start, today)
    ]  # query: fines standing in the judged range

    findings, weights_now = _attendance(chapter, book, members, today, eval_start, mark_start, leave)
    quota_findings, referrals_seen = _quota(chapter, book, members, today, eval_start, leave, standing)
    findings += quota_findings
    _reconcile(result, chapter, book, members, leave, findings, standing, referrals_seen, weights_now)
    result.findings.sort(key=lambda f: (f.membership.display_name, f.period.start, f.kind))
    withdrawn = {w.fine.pk for w in result.withdrawals if w.replacement is None}
    result.cases, result.open_case_ids = _cases(chapter, book, members, today, result.findings, withdrawn, leave)
    result.case_flags = _case_flags(chapter, result)
    return result


def _judged_in_run(fine: Fine, eval_start: date, today: date) -> bool:
    """Whether this run judges the fine's meeting or period (else it is left as it stands)."""
    if fine.kind == Fine.Kind.QUOTA:
        # Judged only once due: a per-meeting fine issued on the meeting's day by an older release
        # is not withdrawn on that day and re-issued the next.
        return quota_judged_from(fine.rules, fine.period_end) <= today
    return fine.period_start >= eval_start


def _reconcile(result, chapter, book, members, leave, findings, standing, referrals_seen, weights_now) -> None:
    """Compare what the evidence calls for with the fines that stand, and fill in `result`."""
    called = {f.key: f for f in findings}
    stands = {}
    for fine in standing:
        stands[(fine.membership_id, fine.kind, fine.period_start, fine.meeting_id)] = fine
    unsupported: list[tuple[Fine, Finding | None]] = []
    for key, finding in called.items():
        fine = stands.get(key)
        if fine is None:
            result.findings.append(finding)
            continue
        result.already_issued += 1
        if fine.status == Fine.Status.OPEN and changes.basis_of(fine) != finding.basis:
            unsupported.append((fine, finding))  # the evidence calls for it differently: withdraw and re-issue
        elif fine.status == Fine.Status.PAID and fine.amount > finding.amount and not fine.refund_decision:
            if fine.refund_flagged_at is None:
                unsupported.append((fine, finding))  # paid more than the evidence now calls for
        elif fine.refund_flagged_at is not None and not fine.refund_decision and fine.status == Fine.Status.PAID:
            result.refund_flags_cleared.append(fine.pk)  # supported again (e.g. a correction undone)
    for key, fine in stands.items():
        if key in called:
            continue
        if fine.status == Fine.Status.OPEN:
            unsupported.append((fine, None))
        elif fine.status == Fine.Status.PAID and fine.refund_flagged_at is None and not fine.refund_decision:
            unsupported.append((fine, None))
    if not unsupported:
        return
    why = changes.explain_all(
        chapter=chapter, book=book, members=members, leave=leave, items=unsupported, referrals=referrals_seen,
        weights=weights_now,
    )  # queries: the records that changed
    for fine, finding in unsupported:
        reason, cause = why[fine.pk]
        if fine.status == Fine.Status.OPEN:
            if finding is not None:
                finding.replaces = fine
                result.findings.append(finding)
                result.already_issued -= 1
            result.withdrawals.append(Withdrawal(fine=fine, reason=reason, cause=cause, replacement=finding))
        else:
            result.refund_flags.append(RefundFlag(fine=fine, reason=reason, cause=cause))


def _attendance(chapter, book, members, today, eval_start, mark_start, leave) -> tuple[list[Finding], dict]:
    """Attendance findings, and each looked-at mark's weight now ((member, meeting) → weight), which
    explains a withdrawn fine whose marks weigh differently."""
    rows = Attendance.objects.filter(
        meeting__chapter=chapter, meeting__status=Meeting.Status.CLOSED,
        meeting__local_date__range=(mark_start, today), membership_id__in=list(members), status__in=NOT_PRESENT,
    )
    fines_late = any(v.fine_late > 0 for v in book.versions)
    least_allowed = min(v.absences_allowed for v in book.versions)
    # Weights are at most 1, so nobody with no more marks than the smallest allowance can be
    # over a limit: one filtered Count per member picks who to look at closely.
    candidates = [
        r["membership_id"]
        for r in rows.values("membership_id").annotate(
            marks=Count("pk"),
            late=Count("pk", filter=Q(status=A.LATE, meeting__local_date__gte=eval_start)),
        )  # query: marks per member
        if r["marks"] > least_allowed or (fines_late and r["late"])
    ]
    if not candidates:
        return [], {}
    by_member: dict[int, list[Mark]] = defaultdict(list)
    for mid, meeting_id, day, status in (
        rows.filter(membership_id__in=candidates)
        .order_by("meeting__local_date", "meeting_id")
        .values_list("membership_id", "meeting_id", "meeting__local_date", "status")
    ):  # query: the candidates' marks
        by_member[mid].append(Mark(mid, meeting_id, day, status))
    out, weights = [], {}
    for mid, marks in by_member.items():
        out += attendance_findings(
            membership=members[mid], marks=marks, book=book, eval_start=eval_start, leave=leave.get(mid, [])
        )
        for m, (w, note) in mark_weights(membership=members[mid], marks=marks, book=book,
                                         leave=leave.get(mid, [])).items():
            weights[(mid, m.meeting_id)] = (num(w), note)
    return out, weights


CONSENT_GIVEN = (ConsentRequest.Outcome.CONFIRMED, ConsentRequest.Outcome.WITHDRAWN)


def _consent_in_time(prefix: str, until) -> Q:
    """Consent that counts: stated by the giver (when giving it), or confirmed by the prospect before
    `until` (aware datetime). A confirmation later withdrawn still counts: the prospect agreed in time.
    A referral marked confirmed with no consent link on record counts as confirmed when given."""
    p = prefix
    return (
        Q(**{f"{p}consent": Referral.Consent.STATED})
        | Q(**{f"{p}consent_requests__outcome__in": CONSENT_GIVEN, f"{p}consent_requests__answered_at__lt": until})
        | Q(**{f"{p}consent": Referral.Consent.CONFIRMED, f"{p}consent_requests__isnull": True})
    )


def _quota(chapter, book, members, today, eval_start, leave, standing) -> tuple[list[Finding], dict]:
    """Quota findings, and the referrals looked at (per member) for explaining withdrawn quota fines."""
    if not any(v.referral_quota for v in book.versions):
        return [], {}
    meetings = list(
        Meeting.objects.filter(chapter=chapter, local_date__gte=eval_start - timedelta(days=62), local_date__lte=today)
        .order_by("starts_at")
        .values("id", "local_date", "status")
    )  # query: meetings, for per-meeting quotas
    cadence_days = 14 if chapter.cadence == chapter.Cadence.BIWEEKLY else 7
    periods = quota_periods(book=book, today=today, since=eval_start, meetings=meetings, cadence_days=cadence_days)
    if not periods:
        return [], {}
    tz = chapter.tz
    annotations = {}
    for i, qp in enumerate(periods):
        lo, hi = qp.period.utc_bounds(tz)
        window = Q(referrals_given__created_at__gte=lo, referrals_given__created_at__lt=hi)
        if qp.consent_until:
            quality = _consent_in_time("referrals_given__", Period(qp.consent_until, qp.consent_until).utc_bounds(tz)[1])
        else:
            quality = Q(**{f"referrals_given__{k}": v for k, v in QUALITY[qp.rules.quota_counts].items()})
        # distinct: the join to consent links may repeat a referral
        annotations[f"p{i}"] = Count("referrals_given", filter=window & quality, distinct=True)
    counts = {
        row["pk"]: row
        for row in Membership.objects.filter(pk__in=list(members)).annotate(**annotations).values("pk", *annotations)
    }  # query: referrals per member and period, as filtered Counts
    short: list[tuple[Membership, QuotaPeriod]] = []
    for i, qp in enumerate(periods):
        for pk, m in members.items():
            if in_grace(m, qp.rules, qp.period.start):
                continue
            if qp.rules.exempt_on_leave and on_leave_during(leave.get(pk, []), qp.period):
                continue  # on leave for some of the period: excused from its quota
            if counts[pk][f"p{i}"] < qp.rules.referral_quota:
                short.append((m, qp))
    # Members with a standing quota fine too: if it is withdrawn, its referrals say why.
    fined = {f.membership_id for f in standing if f.kind == Fine.Kind.QUOTA}
    givers = {m.pk for m, _ in short} | fined
    if not givers:
        return [], {}
    bounds = [qp.period.utc_bounds(tz) for qp in periods]
    lo, hi = min(b[0] for b in bounds), max(b[1] for b in bounds)
    given: dict[int, list[dict]] = defaultdict(list)
    for r in (
        Referral.objects.filter(giver_id__in=givers, created_at__gte=lo, created_at__lt=hi)
        .annotate(consented_at=Min("consent_requests__answered_at", filter=Q(consent_requests__outcome__in=CONSENT_GIVEN)),
                  links=Count("consent_requests"))
        .order_by("created_at")
        .values("pk", "giver_id", "created_at", "status", "consent", "consented_at", "links",
                "receiver__user__full_name", "receiver__user__email")
    ):  # query: the referrals of those members, for the evidence
        r["receiver"] = r["receiver__user__full_name"] or r["receiver__user__email"]
        given[r["giver_id"]].append(r)
    out = []
    for m, qp in short:
        lo_p, hi_p = qp.period.utc_bounds(tz)
        until = Period(qp.consent_until, qp.consent_until).utc_bounds(tz)[1] if qp.consent_until else None
        in_period = [r for r in given[m.pk] if lo_p <= r["created_at"] < hi_p]
        counted = [r for r in in_period if _counts(r, qp.rules.quota_counts, until)]
        not_counted = [r for r in in_period if not _counts(r, qp.rules.quota_counts, until)]
        rules = qp.rules
        amount = rules.fine_quota
        out.append(
            Finding(
                membership=m, kind=Fine.Kind.QUOTA, period=qp.period, rules=rules, amount=amount,
                explanation=_quota_explanation(qp, counted, not_counted, tz),
                meeting_id=qp.meeting_id,
                evidence={
                    "rules_version": rules.number, "rules_id": rules.pk,
                    "period": [qp.period.start.isoformat(), qp.period.end.isoformat()],
                    "quota": rules.referral_quota, "counts": rules.quota_counts,
                    **({"consent_until": qp.consent_until.isoformat()} if qp.consent_until else {}),
                    "counted": [{"referral_id": r["pk"], "date": r["created_at"].astimezone(tz).date().isoformat(),
                                 "status": r["status"], "consent": r["consent"]} for r in counted],
                    "not_counted": len(not_counted),
                    "not_counted_referrals": [
                        {"referral_id": r["pk"], "date": r["created_at"].astimezone(tz).date().isoformat(),
                         "status": r["status"], "consent": r["consent"]} for r in not_counted
                    ],
                    "amount": str(amount), "currency": rules.currency,
                },
            )
        )
    return out, given


def _counts(referral: dict, counts: str, consent_until=None) -> bool:
    """Whether a referral counts toward a quota (`QUALITY` and `_consent_in_time` say the same in SQL)."""
    if counts == ChapterRules.QuotaCounts.CONSENTED:
        if referral["consent"] == Referral.Consent.STATED:
            return True
        if referral["consent"] == Referral.Consent.CONFIRMED and not referral.get("links"):
            return True
        at = referral.get("consented_at")
        if consent_until is None:
            return referral["consent"] in Referral.CONSENTED
        return at is not None and at < consent_until
    if counts == ChapterRules.QuotaCounts.MEETING:
        return referral["status"] in (Referral.Status.MEETING, Referral.Status.WON)
    if counts == ChapterRules.QuotaCounts.WON:
        return referral["status"] == Referral.Status.WON
    return True


# Expulsion cases ------------------------------------------------------------------------------


def expulsion_since(rules: ChapterRules, today: date) -> date:
    """Violations after this local date count toward the expulsion threshold on `today`."""
    return add_months(today, -rules.expulsion_months)


def expulsion_first_day(rules: ChapterRules, today: date) -> date:
    """The first local date whose violations count on `today` (the day after `expulsion_since`): what pages say."""
    return expulsion_since(rules, today) + timedelta(days=1)


def violations_on_record(*, chapter, since: date, membership_ids=None) -> dict[int, list[dict]]:
    """Issued violations that count toward expulsion, per member, oldest first: absence and quota
    fines (warnings included) after `since`, not waived, withdrawn or refunded, not weighed in an
    earlier case. One query.

    The evaluation opens cases from these; the standing page shows the same count.
    """
    qs = Fine.objects.filter(
        chapter=chapter, kind__in=Fine.VIOLATION_KINDS, period_start__gt=since, expulsion_cases__isnull=True,
    ).exclude(status__in=[Fine.Status.WAIVED, *Fine.VOID_STATUSES]).exclude(
        Q(refund_flagged_at__isnull=False) & ~Q(refund_decision=Fine.RefundDecision.KEEP)
    )  # a paid fine the evidence no longer supports counts only if leadership decided to keep it
    if membership_ids is not None:
        qs = qs.filter(membership_id__in=list(membership_ids))
    out: dict[int, list[dict]] = defaultdict(list)
    for fine in qs.order_by("period_start").values(
        "pk", "membership_id", "kind", "period_start", "period_end", "amount", "currency", "evidence"
    ):
        out[fine["membership_id"]].append(
            {"fine_id": fine["pk"], "kind": fine["kind"], "date": fine["period_start"], "end": fine["period_end"],
             "amount": fine["amount"], "currency": fine["currency"], "what": fine_words(fine["kind"], fine["evidence"])}
        )
    return out


def violation_heading(items: list[dict]) -> str:
    """What the violations are, naming lates only where lates were counted and absences only where
    absences were: a member whose counted marks are all lates never reads "absences over the limit"."""
    whats = {v["what"] for v in items if v["kind"] == Fine.Kind.ABSENCE}
    lates = any(w.startswith("Lates") for w in whats)
    absences = any("bsence" in w for w in whats)
    words = {(True, True): "lates and absences over the limit", (True, False): "lates over the limit",
             (False, True): "absences over the limit"}.get((lates, absences), "")
    if any(v["kind"] == Fine.Kind.QUOTA for v in items):
        words = f"{words} and missed quotas" if words else "missed quotas"
    return words


def _cases(chapter, book, members, today, new_findings, withdrawn, leave) -> tuple[list[CaseCandidate], set[int]]:
    rules = book.at(today)
    open_ids = set(
        ExpulsionCase.objects.filter(chapter=chapter, status=ExpulsionCase.Status.OPEN).values_list(
            "membership_id", flat=True
        )
    )  # query: open cases
    if rules is None:
        return [], open_ids
    since = expulsion_since(rules, today)
    violations = violations_on_record(chapter=chapter, since=since)  # query: violations already on record
    replaced = {f.replaces.pk for f in new_findings if f.replaces is not None}
    on_record = {v["fine_id"] for items in violations.values() for v in items}
    for mid in list(violations):
        # Fines this run withdraws (or replaces) no longer count.
        violations[mid] = [v for v in violations[mid] if v["fine_id"] not in withdrawn and v["fine_id"] not in replaced]
    for f in new_findings:
        if f.replaces is not None and f.replaces.pk not in on_record:
            continue  # replaces a fine weighed in an earlier case (it joins that case) or not counted anyway
        if f.kind in Fine.VIOLATION_KINDS and f.period.start > since:
            violations[f.membership.pk].append(
                {"fine_id": None, "key": f.key, "kind": f.kind, "date": f.period.start, "end": f.period.end,
                 "amount": f.amount, "currency": f.currency, "what": fine_words(f.kind, f.evidence)}
            )
    out = []
    for mid, items in violations.items():
        m = members.get(mid)
        if m is None or mid in open_ids or len(items) < rules.expulsion_violations:
            continue
        if rules.exempt_on_leave and on_leave(leave.get(mid, []), today):
            continue  # on leave today: the case waits until they are back (the violations stay on record)
        items.sort(key=lambda v: v["date"])
        lines = [
            f"Rule: version {rules.number} (in force from {rules.effective_from:%-d %b %Y}): "
            f"{plural(rules.expulsion_violations, 'violation')} within {plural(rules.expulsion_months, 'month')} "
            f"make{'s' if rules.expulsion_violations == 1 else ''} a member "
            f"an expulsion candidate.",
            f"Violations since {expulsion_first_day(rules, today):%-d %b %Y} ({violation_heading(items)}, "
            f"not waived, not weighed in an earlier case):",
        ]
        for v in items:
            what = "warning" if v["amount"] == 0 else money(v["amount"], v["currency"])
            when = Period(v["date"], v.get("end") or v["date"]).label()  # a day, or a quota period
            lines.append(f"  • {when}: {v['what'].lower()} ({what})")
        lines.append(f"{plural(len(items), 'violation')} ≥ {rules.expulsion_violations}: an admin will review the case.")
        out.append(
            CaseCandidate(
                membership=m, rules=rules, violations=items, explanation="\n".join(lines),
                evidence={
                    "rules_version": rules.number, "rules_id": rules.pk, "threshold": rules.expulsion_violations,
                    "months": rules.expulsion_months, "since": since.isoformat(),
                    "violations": [
                        {"kind": v["kind"], "what": v["what"], "date": v["date"].isoformat(),
                         "amount": str(v["amount"]), "currency": v["currency"]}
                        for v in items
                    ],
                },
            )
        )
    out.sort(key=lambda c: c.membership.display_name)
    return out, open_ids


def _case_flags(chapter, result: Evaluation) -> list[CaseFlag]:
    """Open cases whose violations still standing (not withdrawn or refunded; a replaced fine counts
    through its replacement) fell below the threshold they were opened at, or rose back to it."""
    if not result.open_case_ids:
        return []
    gone = {w.fine.pk for w in result.withdrawals if w.replacement is None}
    flagged = {r.fine.pk for r in result.refund_flags}  # paid, unsupported: may be refunded
    rows = defaultdict(lambda: {"standing": 0})
    for case_id, threshold, below_at, fine_id, status, refund_at, decision in ExpulsionCase.objects.filter(
        chapter=chapter, status=ExpulsionCase.Status.OPEN
    ).values_list("pk", "rules__expulsion_violations", "below_threshold_at", "fines__id", "fines__status",
                  "fines__refund_flagged_at", "fines__refund_decision"):  # query: the open cases' fines
        row = rows[case_id]
        row.update(threshold=threshold, below=below_at is not None)
        unsupported = fine_id in gone or fine_id in flagged or (refund_at is not None and decision != "keep")
        if fine_id is not None and status not in Fine.VOID_STATUSES and not unsupported:
            row["standing"] += 1
    out = []
    for case_id, row in sorted(rows.items()):
        below = row["standing"] < row["threshold"]
        if below != row["below"]:
            out.append(CaseFlag(case_id=case_id, standing=row["standing"], threshold=row["threshold"], below=below))
    return out
