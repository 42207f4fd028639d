"""Reads for the expulsion-case review (the queue and the case's evidence) and the member standing page."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from chapters.access import regions_overseen_by
from chapters.models import Chapter, Region
from enforcement import explain
from enforcement.evaluation import (
    NOT_PRESENT,
    RulesBook,
    expulsion_first_day,
    expulsion_since,
    violations_on_record,
)
from enforcement.models import ChapterRules, ExpulsionCase, Fine
from enforcement.periods import Period
from enforcement.selectors import Standing, fines_totals, leave_of, member_standings, plural_n
from leadsgroups import formats
from meetings.models import Attendance, Meeting
from referrals.models import Referral

# The queue -------------------------------------------------------------------------------------

AGES = [
    (7, gettext_lazy("Older than a week")), (14, gettext_lazy("Older than 2 weeks")),
    (30, gettext_lazy("Older than a month")), (90, gettext_lazy("Older than 3 months")),
]
STAGES = [
    ("appeal", gettext_lazy("Waiting for the member's appeal")),
    ("ready", gettext_lazy("Ready for a decision")),
]
STATUSES = [("open", gettext_lazy("Open")), ("decided", gettext_lazy("Decided")), ("all", gettext_lazy("All"))]


@dataclass
class QueueFilters:
    status: str = "open"
    region: int | None = None
    chapter: int | None = None
    chapter_q: str = ""  # part of a chapter's name: a search, where a list of every chapter would not scale
    age: int | None = None
    stage: str = ""

    @classmethod
    def from_query(cls, params) -> QueueFilters:
        def as_int(name, allowed=None):
            value = params.get(name, "")
            if not value.isdigit():
                return None
            value = int(value)
            return value if allowed is None or value in allowed else None

        status = params.get("status", "open")
        stage = params.get("stage", "")
        return cls(
            status=status if status in dict(STATUSES) else "open",
            region=as_int("region"), chapter=as_int("chapter"), age=as_int("age", dict(AGES)),
            chapter_q=params.get("chapter_q", "").strip()[:100],
            stage=stage if stage in dict(STAGES) else "",
        )


def queue_scope(*, user, filters: QueueFilters) -> tuple[list[Region], Chapter | None]:
    """Regions whose cases the person reviews (for the filter), and the chapter the queue is narrowed to.

    Chapters are searched by name rather than listed: an organisation has a thousand of them.
    """
    regions = regions_overseen_by(user)
    region_qs = Region.objects.all() if regions is None else Region.objects.filter(pk__in=regions)
    chapter = None
    if filters.chapter:
        chapter_qs = Chapter.objects.all() if regions is None else Chapter.objects.filter(region_id__in=regions)
        chapter = chapter_qs.filter(pk=filters.chapter).only("name").first()
    return list(region_qs.order_by("name")), chapter


def case_queue(*, user, filters: QueueFilters, now: datetime):
    """Cases the person reviews, oldest first: every chapter for an org admin, their regions' for region staff."""
    regions = regions_overseen_by(user)
    qs = ExpulsionCase.objects.select_related("membership__user", "chapter__region")
    if regions is not None:
        qs = qs.filter(chapter__region_id__in=regions)
    if filters.status != "all":
        qs = qs.filter(status=filters.status)
    if filters.region:
        qs = qs.filter(chapter__region_id=filters.region)
    if filters.chapter:
        qs = qs.filter(chapter_id=filters.chapter)
    if filters.chapter_q:
        qs = qs.filter(chapter__name__icontains=filters.chapter_q)
    if filters.age:
        qs = qs.filter(opened_at__lte=now - timedelta(days=filters.age))
    if filters.stage == "appeal":
        qs = qs.filter(status=ExpulsionCase.Status.OPEN, appeal_deadline__gt=now, appeal_waived_at__isnull=True)
    elif filters.stage == "ready":
        qs = qs.filter(Q(appeal_deadline__lte=now) | Q(appeal_waived_at__isnull=False), status=ExpulsionCase.Status.OPEN)
    return qs.order_by("opened_at", "pk")


def _violation_words(key: str, n: int) -> str:
    """'2 absences over the limit', '1 referral quota missed', '2 × lates over the limit'."""
    if key == "absence":
        return ngettext("%(count)s absence over the limit", "%(count)s absences over the limit", n) % {"count": n}
    if key == "quota":
        return ngettext("%(count)s referral quota missed", "%(count)s referral quotas missed", n) % {"count": n}
    return _("%(count)s × %(what)s") % {"count": n, "what": explain.in_sentence(key)}  # lates: never called absences


def queue_rows(cases, *, now: datetime) -> list[dict]:
    """What each queue row shows, from the case row alone (no query per case), in the active language."""
    rows = []
    for case in cases:
        items = case.evidence.get("violations", [])
        kinds = Counter(explain.violation_title(v) for v in items)
        violations = ", ".join(_violation_words(key, n) for key, n in sorted(kinds.items())) or "—"
        if case.status == ExpulsionCase.Status.DECIDED:
            stage = _("Decided: %(decision)s") % {"decision": explain.DECISIONS.get(case.decision, case.decision)}
        elif case.decidable(now):
            stage = _("Ready for a decision")
        else:
            stage = _("Appeal open until %(date)s") % {
                "date": formats.format_date(case.appeal_deadline, tz=case.chapter.tz),
            }
        rows.append({
            "case": case, "age_days": (now - case.opened_at).days, "violations": violations,
            "violation_count": sum(kinds.values()), "below_threshold": case.below_threshold_at is not None, "appealed": bool(case.appealed_at),
            "waived": bool(case.appeal_waived_at), "stage": stage, "ready": case.decidable(now),
        })
    return rows


# The case's evidence -----------------------------------------------------------------------------


@dataclass
class CaseEvidence:
    window: Period
    meetings_held: int
    marks: list[dict]
    quota_periods: list[dict]
    referrals: list[dict]
    fines: list[Fine]
    totals: dict
    earlier: list[ExpulsionCase]
    case_fine_ids: set[int] = field(default_factory=set)


def case_window(case: ExpulsionCase) -> Period:
    """The local dates the case weighed: after `since` up to the day it opened."""
    tz = case.chapter.tz
    opened = case.opened_at.astimezone(tz).date()
    since = case.evidence.get("since")
    start = date.fromisoformat(since) + timedelta(days=1) if since else opened - timedelta(days=183)
    return Period(start, opened)


def case_evidence(*, case: ExpulsionCase) -> CaseEvidence:
    """The raw records behind a case: marks, quota periods, referrals given, fines, earlier cases. Flat queries."""
    chapter, membership = case.chapter, case.membership
    window = case_window(case)
    held = Meeting.objects.filter(
        chapter=chapter, status=Meeting.Status.CLOSED, local_date__range=(window.start, window.end)
    ).count()  # query: meetings held in the window
    fines = list(
        Fine.objects.filter(membership=membership).select_related("rules", "meeting").order_by("period_start", "pk")
    )  # query: every fine of the member
    case_fine_ids = set(case.fines.values_list("pk", flat=True))  # query: the fines the case weighed
    fined_meetings = {f.meeting_id: f for f in fines if f.kind == Fine.Kind.ABSENCE and f.meeting_id}
    weights = {}
    for f in fines:
        for m in f.evidence.get("marks", []) if f.kind == Fine.Kind.ABSENCE else []:
            weights[m["meeting_id"]] = m.get("weight")
    marks = [
        {"date": day, "status": explain.MARKS.get(status, status), "meeting_id": meeting_id,
         "weight": weights.get(meeting_id), "fine": fined_meetings.get(meeting_id)}
        for meeting_id, day, status in Attendance.objects.filter(
            membership=membership, meeting__status=Meeting.Status.CLOSED,
            meeting__local_date__range=(window.start, window.end), status__in=NOT_PRESENT,
        ).order_by("meeting__local_date").values_list("meeting_id", "meeting__local_date", "status")
    ]  # query: the member's marks other than present
    quota_periods = []
    for f in fines:
        if f.kind != Fine.Kind.QUOTA:
            continue
        ev = f.evidence
        quota_periods.append({
            "fine": f, "period": Period(f.period_start, f.period_end), "counted": len(ev.get("counted", [])),
            "not_counted": ev.get("not_counted", 0), "quota": ev.get("quota"), "in_case": f.pk in case_fine_ids,
        })
    lo, hi = window.utc_bounds(chapter.tz)
    referrals = [
        {**r, "local_date": r["created_at"].astimezone(chapter.tz).date(),
         "receiver": r["receiver__user__full_name"] or r["receiver__user__email"],
         "state": explain.REFERRAL_STATES.get(r["status"], r["status"]),
         "consent_words": explain.CONSENTS.get(r["consent"], r["consent"])}
        for r in Referral.objects.filter(giver=membership, created_at__gte=lo, created_at__lt=hi)
        .order_by("created_at")
        .values("pk", "created_at", "status", "consent", "receiver__user__full_name", "receiver__user__email")
    ]  # query: referrals the member gave in the window
    earlier = list(
        ExpulsionCase.objects.filter(membership=membership).exclude(pk=case.pk).select_related("decided_by")
        .order_by("-opened_at")
    )  # query: the member's other cases
    return CaseEvidence(
        window=window, meetings_held=held, marks=marks, quota_periods=quota_periods, referrals=referrals,
        fines=fines, totals=fines_totals(Fine.objects.filter(membership=membership)),  # query: totals
        earlier=earlier, case_fine_ids=case_fine_ids,
    )


# Member standing ---------------------------------------------------------------------------------


@dataclass
class Warning:
    level: str  # "ok", "warn" or "bad"
    topic: str
    text: str


@dataclass
class StandingPage:
    standing: Standing
    rules: ChapterRules | None
    violations: list[dict]
    violations_threshold: int | None
    violations_from: date | None  # the first day whose violations count, as the case explanation says
    warnings: list[Warning]
    fines: list[Fine]
    totals: dict
    open_case: ExpulsionCase | None
    cases: list[ExpulsionCase]
    probation_case: ExpulsionCase | None = None  # the decision whose probation the member is serving
    leave: list = field(default_factory=list)  # recorded leave, newest first
    on_leave_now: object = None  # the leave covering today, if any


def member_standing_page(*, membership, today: date) -> StandingPage:
    """A member's standing with the very figures enforcement uses: `member_standings` for absences,
    referrals and unpaid fines; `violations_on_record` for the count toward the expulsion threshold."""
    chapter = membership.chapter
    standing = member_standings(chapter=chapter, memberships=[membership], today=today)[membership.pk]
    book = RulesBook(list(ChapterRules.objects.filter(chapter=chapter)))  # query: rules versions
    rules = book.at(today) if book else None
    violations, threshold, first_day = [], None, None
    if rules is not None:
        since, first_day = expulsion_since(rules, today), expulsion_first_day(rules, today)
        violations = violations_on_record(chapter=chapter, since=since, membership_ids=[membership.pk])[membership.pk]
    fines = list(Fine.objects.filter(membership=membership).select_related("rules").order_by("-period_start", "-pk"))
    cases = list(membership.expulsion_cases.select_related("decided_by").order_by("-opened_at"))
    open_case = next((c for c in cases if c.is_open), None)
    probation_case = None
    if membership.status == membership.Status.PROBATION:
        probation_case = next((
            c for c in cases
            if c.decision == ExpulsionCase.Decision.PROBATION and not c.probation_lifted_at
            and c.probation_until and c.probation_until >= today
        ), None)
    if rules is not None:
        threshold = rules.expulsion_violations
    leave = leave_of(membership=membership)  # query: recorded leave
    return StandingPage(
        standing=standing, rules=rules, violations=violations, violations_threshold=threshold,
        violations_from=first_day, warnings=standing_warnings(standing, rules, violations, open_case, today),
        fines=fines, totals=fines_totals(Fine.objects.filter(membership=membership)), open_case=open_case,
        cases=cases, probation_case=probation_case, leave=leave,
        on_leave_now=next((lv for lv in leave if lv.covers(today)), None),
    )


def standing_warnings(standing: Standing, rules, violations, open_case, today: date) -> list[Warning]:
    """How close the member is to each threshold, in words (the active language)."""
    out = []
    if standing.absences_allowed is not None:
        left = standing.absences_allowed - standing.absences
        topic = standing.absences_label
        values = {"allowed": standing.absences_allowed, "count": explain.number(abs(left))}
        if left < 0:
            values["window"] = standing.window.label()
            text = _("%(count)s over the limit of %(allowed)s (%(window)s): each further late or absence is fined.") \
                if standing.lates_count else \
                _("%(count)s over the limit of %(allowed)s (%(window)s): each further absence is fined.")
            out.append(Warning("bad", topic, text % values))
        elif left == 0:
            text = _("At the limit of %(allowed)s: the next late or absence goes over it and is fined.") \
                if standing.lates_count else _("At the limit of %(allowed)s: the next absence goes over it and is fined.")
            out.append(Warning("warn", topic, text % values))
        else:
            text = ngettext("%(count)s absence left before the limit.", "%(count)s absences left before the limit.",
                            plural_n(left)) % values
            out.append(Warning("warn" if left <= 1 else "ok", topic, text))
    if standing.quota:
        short = standing.quota - standing.referrals
        end = standing.quota_period.end
        if short > 0:
            days = (end - today).days + 1
            out.append(Warning("warn", _("Referrals"), ngettext(
                "%(count)s more referral needed by %(date)s (%(days)s).",
                "%(count)s more referrals needed by %(date)s (%(days)s).", short,
            ) % {"count": short, "date": explain.short_day(end),
                 "days": ngettext("%(count)s day left", "%(count)s days left", days) % {"count": days}}))
        else:
            out.append(Warning("ok", _("Referrals"), _("Quota met for this period.")))
    if rules is not None:
        n, limit = len(violations), rules.expulsion_violations
        values = {"count": n, "limit": limit, "within": explain.within_months(rules.expulsion_months)}
        if open_case is not None:
            out.append(Warning("bad", _("Expulsion"), _("An expulsion case is open; see it below.")))
        elif n >= limit:
            out.append(Warning("bad", _("Expulsion"), ngettext(
                "%(count)s violation of %(limit)s: the next evaluation opens a case.",
                "%(count)s violations of %(limit)s: the next evaluation opens a case.", n,
            ) % values))
        elif n == limit - 1:
            out.append(Warning("warn", _("Expulsion"), ngettext(
                "%(count)s violation of %(limit)s %(within)s: one more opens an expulsion case.",
                "%(count)s violations of %(limit)s %(within)s: one more opens an expulsion case.", n,
            ) % values))
        else:
            out.append(Warning("ok", _("Expulsion"), ngettext(
                "%(count)s violation of %(limit)s %(within)s.", "%(count)s violations of %(limit)s %(within)s.", n,
            ) % values))
    if standing.open_fines_count:
        out.append(Warning("warn", _("Fines"), ngettext(
            "%(count)s unpaid: %(amount)s.", "%(count)s unpaid: %(amount)s.", standing.open_fines_count,
        ) % {"count": standing.open_fines_count, "amount": explain.money(standing.open_fines, standing.currency)}))
    return out
