"""Rule evaluation: which fines and expulsion cases a chapter's records call for, compared with the
fines that stand (reconciliation). Reads only.

Chapters are evaluated in batches (`chapters_evaluate`; one chapter is a batch of one): each kind
of record is loaded for the whole batch in one query (`chapter_id IN (…)`), then the arithmetic
runs per chapter in Python on those rows, so that every finding can explain itself line by line.
No query runs per chapter or per member. Explanations (and the receiver names they quote) are
built only for the findings that will be written.

A run judges either the whole lookback (`judged_after` unset: after a change of evidence) or only
the meetings and quota periods that came due after the chapter's last evaluation (the sweep's
incremental run); fines outside what a run judges are left as they stand.

Reconciliation: every run re-derives what the evidence calls for in the periods it judges and
compares it with the fines standing there. A missing fine is issued; an unpaid fine the
evidence no longer supports is withdrawn (replaced when the amount or the evidence behind it
changed); a paid one is flagged for a refund decision. `enforcement.changes` says why.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import Q

from enforcement import changes, explain
from enforcement.models import ChapterRules, ExpulsionCase, Fine, Leave
from enforcement.periods import Period, add_months, fixed_window, month_of, rolling_window, week_of
from leadsgroups.formats import plain_number
from meetings.models import Attendance, Meeting
from members.models import Membership
from referrals.models import ConsentRequest, Referral

ONE = Decimal("1")
ZERO = Decimal("0")
A = Attendance.Status
NOT_PRESENT = (A.ABSENT, A.LATE, A.MEDICAL, A.SUBSTITUTE)
MARKS_MEETINGS_PER_QUERY = 2000


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
    """"in any rolling 6 months", "per calendar quarter (starting in January)", in the active language."""
    return explain.window_words(rules.absence_window, rules.window_months, rules.fixed_start_month)


def rules_evidence(rules: ChapterRules) -> dict:
    """What every finding's evidence says of the version that judged it."""
    return {"v": explain.VERSION, "rules_version": rules.number, "rules_id": rules.pk,
            "rules_from": rules.effective_from.isoformat()}


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
    evidence: dict = field(default_factory=dict)  # the facts and the arithmetic (`enforcement.explain` words them)
    meeting_id: int | None = None
    evidence_referrals: list[dict] = field(default_factory=list, repr=False)  # quota: the referrals it names
    replaces: Fine | None = None  # the fine this one is issued in place of (withdrawn in the same run)

    @cached_property
    def explanation(self) -> str:
        """The English snapshot stored with the fine (pages render the evidence in the reader's language)."""
        return explain.snapshot(explain.fine_text, self.kind, self.evidence)

    @property
    def explained(self) -> str:
        """The explanation in the active language."""
        return explain.fine_text(self.kind, self.evidence)

    @property
    def title_key(self) -> str:
        return explain.title_key(self.kind, self.evidence)

    @property
    def title(self) -> str:
        return explain.title(self.title_key)

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
        """"Absence over the limit, Wed, 7 Jan 2026: £10.00", in the active language."""
        return explain.fine_summary(self.title_key, self.period.start, self.period.end, self.amount, self.currency)


@dataclass
class CaseCandidate:
    membership: Membership
    rules: ChapterRules
    violations: list[dict]  # existing fines (with "fine_id") and new findings, oldest first
    evidence: dict  # the rule and the violations weighed (`enforcement.explain.case_text` words them)

    @cached_property
    def explanation(self) -> str:
        """The English snapshot stored with the case."""
        return explain.snapshot(explain.case_text, self.evidence)

    @property
    def explained(self) -> str:
        return explain.case_text(self.evidence)


@dataclass
class Withdrawal:
    """An unpaid fine the evidence no longer supports (or supports differently: `replacement`).

    `reason` is the English snapshot stored with the fine; `explained` the same in the active language."""

    fine: Fine
    reason: str
    cause: dict
    replacement: Finding | None = None

    @property
    def explained(self) -> str:
        return explain.cause_text(self.cause)


@dataclass
class RefundFlag:
    """A paid fine the evidence no longer supports: leadership decides on a refund."""

    fine: Fine
    reason: str
    cause: dict

    @property
    def explained(self) -> str:
        return explain.cause_text(self.cause)


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
    next_due_on: date | None = None  # when time alone next may change the outcome (`_next_due`)

    @property
    def changes_anything(self) -> bool:
        return bool(self.findings or self.withdrawals or self.refund_flags or self.refund_flags_cleared
                    or self.case_flags or self.cases)


# Attendance ------------------------------------------------------------------------------------


class Mark(NamedTuple):
    """A not-present mark (a tuple: a year's marks are hashed and compared millions of times)."""

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
) -> dict[Mark, tuple[Decimal, dict | None]]:
    """How much of an absence each mark counts for (and why, when beyond its allowance: `{"count": 4,
    "allowed": 3}`), every one judged under the version in force on its own day: its weights and its
    substitute and medical allowances, counted in that version's window ending on the mark's day. A
    later version never re-judges a mark, so a substitute within the allowance of its day stays within
    it. Excused marks are left out.
    """
    counted = sorted((m for m in marks if not _excused(membership, book, m, leave)), key=lambda m: m.order)
    out: dict[Mark, tuple[Decimal, dict | None]] = {}
    for i, mark in enumerate(counted):
        own = book.at(mark.day)
        note = None
        if mark.status == A.ABSENT:
            weight = ONE
        elif mark.status == A.LATE:
            weight = own.late_weight
        elif mark.status in (A.SUBSTITUTE, A.MEDICAL):
            window = absence_window(own, mark.day)
            n = sum(1 for m in counted[: i + 1] if m.status == mark.status and m.day in window)
            sub = mark.status == A.SUBSTITUTE
            allowed = own.substitutes_allowed if sub else own.medical_allowed
            if n > allowed:
                weight = ONE
                note = {"count": n, "allowed": allowed}
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
    *, membership: Membership, marks: list[Mark], book: RulesBook, eval_start: date, leave: list[Period] = (),
    weights: dict[Mark, tuple[Decimal, dict | None]] | None = None,
) -> list[Finding]:
    """Absence-over-the-limit and lateness findings for one member's marks (sorted oldest first).

    `leave`: the member's recorded leave (`leave_spans`); marks made then count for nothing.
    `weights`: the marks' `mark_weights`, if the caller has them already.
    """
    findings = []
    if weights is None:
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
    return Finding(
        membership=membership, kind=Fine.Kind.ABSENCE, period=Period(target.day, target.day), rules=rules,
        amount=amount, meeting_id=target.meeting_id,
        evidence={
            **rules_evidence(rules), "meeting_id": target.meeting_id, "date": target.day.isoformat(),
            "window": [window.start.isoformat(), window.end.isoformat()],
            "window_kind": rules.absence_window, "window_months": window_months(rules),
            "window_start_month": rules.fixed_start_month,
            "allowed": rules.absences_allowed,
            "marks": [
                {"meeting_id": m.meeting_id, "date": m.day.isoformat(), "status": m.status,
                 "weight": plain_number(w), **({"over": over} if over else {})}
                for m, w, over in weighed
            ],
            "total": plain_number(total), "before": plain_number(before), "units": plain_number(units),
            "rate": str(rules.fine_absence), "amount": str(amount), "currency": rules.currency,
            **({"also": {"kind": Fine.Kind.LATE, "amount": str(rules.fine_late), "stacked": stacked}}
               if late_fee else {}),
        },
    )


def _late_finding(membership: Membership, mark: Mark, rules: ChapterRules, absence: Finding | None) -> Finding:
    amount = rules.fine_late
    evidence = {**rules_evidence(rules), "meeting_id": mark.meeting_id, "date": mark.day.isoformat(),
                "status": mark.status, "rate": str(amount), "amount": str(amount), "currency": rules.currency,
                "late_weight": plain_number(rules.late_weight)}
    if absence is not None:
        evidence["also"] = {"kind": Fine.Kind.ABSENCE, "amount": str(absence.amount), "title": absence.title_key}
    return Finding(
        membership=membership, kind=Fine.Kind.LATE, period=Period(mark.day, mark.day), rules=rules, amount=amount,
        meeting_id=mark.meeting_id, evidence=evidence,
    )


# Referral quota -------------------------------------------------------------------------------


# What counts toward a quota, as lookups on Referral (see `_counts` for the same in Python).
QUALITY = {
    ChapterRules.QuotaCounts.ALL: {},
    ChapterRules.QuotaCounts.CONSENTED: {"consent__in": [Referral.Consent.CONFIRMED, Referral.Consent.STATED]},
    ChapterRules.QuotaCounts.MEETING: {"status__in": [Referral.Status.MEETING, Referral.Status.WON]},
    ChapterRules.QuotaCounts.WON: {"status": Referral.Status.WON},
    ChapterRules.QuotaCounts.WEIGHTED: {},  # each weighed by `quota_weights`
}
QUALITY_WORDS = explain.QUALITY_WORDS  # what counts toward a quota, in words


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


# The whole chapter, and batches of chapters ------------------------------------------------------


@dataclass
class _Scope:
    """What one evaluation of one chapter judges: `judged_after` set, only what came due after that
    local date (an incremental run of the sweep); unset, the whole lookback (a full run)."""

    chapter: object
    today: date
    judged_after: date | None
    book: RulesBook
    eval_start: date  # the lookback's first day
    since: date  # the first day whose marks are judged in this run
    mark_start: date  # marks from here weigh the judged ones
    fines_from: date  # standing fines ending before this are not judged in this run

    @classmethod
    def of(cls, chapter, today: date, judged_after: date | None, book: RulesBook) -> _Scope:
        eval_start = max(book.first_from, today - timedelta(days=lookback_days()))
        since = eval_start if judged_after is None else max(eval_start, judged_after + timedelta(days=1))
        # Marks back to twice the longest window: a mark at the start of a judged window is weighed by
        # the allowances counted in its own version's window, which reaches back one more window.
        mark_start = add_months(since, -2 * max(window_months(v) for v in book.versions))
        fines_from = eval_start
        if judged_after is not None:  # a quota period is judged up to its consent grace after it ends
            grace = max(v.consent_grace_days for v in book.versions)
            fines_from = max(eval_start, judged_after - timedelta(days=grace + 1))
        return cls(chapter, today, judged_after, book, eval_start, since, mark_start, fines_from)

    def judges(self, fine: Fine) -> bool:
        """Whether this run judges the fine's meeting or period (else it is left as it stands)."""
        if fine.period_end < self.fines_from:
            return False
        if fine.kind == Fine.Kind.QUOTA:
            # Judged only once due: a per-meeting fine issued on the meeting's day by an older release
            # is not withdrawn on that day and re-issued the next.
            due = quota_judged_from(fine.rules, fine.period_end)
            return due <= self.today and (self.judged_after is None or due > self.judged_after)
        return fine.period_start >= self.since


def chapter_evaluate(*, chapter, today: date, judged_after: date | None = None) -> Evaluation:
    """What the chapter's records call for on `today` (a local date), compared with what stands.

    `judged_after`: judge only what came due after that local date (the sweep's incremental run;
    everything due by then was judged). The same code as a batch of one (`chapters_evaluate`).
    """
    return chapters_evaluate([(chapter, today, judged_after)])[chapter.pk]


def chapters_evaluate(items: list[tuple]) -> dict[int, Evaluation]:
    """Evaluations of many chapters, each item (chapter, local today, judged_after or None).

    Queries, for the whole batch (none per chapter or member): rules, seated members, leave,
    standing fines, marks, meetings, referrals (and their consent links, if a quota counts
    consent), open cases with their fines, violations on record, and the receivers named in the
    evidence written; and, only for a chapter where something is withdrawn or flagged, the
    records that explain why (`changes`).
    """
    results = {c.pk: Evaluation(chapter=c, today=t) for c, t, _ in items}
    if not items:
        return results
    versions = defaultdict(list)
    for v in ChapterRules.objects.filter(chapter_id__in=list(results)):  # query: rules versions
        versions[v.chapter_id].append(v)
    scopes: dict[int, _Scope] = {}
    for chapter, today, after in items:
        book = RulesBook(versions.get(chapter.pk, []))
        if book:
            scopes[chapter.pk] = _Scope.of(chapter, today, after, book)
    if not scopes:
        return results
    ids = list(scopes)
    members: dict[int, dict[int, Membership]] = defaultdict(dict)
    for m in Membership.objects.filter(chapter_id__in=ids, status__in=Membership.SEATED_STATUSES).select_related("user"):
        m.chapter = scopes[m.chapter_id].chapter  # writes name the chapter: no query per member
        members[m.chapter_id][m.pk] = m  # query: seated members
    leave: dict[int, dict[int, list[LeaveSpan]]] = defaultdict(lambda: defaultdict(list))
    for pk, cid, mid, start, end, reason in (
        Leave.objects.filter(chapter_id__in=ids).order_by("starts_on", "pk")
        .values_list("pk", "chapter_id", "membership_id", "starts_on", "ends_on", "reason")
    ):  # query: recorded leave
        if mid in members[cid]:
            leave[cid][mid].append(LeaveSpan(start, end or date.max, leave_id=pk, reason=reason))
    standing: dict[int, list[Fine]] = defaultdict(list)
    for f in (
        Fine.objects.filter(chapter_id__in=ids, period_end__gte=min(s.fines_from for s in scopes.values()))
        .exclude(status=Fine.Status.WITHDRAWN).select_related("rules")
    ):  # query: fines standing in the judged ranges
        m = members[f.chapter_id].get(f.membership_id)
        if m is not None and scopes[f.chapter_id].judges(f):
            f.membership = m
            standing[f.chapter_id].append(f)
    meetings = _meetings(scopes)  # query: meetings
    marks = _marks(scopes, members, meetings)  # query: marks
    quota = _quota_batch(scopes, members, leave, standing, meetings)  # queries: referrals (and consent links)
    open_cases = _open_cases(ids)  # query: open cases and their fines
    violations = _violations(scopes)  # query: violations on record

    for cid, s in scopes.items():
        result = results[cid]
        findings, weights_now = _attendance(s, members[cid], marks.get(cid, {}), leave[cid])
        quota_findings, referrals_seen = quota.get(cid, ([], {}))
        findings += quota_findings
        _reconcile(result, s.chapter, s.book, members[cid], leave[cid], findings, standing[cid], referrals_seen,
                   weights_now)
        result.findings.sort(key=lambda f: (f.membership.display_name, f.period.start, f.kind))
        withdrawn = {w.fine.pk for w in result.withdrawals if w.replacement is None}
        cases_open = open_cases.get(cid, {})
        result.open_case_ids = {row["membership_id"] for row in cases_open.values()}
        result.cases = _cases(s, members[cid], violations.get(cid, {}), result.findings, withdrawn, leave[cid],
                              result.open_case_ids)
        result.case_flags = _case_flags(cases_open, result)
        result.next_due_on = _next_due(s, meetings.get(cid, []), leave[cid])
    _receivers_fill([r for res in results.values() for f in res.findings if f.kind == Fine.Kind.QUOTA
                     for r in f.evidence_referrals])  # query: receivers named in the evidence written
    _quota_receivers_write([f for res in results.values() for f in res.findings])
    return results


def _receivers_fill(referrals: list[dict]) -> None:
    """Name each referral's receiver (`receiver`), in one query, for the referrals written in evidence."""
    wanted = {r["receiver_id"] for r in referrals if "receiver" not in r}
    if not wanted:
        return
    names = {
        pk: name or email
        for pk, name, email in Membership.objects.filter(pk__in=wanted).values_list("pk", "user__full_name", "user__email")
    }
    for r in referrals:
        r.setdefault("receiver", names.get(r["receiver_id"], ""))


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
    _receivers_fill([r for f, _ in unsupported if f.kind == Fine.Kind.QUOTA
                     for r in referrals_seen.get(f.membership_id, [])])  # query: receivers, for the reasons
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


def _marks(scopes: dict[int, _Scope], members, meetings: dict[int, list[dict]]) -> dict[int, dict[int, list[Mark]]]:
    """Each chapter's not-present marks at closed meetings from its `mark_start` to today, per member.
    One query per `MARKS_MEETINGS_PER_QUERY` meetings.

    Asked by meeting id (the meetings are loaded already): the index on the meeting serves it, where
    a join on dates made PostgreSQL scan the whole attendance table, and so did one list of a whole
    batch's meetings (about 5,000 for 100 chapters over a year: the planner expects too many rows).
    """
    def closed(m, s, start):
        return m["status"] == Meeting.Status.CLOSED and start <= m["local_date"] <= s.today

    # A chapter with no closed meeting in the judged range has no mark to judge: its history is not read.
    judged = {cid for cid, rows in meetings.items() if any(closed(m, scopes[cid], scopes[cid].since) for m in rows)}
    held = {
        m["id"]: (cid, m["local_date"])
        for cid, rows in meetings.items() if cid in judged for m in rows if closed(m, scopes[cid], scopes[cid].mark_start)
    }
    out: dict[int, dict[int, list[Mark]]] = defaultdict(lambda: defaultdict(list))
    if not held:
        return out
    rows = []
    ids = sorted(held)
    for i in range(0, len(ids), MARKS_MEETINGS_PER_QUERY):
        for mid, meeting_id, status in (
            Attendance.objects.filter(meeting_id__in=ids[i:i + MARKS_MEETINGS_PER_QUERY], status__in=NOT_PRESENT)
            .values_list("membership_id", "meeting_id", "status")
        ):
            cid, day = held[meeting_id]
            if mid in members[cid]:
                rows.append((day, meeting_id, cid, mid, status))
    rows.sort()
    for day, meeting_id, cid, mid, status in rows:
        out[cid][mid].append(Mark(mid, meeting_id, day, status))
    return out


def _meetings(scopes: dict[int, _Scope]) -> dict[int, list[dict]]:
    """Each chapter's meetings from its first mark or 62 days before its lookback, whichever is first, on
    (future ones too, for `_next_due`), in order. One query."""
    def first(s: _Scope) -> date:
        return min(s.mark_start, s.eval_start - timedelta(days=62))

    out: dict[int, list[dict]] = defaultdict(list)
    for row in (
        Meeting.objects.filter(chapter_id__in=list(scopes), local_date__gte=min(first(s) for s in scopes.values()))
        .order_by("starts_at").values("id", "chapter_id", "local_date", "status")
    ):
        if row["local_date"] >= first(scopes[row["chapter_id"]]):
            out[row["chapter_id"]].append(row)
    return out


def _attendance(s: _Scope, members, marks_of: dict[int, list[Mark]], leave) -> tuple[list[Finding], dict]:
    """Attendance findings, and each looked-at mark's weight now ((member, meeting) → weight), which
    explains a withdrawn fine whose marks weigh differently."""
    book = s.book
    fines_late = any(v.fine_late > 0 for v in book.versions)
    least_allowed = min(v.absences_allowed for v in book.versions)
    out, weights = [], {}
    for mid, marks in marks_of.items():
        if marks[-1].day < s.since:
            continue  # nothing of theirs is judged in this run
        # Weights are at most 1, so nobody with no more marks than the smallest allowance can be over a limit.
        if not (len(marks) > least_allowed
                or (fines_late and any(m.status == A.LATE and m.day >= s.eval_start for m in marks))):
            continue
        member_leave = leave.get(mid, [])
        member_weights = mark_weights(membership=members[mid], marks=marks, book=book, leave=member_leave)
        out += attendance_findings(
            membership=members[mid], marks=marks, book=book, eval_start=s.since, leave=member_leave,
            weights=member_weights,
        )
        for m, weight in member_weights.items():
            weights[(mid, m.meeting_id)] = weight  # (Decimal, note): formatted only if a withdrawal cites it
    return out, weights


CONSENT_GIVEN = (ConsentRequest.Outcome.CONFIRMED, ConsentRequest.Outcome.WITHDRAWN)

# `_counts` in SQL, for one referral `r` judged in a period row `p` (`_period_counts`).
_COUNTS_SQL = f"""
CASE
  WHEN p.counts = '{ChapterRules.QuotaCounts.MEETING}' THEN
    CASE WHEN r.status IN ('{Referral.Status.MEETING}', '{Referral.Status.WON}') THEN 1 ELSE 0 END
  WHEN p.counts = '{ChapterRules.QuotaCounts.WON}' THEN CASE WHEN r.status = '{Referral.Status.WON}' THEN 1 ELSE 0 END
  WHEN p.counts <> '{ChapterRules.QuotaCounts.CONSENTED}' THEN 1
  WHEN r.consent = '{Referral.Consent.STATED}' THEN 1
  WHEN r.consent = '{Referral.Consent.CONFIRMED}'
       AND NOT EXISTS (SELECT 1 FROM {ConsentRequest._meta.db_table} c WHERE c.referral_id = r.id) THEN 1
  WHEN p.has_until = 0 THEN
    CASE WHEN r.consent IN ('{Referral.Consent.CONFIRMED}', '{Referral.Consent.STATED}') THEN 1 ELSE 0 END
  WHEN EXISTS (
    SELECT 1 FROM {ConsentRequest._meta.db_table} c WHERE c.referral_id = r.id
      AND c.outcome IN ('{CONSENT_GIVEN[0]}', '{CONSENT_GIVEN[1]}') AND c.answered_at IS NOT NULL
      AND c.answered_at < p.until_at
  ) THEN 1
  ELSE 0
END"""  # noqa: S608 (code constants, no input)


# A weighted quota (`quota_weights`): how far a referral went picks its weight from the rules; a receiver
# who declined it leaves it worth nothing, as does a rating of "not a lead" or "duplicate".
OUTCOME_WEIGHTS = {
    Referral.Status.GIVEN: "weight_given",
    Referral.Status.ACCEPTED: "weight_given",
    Referral.Status.PROSPECT_DECLINED: "weight_given",
    Referral.Status.CONTACTED: "weight_contacted",
    Referral.Status.LOST: "weight_contacted",
    Referral.Status.MEETING: "weight_meeting",
    Referral.Status.WON: "weight_won",
}
WORTHLESS = (Referral.Rating.NOT_LEAD, Referral.Rating.DUPLICATE)
REPEATS_CREDITED = 30  # the 31st repeat in one period is worth 2⁻³⁰ of a referral: nothing, in SQL too
WEIGHT_PLACES = Decimal("0.0001")


def repeat_group(referral: dict) -> str:
    """What makes a referral a repeat: inside business to the same receiver, or the same prospect (the
    keyed hash of their contact); a referral without either is its own group."""
    if referral["kind"] == Referral.Kind.INSIDE:
        return f"i{referral['receiver_id']}"
    if referral.get("prospect_key"):
        return f"p{referral['prospect_key']}"
    return f"r{referral['pk']}"


def repeat_window_start(rules: ChapterRules, period: Period) -> date:
    """The first local day whose referrals number a period's repeats: `repeat_window_days` before it."""
    return period.start - timedelta(days=rules.repeat_window_days)


def quota_weights(referrals: list[dict], rules: ChapterRules, *, period_from: datetime | None = None,
                  since: date | None = None) -> dict[int, tuple[Decimal, dict]]:
    """Referral → (its worth toward a weighted quota, why) for one member's referrals, oldest first: the
    outcome's weight, halved for each earlier referral in its repeat group (1, ½, ¼ …), nothing if the
    receiver rated it not a lead or a duplicate. `_period_counts` says the same in SQL.

    `referrals` may begin before the period (`period_from`), back to the repeat window's first local day
    (`since`, `repeat_window_start`): those only number the repeats, and a repeat they number says since when.
    """
    seen: dict[str, int] = defaultdict(int)
    earlier: dict[str, int] = defaultdict(int)  # of them, given before the period
    out = {}
    for r in referrals:
        group = repeat_group(r)
        nth = seen[group]
        seen[group] += 1
        if period_from is not None and r["created_at"] < period_from:
            earlier[group] += 1
        field_name = OUTCOME_WEIGHTS.get(r["status"])
        base = getattr(rules, field_name) if field_name else Decimal(0)
        why = {"status": r["status"], "base": str(base)}
        if nth:
            why["repeat"] = nth + 1
            why["repeat_of"] = "inside" if group.startswith("i") else "prospect"
            if earlier[group] and since is not None:
                why["since"] = since.isoformat()  # "3rd referral of the same prospect since …"
        if r.get("rating") in WORTHLESS:
            why["rating"] = r["rating"]
            weight = Decimal(0)
        else:
            weight = base / (2**nth) if nth < REPEATS_CREDITED else Decimal(0)
        out[r["pk"]] = (weight.quantize(WEIGHT_PLACES), why)
    return out


# `quota_weights` in SQL, in hundredths of a referral: the outcome's weight (`p.w_*`, hundredths) …
_OUTCOME_SQL = f"""
CASE
  WHEN r.rating IN ('{WORTHLESS[0]}', '{WORTHLESS[1]}') THEN 0
  WHEN r.status IN ('{Referral.Status.GIVEN}', '{Referral.Status.ACCEPTED}', '{Referral.Status.PROSPECT_DECLINED}')
    THEN p.w_given
  WHEN r.status IN ('{Referral.Status.CONTACTED}', '{Referral.Status.LOST}') THEN p.w_contacted
  WHEN r.status = '{Referral.Status.MEETING}' THEN p.w_meeting
  WHEN r.status = '{Referral.Status.WON}' THEN p.w_won
  ELSE 0
END"""  # noqa: S608 (code constants, no input)
# … and the repeat group it is numbered in (`repeat_group`).
_GROUP_SQL = f"""
CASE
  WHEN r.kind = '{Referral.Kind.INSIDE}' THEN 'i' || CAST(r.receiver_id AS VARCHAR(20))
  WHEN r.prospect_key <> '' THEN 'p' || r.prospect_key
  ELSE 'r' || CAST(r.id AS VARCHAR(20))
END"""  # noqa: S608 (code constants, no input)


def _hundredths(value) -> int:
    return int((Decimal(value) * 100).to_integral_value())


def _since(row: tuple):
    """A quota period row's first moment whose referrals are read: its repeat window's, else its own."""
    return row[6] if len(row) > 6 else row[1]


def _period_counts(rows: list[tuple]) -> dict[tuple[int, int], Decimal | int]:
    """(row index, giver) → how many referrals count (a weighted quota: what they are worth), for each quota
    period row (chapter, [lo, hi), what counts, consent until or None, the rules' outcome weights, the repeat
    window's first moment): one
    statement for the batch (a few on SQLite, which takes
    fewer parameters). A giver with none that count is left out."""
    out: dict[tuple[int, int], Decimal | int] = {}
    if not rows:
        return out
    adapt = connection.ops.adapt_datetimefield_value
    # The weights travel (and repeats are numbered) only when some period weighs: the batches of the
    # other rules keep their statements and their size.
    weighted = any(row[3] == ChapterRules.QuotaCounts.WEIGHTED for row in rows)
    columns = ["idx", "chapter_id", "lo", "hi", "counts", "until_at", "has_until"]
    if weighted:  # and the repeat window's first moment: earlier referrals number the period's repeats
        columns += ["w_given", "w_contacted", "w_meeting", "w_won", "since_at"]
    per_row = len(columns) + 1  # its values and its chapter
    chunk = ((connection.features.max_query_params or 10**9) - 2) // per_row
    for first in range(0, len(rows), chunk):
        part = rows[first:first + chunk]
        params = []
        for i, (cid, lo, hi, counts, until, *more) in enumerate(part, start=first):
            params += [i, cid, adapt(lo), adapt(hi), str(counts), adapt(until or hi), 0 if until is None else 1]
            if weighted:
                params += [_hundredths(w) for w in (more[0] if more else (0, 0, 0, 0))]
                params.append(adapt(_since(rows[i])))
        chapters = sorted({row[0] for row in part})
        params += [*chapters, adapt(min(_since(row) if weighted else row[1] for row in part)),
                   adapt(max(row[2] for row in part))]
        values = ", ".join([f"({', '.join(['%s'] * len(columns))})"] * len(part))
        # The chapters and the overall range again on the referrals themselves: the index on
        # (chapter, created_at) then reads the batch's referrals only, not the whole table.
        cte = f"WITH p ({', '.join(columns)}) AS (VALUES {values}) "  # noqa: S608 (only placeholders)
        join = (
            f"FROM p JOIN {Referral._meta.db_table} r "
            f"ON r.chapter_id = p.chapter_id AND r.created_at >= p.{'since_at' if weighted else 'lo'} "
            "AND r.created_at < p.hi "
            f"WHERE r.chapter_id IN ({', '.join(['%s'] * len(chapters))}) AND r.created_at >= %s AND r.created_at < %s "
        )
        if not weighted:  # as before weights: no window to number repeats in
            sql = f"{cte}SELECT p.idx, r.giver_id, SUM({_COUNTS_SQL}) {join}GROUP BY p.idx, r.giver_id"
        else:  # in hundredths: a weighted row's referrals halved for each earlier one of their repeat group in
            # the window (`since_at`, before the period: those only number the repeats, `j.inside` 0)
            sql = (
                f"{cte}SELECT j.idx, j.giver_id, SUM(CASE WHEN j.inside = 0 THEN 0 "  # noqa: S608
                f"WHEN j.counts = '{ChapterRules.QuotaCounts.WEIGHTED}' "
                f"THEN CASE WHEN j.nth > {REPEATS_CREDITED} THEN 0 "
                "ELSE j.w * 1.0 / (1 << CAST(j.nth - 1 AS INTEGER)) END ELSE j.c * 100 END) "
                f"FROM (SELECT p.idx, p.counts, r.giver_id, {_COUNTS_SQL} AS c, {_OUTCOME_SQL} AS w, "
                "CASE WHEN r.created_at >= p.lo THEN 1 ELSE 0 END AS inside, "
                f"ROW_NUMBER() OVER (PARTITION BY p.idx, r.giver_id, {_GROUP_SQL} ORDER BY r.created_at, r.id) AS nth "
                f"{join}) j GROUP BY j.idx, j.giver_id"
            )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for idx, giver, n in cursor.fetchall():
                if not n:
                    continue
                if weighted:
                    n = (Decimal(str(n)) / 100).quantize(WEIGHT_PLACES)
                    out[(idx, giver)] = int(n) if n == n.to_integral_value() else n
                else:
                    out[(idx, giver)] = int(n)
    return out


def _quota_batch(scopes, members, leave, standing, meetings) -> dict[int, tuple[list[Finding], dict]]:
    """Each chapter's quota findings, and the referrals looked at (per member) for explaining withdrawn
    quota fines.

    The counting runs in the database for the whole batch (`_period_counts`: one row per member and
    period); only the referrals of the members found short, or holding a quota fine that may be
    withdrawn, are then read, with their consent links if a quota counts consent (`_counts` splits
    them into counted and not, for the evidence)."""
    periods_of: dict[int, list[QuotaPeriod]] = {}
    for cid, s in scopes.items():
        if not any(v.referral_quota for v in s.book.versions):
            continue
        chapter = s.chapter
        held = [m for m in meetings.get(cid, []) if m["local_date"] <= s.today]
        cadence_days = 14 if chapter.cadence == chapter.Cadence.BIWEEKLY else 7
        periods = quota_periods(book=s.book, today=s.today, since=s.eval_start, meetings=held,
                                cadence_days=cadence_days)
        if s.judged_after is not None:
            periods = [qp for qp in periods if quota_judged_from(qp.rules, qp.period.end) > s.judged_after]
        if periods:
            periods_of[cid] = periods
    if not periods_of:
        return {}
    rows, row_of = [], {}
    for cid, periods in periods_of.items():
        tz = scopes[cid].chapter.tz
        for qp in periods:
            lo, hi = qp.period.utc_bounds(tz)
            until = Period(qp.consent_until, qp.consent_until).utc_bounds(tz)[1] if qp.consent_until else None
            row_of[(cid, qp)] = len(rows)
            weights = (qp.rules.weight_given, qp.rules.weight_contacted, qp.rules.weight_meeting, qp.rules.weight_won)
            since = lo
            if qp.rules.quota_counts == ChapterRules.QuotaCounts.WEIGHTED:
                first = repeat_window_start(qp.rules, qp.period)
                since = Period(first, first).utc_bounds(tz)[0]
            rows.append((cid, lo, hi, qp.rules.quota_counts, until, weights, since))
    counted = _period_counts(rows)  # query: what counts, per member and period
    short: dict[int, list[tuple[Membership, QuotaPeriod]]] = defaultdict(list)
    for cid, periods in periods_of.items():
        chapter_members, chapter_leave = members[cid], leave[cid]
        for qp in periods:
            idx, rules = row_of[(cid, qp)], qp.rules
            exempt = rules.exempt_on_leave
            for pk, m in chapter_members.items():
                if counted.get((idx, pk), 0) >= rules.referral_quota or in_grace(m, rules, qp.period.start):
                    continue
                if exempt and on_leave_during(chapter_leave.get(pk, []), qp.period):
                    continue  # on leave for some of the period: excused from its quota
                short[cid].append((m, qp))
    # Members with a standing quota fine too: if it is withdrawn, its referrals say why.
    fined = {cid: {f.membership_id for f in standing[cid] if f.kind == Fine.Kind.QUOTA} for cid in periods_of}
    looked_at = {cid: {m.pk for m, _ in short[cid]} | fined[cid] for cid in periods_of}
    given = _referrals_of(periods_of, looked_at, rows)  # queries: their referrals (and consent links)
    out = {}
    for cid in periods_of:
        seen = {pk: given.get(pk, []) for pk in looked_at[cid]}
        out[cid] = (_quota_findings(scopes[cid], short[cid], rows, row_of, cid, seen), seen)
    return out


def _referrals_of(periods_of, looked_at, rows) -> dict[int, list[dict]]:
    """Member → the referrals they gave in their chapter's judged periods (and repeat windows), oldest first,
    for the members in `looked_at` (chapter → member ids); with their consent links where a quota counts
    consent."""
    givers = [pk for ids in looked_at.values() for pk in ids]
    if not givers:
        return {}
    lo = min(_since(r) for r in rows)  # from the earliest repeat window: earlier referrals number repeats
    hi = max(r[2] for r in rows)
    given: dict[int, list[dict]] = defaultdict(list)
    by_pk: dict[int, dict] = {}
    for pk, giver, receiver, created, status, consent, kind, prospect_key, rating in (
        Referral.objects.filter(giver_id__in=givers, created_at__gte=lo, created_at__lt=hi)
        .order_by("created_at", "pk")
        .values_list("pk", "giver_id", "receiver_id", "created_at", "status", "consent", "kind", "prospect_key",
                     "rating")
    ):  # query: the referrals of the members looked at
        r = {"pk": pk, "giver_id": giver, "receiver_id": receiver, "created_at": created, "status": status,
             "consent": consent, "consented_at": None, "links": 0, "kind": kind, "prospect_key": prospect_key,
             "rating": rating}
        given[giver].append(r)
        by_pk[pk] = r
    consenting = [pk for cid, ps in periods_of.items()
                  if any(qp.rules.quota_counts == ChapterRules.QuotaCounts.CONSENTED for qp in ps)
                  for pk in looked_at[cid]]
    if consenting and by_pk:
        for rid, outcome, answered in ConsentRequest.objects.filter(
            referral__giver_id__in=consenting, referral__created_at__gte=lo, referral__created_at__lt=hi
        ).values_list("referral_id", "outcome", "answered_at"):  # query: their consent links
            r = by_pk.get(rid)
            if r is None:
                continue
            r["links"] += 1
            if outcome in CONSENT_GIVEN and answered is not None and (r["consented_at"] is None or answered < r["consented_at"]):
                r["consented_at"] = answered
    return given


def _quota_findings(s: _Scope, short, rows, row_of, cid, given) -> list[Finding]:
    """A finding for each (member, period) short of its quota, with the referrals it counted and not.

    The receivers' names are written into the evidence later, in one query for the batch
    (`_quota_receivers_write`)."""
    tz = s.chapter.tz
    out = []
    for m, qp in short:
        _, lo_p, hi_p, _, until, _, since_p = rows[row_of[(cid, qp)]]
        in_period = [r for r in given.get(m.pk, []) if lo_p <= r["created_at"] < hi_p]
        weighted = qp.rules.quota_counts == ChapterRules.QuotaCounts.WEIGHTED
        weights = quota_weights(
            [r for r in given.get(m.pk, []) if since_p <= r["created_at"] < hi_p], qp.rules, period_from=lo_p,
            since=repeat_window_start(qp.rules, qp.period),
        ) if weighted else {}
        flags = [weights[r["pk"]][0] > 0 if weighted else _counts(r, qp.rules.quota_counts, until) for r in in_period]
        counted = [r for r, ok in zip(in_period, flags, strict=True) if ok]
        not_counted = [r for r, ok in zip(in_period, flags, strict=True) if not ok]
        rules = qp.rules
        amount = rules.fine_quota

        def item(r, *, consent_date=False, weighted=weighted, weights=weights):
            out = {"referral_id": r["pk"], "date": r["created_at"].astimezone(tz).date().isoformat(),
                   "status": r["status"], "consent": r["consent"]}
            if consent_date and r.get("consented_at"):
                out["consented_on"] = r["consented_at"].astimezone(tz).date().isoformat()
            if weighted:  # each referral's worth, and why, for the explanation and the basis
                out["weight"], out["why"] = str(weights[r["pk"]][0]), weights[r["pk"]][1]
            return out

        out.append(
            Finding(
                membership=m, kind=Fine.Kind.QUOTA, period=qp.period, rules=rules, amount=amount,
                meeting_id=qp.meeting_id,
                evidence={
                    **rules_evidence(rules),
                    "period": [qp.period.start.isoformat(), qp.period.end.isoformat()],
                    "quota": rules.referral_quota, "counts": rules.quota_counts, "quota_period": rules.quota_period,
                    **({"consent_until": qp.consent_until.isoformat(), "consent_grace_days": rules.consent_grace_days}
                       if qp.consent_until else {}),
                    "counted": [item(r) for r in counted],
                    **({"weighted_total": str(sum((weights[r["pk"]][0] for r in counted), Decimal(0)))}
                       if weighted else {}),
                    "not_counted": len(not_counted),
                    "not_counted_referrals": [item(r, consent_date=bool(qp.consent_until)) for r in not_counted],
                    "amount": str(amount), "currency": rules.currency,
                },
                evidence_referrals=counted + not_counted,
            )
        )
    return out


def _quota_receivers_write(findings: list[Finding]) -> None:
    """Name each referral's receiver in the quota evidence (their names come from `_receivers_fill`)."""
    for f in findings:
        if f.kind != Fine.Kind.QUOTA:
            continue
        names = {r["pk"]: r.get("receiver", "") for r in f.evidence_referrals}
        for key in ("counted", "not_counted_referrals"):
            for r in f.evidence.get(key, []):
                r["receiver"] = names.get(r["referral_id"], "")


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
    if counts == ChapterRules.QuotaCounts.WEIGHTED:  # worth something alone (its repeats: `quota_weights`)
        return referral.get("rating") not in WORTHLESS and bool(OUTCOME_WEIGHTS.get(referral["status"]))
    return True


# Expulsion cases ------------------------------------------------------------------------------


def expulsion_since(rules: ChapterRules, today: date) -> date:
    """Violations after this local date count toward the expulsion threshold on `today`."""
    return add_months(today, -rules.expulsion_months)


def expulsion_first_day(rules: ChapterRules, today: date) -> date:
    """The first local date whose violations count on `today` (the day after `expulsion_since`): what pages say."""
    return expulsion_since(rules, today) + timedelta(days=1)


def _violations(scopes: dict[int, _Scope]) -> dict[int, dict[int, list[dict]]]:
    """Each chapter's violations on record after its expulsion window opens (the version in force
    today says how long), per member. One query (`violations_on_record`)."""
    since = {}
    for cid, s in scopes.items():
        rules = s.book.at(s.today)
        if rules is not None:
            since[cid] = expulsion_since(rules, s.today)
    if not since:
        return {}
    return violations_on_record(chapter_since=since)


def violations_on_record(
    *, chapter=None, since: date | None = None, membership_ids=None, chapter_since: dict[int, date] | None = None
) -> dict:
    """Issued violations that count toward expulsion, per member, oldest first: absence and quota
    fines (warnings included) after `since`, not waived, withdrawn or refunded, not weighed in an
    earlier case. One query.

    `chapter_since` (chapter id → since) asks for many chapters at once: then the answer is per
    chapter, then per member. The evaluation opens cases from these; the standing page shows the same count.
    """
    many = chapter_since is not None
    chapter_since = chapter_since if many else {chapter.pk: since}
    qs = Fine.objects.filter(
        chapter_id__in=list(chapter_since), kind__in=Fine.VIOLATION_KINDS,
        period_start__gt=min(chapter_since.values()), expulsion_cases__isnull=True,
    ).exclude(status__in=[Fine.Status.WAIVED, *Fine.VOID_STATUSES]).exclude(
        Q(refund_flagged_at__isnull=False) & ~Q(refund_decision=Fine.RefundDecision.KEEP)
    )  # a paid fine the evidence no longer supports counts only if leadership decided to keep it
    if membership_ids is not None:
        qs = qs.filter(membership_id__in=list(membership_ids))
    out: dict[int, dict[int, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for fine in qs.order_by("period_start").values(
        "pk", "chapter_id", "membership_id", "kind", "period_start", "period_end", "amount", "currency", "evidence"
    ):
        if fine["period_start"] <= chapter_since[fine["chapter_id"]]:
            continue
        key = explain.title_key(fine["kind"], fine["evidence"])
        out[fine["chapter_id"]][fine["membership_id"]].append(
            {"fine_id": fine["pk"], "kind": fine["kind"], "date": fine["period_start"], "end": fine["period_end"],
             "amount": fine["amount"], "currency": fine["currency"], "title": key, "what": explain.title(key)}
        )
    return out if many else out[chapter.pk]


def _open_cases(ids: list[int]) -> dict[int, dict[int, dict]]:
    """Each chapter's open cases (case id → membership, threshold, flag, fines). One query."""
    out: dict[int, dict[int, dict]] = defaultdict(dict)
    for case_id, cid, mid, threshold, below_at, fine_id, status, refund_at, decision in ExpulsionCase.objects.filter(
        chapter_id__in=ids, status=ExpulsionCase.Status.OPEN
    ).values_list("pk", "chapter_id", "membership_id", "rules__expulsion_violations", "below_threshold_at",
                  "fines__id", "fines__status", "fines__refund_flagged_at", "fines__refund_decision"):
        row = out[cid].setdefault(case_id, {"membership_id": mid, "threshold": threshold,
                                            "below": below_at is not None, "fines": []})
        if fine_id is not None:
            row["fines"].append((fine_id, status, refund_at, decision))
    return out


violation_heading = explain.violation_heading


def _cases(s: _Scope, members, on_record, new_findings, withdrawn, leave, open_ids) -> list[CaseCandidate]:
    today = s.today
    rules = s.book.at(today)
    if rules is None:
        return []
    since = expulsion_since(rules, today)
    replaced = {f.replaces.pk for f in new_findings if f.replaces is not None}
    on_record_ids = {v["fine_id"] for items in on_record.values() for v in items}
    violations: dict[int, list[dict]] = defaultdict(list)
    for mid, items in on_record.items():
        # Fines this run withdraws (or replaces) no longer count.
        violations[mid] = [v for v in items if v["fine_id"] not in withdrawn and v["fine_id"] not in replaced]
    for f in new_findings:
        if f.replaces is not None and f.replaces.pk not in on_record_ids:
            continue  # replaces a fine weighed in an earlier case (it joins that case) or not counted anyway
        if f.kind in Fine.VIOLATION_KINDS and f.period.start > since:
            violations[f.membership.pk].append(
                {"fine_id": None, "key": f.key, "kind": f.kind, "date": f.period.start, "end": f.period.end,
                 "amount": f.amount, "currency": f.currency, "title": f.title_key, "what": explain.title(f.title_key)}
            )
    out = []
    for mid, items in violations.items():
        m = members.get(mid)
        if m is None or mid in open_ids or len(items) < rules.expulsion_violations:
            continue
        if rules.exempt_on_leave and on_leave(leave.get(mid, []), today):
            continue  # on leave today: the case waits until they are back (the violations stay on record)
        items.sort(key=lambda v: v["date"])
        out.append(
            CaseCandidate(
                membership=m, rules=rules, violations=items,
                evidence={
                    **rules_evidence(rules), "threshold": rules.expulsion_violations,
                    "months": rules.expulsion_months, "since": since.isoformat(),
                    "violations": [
                        {"kind": v["kind"], "title": v["title"], "date": v["date"].isoformat(),
                         "end": (v.get("end") or v["date"]).isoformat(), "amount": str(v["amount"]),
                         "currency": v["currency"], **({"fine_id": v["fine_id"]} if v["fine_id"] else {})}
                        for v in items
                    ],
                },
            )
        )
    out.sort(key=lambda c: c.membership.display_name)
    return out


def _case_flags(open_cases: dict[int, dict], result: Evaluation) -> list[CaseFlag]:
    """Open cases whose violations still standing (not withdrawn or refunded; a replaced fine counts
    through its replacement) fell below the threshold they were opened at, or rose back to it."""
    if not open_cases:
        return []
    gone = {w.fine.pk for w in result.withdrawals if w.replacement is None}
    flagged = {r.fine.pk for r in result.refund_flags}  # paid, unsupported: may be refunded
    out = []
    for case_id, row in sorted(open_cases.items()):
        standing = 0
        for fine_id, status, refund_at, decision in row["fines"]:
            unsupported = fine_id in gone or fine_id in flagged or (refund_at is not None and decision != "keep")
            if status not in Fine.VOID_STATUSES and not unsupported:
                standing += 1
        below = standing < row["threshold"]
        if below != row["below"]:
            out.append(CaseFlag(case_id=case_id, standing=standing, threshold=row["threshold"], below=below))
    return out


# When time alone next changes the outcome -------------------------------------------------------


def _next_due(s: _Scope, meetings: list[dict], leave: dict[int, list[LeaveSpan]]) -> date | None:
    """The first local date after today on which the passage of time alone may change what the chapter's
    records call for: a version coming into force, a quota period's judging day (after any consent grace;
    for a per-meeting quota, the day after each meeting), a leave starting or ending (cases wait for a
    member on leave). None: only new evidence will.

    Not here, on purpose: a meeting's marks are judged when it closes (the close marks the chapter
    dirty and queues its run), and a violation leaving the expulsion window only lowers a count,
    which can open no case and flag none (a case's flag counts the case's own fines).
    """
    today, book = s.today, s.book
    days = [v.effective_from for v in book.versions if v.effective_from > today]
    grace = max(v.consent_grace_days for v in book.versions)
    for m in meetings:
        if m["status"] == Meeting.Status.CANCELLED or m["local_date"] < today - timedelta(days=grace + 1):
            continue
        for v in book.versions:
            if v.referral_quota and v.quota_period == ChapterRules.QuotaPeriod.MEETING:
                days.append(quota_judged_from(v, m["local_date"]))
    for v in book.versions:
        if not v.referral_quota or v.quota_period == ChapterRules.QuotaPeriod.MEETING:
            continue
        p = quota_period_of(v, max(v.effective_from, today - timedelta(days=v.consent_grace_days + 1)))
        for _ in range(4):  # the periods ending around today: one of them is judged next
            due = quota_judged_from(v, p.end)
            if due > today and quota_judge(book=book, kind=v.quota_period, period=p) is v:
                days.append(due)
                break
            p = quota_period_of(v, p.end + timedelta(days=1))
    for spans in leave.values():
        for span in spans:
            days.append(span.start)
            if span.end != date.max:
                days.append(span.end + timedelta(days=1))
    later = [d for d in days if d > today]
    return min(later) if later else None
