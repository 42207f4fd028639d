"""Rule evaluation: which fines and expulsion cases a chapter's records call for. Reads only.

Everything is loaded for the whole chapter in a fixed number of queries (filtered Count
aggregates pick the members worth a closer look, one query then fetches their marks or
referrals); the arithmetic runs in Python on those rows, so that every finding can explain
itself line by line. No query runs per member.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q

from enforcement.formatting import money, num, plural
from enforcement.models import ChapterRules, ExpulsionCase, Fine
from enforcement.periods import Period, add_months, fixed_window, month_of, rolling_window, week_of
from meetings.models import Attendance, Meeting
from members.models import AuditEvent, Membership
from referrals.models import Referral

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


def exempt_on_leave(membership: Membership, rules: ChapterRules) -> bool:
    return rules.exempt_on_leave and membership.status == Membership.Status.ON_LEAVE


def leave_spans(*, chapter, membership_ids) -> dict[int, list[Period]]:
    """When each member was on leave, as local dates (both ends count as leave), from the audit trail
    of status changes. One query.

    Every run re-judges the periods that ended within the lookback, so a member back from leave
    must not be judged on the months they spent on leave as if they had been active. Leave with no
    recorded start (a seat created on leave) runs from the beginning; leave not yet ended runs on.
    """
    ids = [str(pk) for pk in membership_ids]
    if not ids:
        return {}
    leave = Membership.Status.ON_LEAVE
    rows = (
        AuditEvent.objects.filter(chapter=chapter, target_type="members.membership", target_id__in=ids)
        .filter(Q(before__status=leave) | Q(after__status=leave))
        .order_by("created_at", "pk")
        .values_list("target_id", "before", "after", "created_at")
    )
    spans: dict[int, list[Period]] = defaultdict(list)
    started: dict[int, date] = {}
    for target_id, before, after, at in rows:
        mid, day = int(target_id), at.astimezone(chapter.tz).date()
        was, now = (before or {}).get("status"), (after or {}).get("status")
        if now == leave and mid not in started:
            started[mid] = day if was != leave else date.min
        elif was == leave and now is not None and now != leave:
            spans[mid].append(Period(started.pop(mid, date.min), day))
    for mid, day in started.items():
        spans[mid].append(Period(day, date.max))
    return spans


def on_leave(leave: list[Period], day: date) -> bool:
    return any(day in p for p in leave)


def on_leave_during(leave: list[Period], period: Period) -> bool:
    return any(p.start <= period.end and period.start <= p.end for p in leave)


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

    @property
    def key(self) -> tuple[int, str, date, int | None]:
        """What a fine is unique by (see Fine's constraints): per meeting, or per period when there is none."""
        return (self.membership.pk, self.kind, self.period.start, self.meeting_id)

    @property
    def currency(self) -> str:
        return self.rules.currency

    @property
    def summary(self) -> str:
        label = Fine.Kind(self.kind).label
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
class Evaluation:
    chapter: object
    today: date
    findings: list[Finding] = field(default_factory=list)  # not issued yet
    already_issued: int = 0
    cases: list[CaseCandidate] = field(default_factory=list)
    open_case_ids: set[int] = field(default_factory=set)  # membership ids with an open case


# Attendance ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    membership_id: int
    meeting_id: int
    day: date
    status: str


def _mark_weights(marks: list[Mark], *, rules: ChapterRules, book: RulesBook) -> list[tuple[Mark, Decimal, str]]:
    """Weigh the marks of one window, oldest first: each by the version in force on its day.

    Substitutes and medical marks beyond the window's allowance (of `rules`, the version judging
    the window) count as full absences.
    """
    subs = meds = 0
    out = []
    for mark in marks:
        own = book.at(mark.day) or rules
        note = ""
        if mark.status == A.ABSENT:
            weight = ONE
        elif mark.status == A.LATE:
            weight = own.late_weight
        elif mark.status == A.SUBSTITUTE:
            subs += 1
            if subs > rules.substitutes_allowed:
                weight, note = ONE, f"substitute {subs} of {rules.substitutes_allowed} allowed: a full absence"
            else:
                weight = own.substitute_weight
        elif mark.status == A.MEDICAL:
            meds += 1
            if meds > rules.medical_allowed:
                weight, note = ONE, f"medical {meds} of {rules.medical_allowed} allowed: a full absence"
            else:
                weight = own.medical_weight
        else:
            continue
        out.append((mark, weight, note))
    return out


def _excused(membership: Membership, book: RulesBook, mark: Mark, leave: list[Period]) -> bool:
    """A mark no rule holds against the member: before any rules, in their grace period, or on leave."""
    own = book.at(mark.day)
    return own is None or in_grace(membership, own, mark.day) or (own.exempt_on_leave and on_leave(leave, mark.day))


def absence_standing(
    *, membership: Membership, marks: list[Mark], book: RulesBook, day: date, leave: list[Period] = ()
) -> tuple[Decimal, ChapterRules | None, Period | None]:
    """Weighted absences in the window ending `day` under the version in force then."""
    rules = book.at(day)
    if rules is None:
        return ZERO, None, None
    window = absence_window(rules, day)
    counted = [m for m in marks if m.day in window and m.day <= day and not _excused(membership, book, m, leave)]
    return sum((w for _, w, _ in _mark_weights(counted, rules=rules, book=book)), ZERO), rules, window


def attendance_findings(
    *, membership: Membership, marks: list[Mark], book: RulesBook, eval_start: date, leave: list[Period] = ()
) -> list[Finding]:
    """Absence-over-the-limit and lateness findings for one member's marks (sorted oldest first).

    `leave`: when the member was on leave (`leave_spans`); marks made then count for nothing.
    """
    findings = []
    for target in marks:
        if target.day < eval_start:
            continue
        rules = book.at(target.day)
        if rules is None or exempt_on_leave(membership, rules) or _excused(membership, book, target, leave):
            continue
        if target.status == A.LATE and rules.fine_late > 0:
            findings.append(_late_finding(membership, target, rules))
        window = absence_window(rules, target.day)
        counted = [
            m for m in marks
            if m.day in window and (m.day, m.meeting_id) <= (target.day, target.meeting_id)
            and not _excused(membership, book, m, leave)
        ]
        weighed = _mark_weights(counted, rules=rules, book=book)
        total = sum((w for _, w, _ in weighed), ZERO)
        own = next(w for m, w, _ in weighed if m == target) if any(m == target for m, _, _ in weighed) else ZERO
        before = total - own
        units = max(ZERO, total - rules.absences_allowed) - max(ZERO, before - rules.absences_allowed)
        if units <= 0:
            continue
        amount = (units * rules.fine_absence).quantize(Decimal("0.01"))
        lines = [
            f"Rule: version {rules.number} of the chapter's rules (in force from {rules.effective_from:%-d %b %Y}) "
            f"allows {plural(rules.absences_allowed, 'absence')} {window_words(rules)}.",
            f"Window: {window.label()}. Counted in it:",
        ]
        for m, w, note in weighed:
            status = A(m.status).label.lower()
            extra = f" ({note})" if note else ""
            this = " ← this meeting" if m == target else ""
            lines.append(f"  • {m.day:%a %-d %b %Y}: {status} = {num(w)}{extra}{this}")
        lines.append(
            f"Total {num(total)} against {rules.absences_allowed} allowed. Before this meeting: {num(before)}; "
            f"this meeting puts you {num(units)} more over the limit."
        )
        if amount:
            lines.append(f"Fine: {num(units)} × {money(rules.fine_absence, rules.currency)} = "
                         f"{money(amount, rules.currency)}.")
        else:
            lines.append("The rules set no fine for this: it is recorded as a warning.")
        findings.append(
            Finding(
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
                },
            )
        )
    return findings


def _late_finding(membership: Membership, mark: Mark, rules: ChapterRules) -> Finding:
    amount = rules.fine_late
    text = (
        f"Late at the meeting of {mark.day:%a %-d %b %Y}.\n"
        f"Rule: version {rules.number} (in force from {rules.effective_from:%-d %b %Y}) fines each late arrival "
        f"{money(amount, rules.currency)}.\nFine: 1 × {money(amount, rules.currency)} = {money(amount, rules.currency)}."
    )
    return Finding(
        membership=membership, kind=Fine.Kind.LATE, period=Period(mark.day, mark.day), rules=rules, amount=amount,
        explanation=text, meeting_id=mark.meeting_id,
        evidence={"rules_version": rules.number, "rules_id": rules.pk, "meeting_id": mark.meeting_id,
                  "date": mark.day.isoformat(), "status": mark.status, "rate": str(amount), "amount": str(amount),
                  "currency": rules.currency},
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


def quota_period_of(rules: ChapterRules, day: date) -> Period:
    """The week or calendar month of `rules`' kind containing `day` (meeting periods depend on meetings)."""
    return week_of(day) if rules.quota_period == ChapterRules.QuotaPeriod.WEEK else month_of(day)


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
    """Quota periods that have ended by `today`, each with the version that judges it (`quota_judge`).

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
                if not since <= m["local_date"] <= today or m["status"] != Meeting.Status.CLOSED:
                    continue
                prev = held[i - 1]["local_date"] if i else m["local_date"] - timedelta(days=cadence_days)
                p = Period(prev + timedelta(days=1), m["local_date"])
                if quota_judge(book=book, kind=kind, period=p) is rules:
                    out.append(QuotaPeriod(p, rules, m["id"]))
            continue
        p = quota_period_of(rules, max(first, since))
        while p.start < until and p.end < today:
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
            lines.append(f"  • {r['created_at'].astimezone(tz):%a %-d %b %Y}: to {r['receiver']} ({_referral_words(r)})")
    short = rules.referral_quota - len(counted)
    lines.append(f"{len(counted)} of {rules.referral_quota}: short by {short}.")
    if rules.fine_quota:
        lines.append(f"Fine: {money(rules.fine_quota, rules.currency)} for the period.")
    else:
        lines.append("The rules set no fine for this: it is recorded as a warning.")
    return "\n".join(lines)


# The whole chapter -----------------------------------------------------------------------------


def chapter_evaluate(*, chapter, today: date) -> Evaluation:
    """Every fine and case the chapter's records call for on `today` (a local date), not yet issued."""
    result = Evaluation(chapter=chapter, today=today)
    book = RulesBook(list(chapter.rules_versions.all()))  # query: rules versions
    if not book:
        return result
    eval_start = max(book.first_from, today - timedelta(days=lookback_days()))
    mark_start = add_months(eval_start, -max(window_months(v) for v in book.versions))
    members = {
        m.pk: m
        for m in Membership.objects.filter(chapter=chapter, status__in=Membership.SEATED_STATUSES).select_related("user")
    }  # query: seated members
    existing = set(
        Fine.objects.filter(chapter=chapter, period_start__gte=mark_start).values_list(
            "membership_id", "kind", "period_start", "meeting_id"
        )
    )  # query: fines already issued

    leave = (
        leave_spans(chapter=chapter, membership_ids=members) if any(v.exempt_on_leave for v in book.versions) else {}
    )  # query: when members were on leave

    findings: list[Finding] = []
    findings += _attendance(chapter, book, members, today, eval_start, mark_start, leave)
    findings += _quota(chapter, book, members, today, eval_start, leave)
    for f in findings:
        if f.key in existing:
            result.already_issued += 1
        else:
            result.findings.append(f)
    result.findings.sort(key=lambda f: (f.membership.display_name, f.period.start, f.kind))
    result.cases, result.open_case_ids = _cases(chapter, book, members, today, result.findings)
    return result


def _attendance(chapter, book, members, today, eval_start, mark_start, leave) -> list[Finding]:
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
        return []
    by_member: dict[int, list[Mark]] = defaultdict(list)
    for mid, meeting_id, day, status in (
        rows.filter(membership_id__in=candidates)
        .order_by("meeting__local_date", "meeting_id")
        .values_list("membership_id", "meeting_id", "meeting__local_date", "status")
    ):  # query: the candidates' marks
        by_member[mid].append(Mark(mid, meeting_id, day, status))
    out = []
    for mid, marks in by_member.items():
        out += attendance_findings(
            membership=members[mid], marks=marks, book=book, eval_start=eval_start, leave=leave.get(mid, [])
        )
    return out


def _quota(chapter, book, members, today, eval_start, leave) -> list[Finding]:
    if not any(v.referral_quota for v in book.versions):
        return []
    meetings = list(
        Meeting.objects.filter(chapter=chapter, local_date__gte=eval_start - timedelta(days=62), local_date__lte=today)
        .order_by("starts_at")
        .values("id", "local_date", "status")
    )  # query: meetings, for per-meeting quotas
    cadence_days = 14 if chapter.cadence == chapter.Cadence.BIWEEKLY else 7
    periods = quota_periods(book=book, today=today, since=eval_start, meetings=meetings, cadence_days=cadence_days)
    if not periods:
        return []
    tz = chapter.tz
    annotations = {}
    for i, qp in enumerate(periods):
        lo, hi = qp.period.utc_bounds(tz)
        window = Q(referrals_given__created_at__gte=lo, referrals_given__created_at__lt=hi)
        quality = Q(**{f"referrals_given__{k}": v for k, v in QUALITY[qp.rules.quota_counts].items()})
        annotations[f"p{i}"] = Count("referrals_given", filter=window & quality)
    counts = {
        row["pk"]: row
        for row in Membership.objects.filter(pk__in=list(members)).annotate(**annotations).values("pk", *annotations)
    }  # query: referrals per member and period, as filtered Counts
    short: list[tuple[Membership, QuotaPeriod]] = []
    for i, qp in enumerate(periods):
        for pk, m in members.items():
            if exempt_on_leave(m, qp.rules) or in_grace(m, qp.rules, qp.period.start):
                continue
            if qp.rules.exempt_on_leave and on_leave_during(leave.get(pk, []), qp.period):
                continue  # on leave for some of the period: not held to its quota
            if counts[pk][f"p{i}"] < qp.rules.referral_quota:
                short.append((m, qp))
    if not short:
        return []
    lo = min(qp.period.utc_bounds(tz)[0] for _, qp in short)
    hi = max(qp.period.utc_bounds(tz)[1] for _, qp in short)
    given: dict[int, list[dict]] = defaultdict(list)
    for r in (
        Referral.objects.filter(giver_id__in={m.pk for m, _ in short}, created_at__gte=lo, created_at__lt=hi)
        .order_by("created_at")
        .values("pk", "giver_id", "created_at", "status", "consent", "receiver__user__full_name",
                "receiver__user__email")
    ):  # query: the short members' referrals, for the evidence
        r["receiver"] = r["receiver__user__full_name"] or r["receiver__user__email"]
        given[r["giver_id"]].append(r)
    out = []
    for m, qp in short:
        lo_p, hi_p = qp.period.utc_bounds(tz)
        in_period = [r for r in given[m.pk] if lo_p <= r["created_at"] < hi_p]
        counted = [r for r in in_period if _counts(r, qp.rules.quota_counts)]
        not_counted = [r for r in in_period if not _counts(r, qp.rules.quota_counts)]
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
    return out


def _counts(referral: dict, counts: str) -> bool:
    if counts == ChapterRules.QuotaCounts.CONSENTED:
        return referral["consent"] in (Referral.Consent.CONFIRMED, Referral.Consent.STATED)
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
    fines (warnings included) after `since`, not waived, not weighed in an earlier case. One query.

    The evaluation opens cases from these; the standing page shows the same count.
    """
    qs = Fine.objects.filter(
        chapter=chapter, kind__in=Fine.VIOLATION_KINDS, period_start__gt=since, expulsion_cases__isnull=True,
    ).exclude(status=Fine.Status.WAIVED)
    if membership_ids is not None:
        qs = qs.filter(membership_id__in=list(membership_ids))
    out: dict[int, list[dict]] = defaultdict(list)
    for fine in qs.order_by("period_start").values(
        "pk", "membership_id", "kind", "period_start", "period_end", "amount", "currency"
    ):
        out[fine["membership_id"]].append(
            {"fine_id": fine["pk"], "kind": fine["kind"], "date": fine["period_start"], "end": fine["period_end"],
             "amount": fine["amount"], "currency": fine["currency"]}
        )
    return out


def _cases(chapter, book, members, today, new_findings) -> tuple[list[CaseCandidate], set[int]]:
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
    for f in new_findings:
        if f.kind in Fine.VIOLATION_KINDS and f.period.start > since:
            violations[f.membership.pk].append(
                {"fine_id": None, "key": f.key, "kind": f.kind, "date": f.period.start, "end": f.period.end,
                 "amount": f.amount, "currency": f.currency}
            )
    out = []
    for mid, items in violations.items():
        m = members.get(mid)
        if m is None or mid in open_ids or len(items) < rules.expulsion_violations:
            continue
        if exempt_on_leave(m, rules):
            continue
        items.sort(key=lambda v: v["date"])
        lines = [
            f"Rule: version {rules.number} (in force from {rules.effective_from:%-d %b %Y}): "
            f"{plural(rules.expulsion_violations, 'violation')} within {plural(rules.expulsion_months, 'month')} "
            f"make{'s' if rules.expulsion_violations == 1 else ''} a member "
            f"an expulsion candidate.",
            f"Violations since {expulsion_first_day(rules, today):%-d %b %Y} (absences over the limit and missed quotas, "
            f"not waived, not weighed in an earlier case):",
        ]
        for v in items:
            what = "warning" if v["amount"] == 0 else money(v["amount"], v["currency"])
            when = Period(v["date"], v.get("end") or v["date"]).label()  # a day, or a quota period
            lines.append(f"  • {when}: {Fine.Kind(v['kind']).label.lower()} ({what})")
        lines.append(f"{plural(len(items), 'violation')} ≥ {rules.expulsion_violations}: an admin will review the case.")
        out.append(
            CaseCandidate(
                membership=m, rules=rules, violations=items, explanation="\n".join(lines),
                evidence={
                    "rules_version": rules.number, "rules_id": rules.pk, "threshold": rules.expulsion_violations,
                    "months": rules.expulsion_months, "since": since.isoformat(),
                    "violations": [
                        {"kind": v["kind"], "date": v["date"].isoformat(), "amount": str(v["amount"]),
                         "currency": v["currency"]}
                        for v in items
                    ],
                },
            )
        )
    out.sort(key=lambda c: c.membership.display_name)
    return out, open_ids
