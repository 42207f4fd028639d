"""Reads about rules, standings, fines and cases, shaped for their pages and emails."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.urls import reverse

from enforcement.evaluation import (
    NOT_PRESENT,
    QUALITY,
    QUALITY_WORDS,
    Mark,
    RulesBook,
    absence_standing,
    current_quota_period,
    leave_spans,
    quota_period_of,
    window_months,
    window_words,
)
from enforcement.formatting import money, num, plural, weight_words
from enforcement.models import ChapterRules, ExpulsionCase, Fine, Leave
from enforcement.periods import Period, add_months, month_of
from meetings.models import Attendance, Meeting
from members.models import Membership
from referrals.models import OneToOne, Referral

ACTION_NEEDED = (Referral.Status.GIVEN, Referral.Status.ACCEPTED, Referral.Status.CONTACTED, Referral.Status.MEETING)


def rules_in_force(*, chapter, day: date) -> ChapterRules | None:
    return (
        ChapterRules.objects.filter(chapter=chapter, effective_from__lte=day)
        .order_by("-effective_from", "-number")
        .first()
    )


def rules_history(*, chapter):
    return ChapterRules.objects.filter(chapter=chapter).select_related("created_by").order_by("-effective_from", "-number")


def rules_plain_language(rules: ChapterRules) -> list[tuple[str, str]]:
    """The rules as (topic, sentence) pairs a member reads on the rules page."""
    c = rules.currency
    late = f"A late arrival {weight_words(rules.late_weight)}."
    if rules.fine_late:
        late += f" Each one is charged a late fee of {money(rules.fine_late, c)}"
        if rules.late_weight == 0 or not rules.fine_absence:
            late += "."
        elif rules.late_fee_stacks_with_absence:
            late += (", and a late that puts the member over the absence limit is also charged its share of an "
                     "absence fine (the two stack; each fine names the other).")
        else:
            late += ("; a late that puts the member over the absence limit is not charged again: its share of an "
                     "absence counts toward the limit and expulsion, recorded as a warning (each names the other).")
    out = [
        ("Absences" if rules.late_weight == 0 else "Lates and absences",
         f"Up to {plural(rules.absences_allowed, 'absence')} {window_words(rules)}."),
        ("Late arrival", late),
        ("Medical", f"A medical absence {weight_words(rules.medical_weight)}; up to {rules.medical_allowed} per "
                    f"window, each one beyond counts as a full absence."),
        ("Substitutes", f"Sending a substitute {weight_words(rules.substitute_weight)}; up to "
                        f"{rules.substitutes_allowed} per window, each one beyond counts as a full absence."),
        ("Which version judges a mark", "Each meeting's mark is weighed under the version in force on that day, "
                                        "its allowances included: a later version never re-judges it."),
    ]
    if rules.referral_quota:
        per = ChapterRules.QuotaPeriod(rules.quota_period).label.lower()
        text = f"At least {rules.referral_quota} per {per}; {QUALITY_WORDS[rules.quota_counts]}."
        if rules.quota_counts == ChapterRules.QuotaCounts.CONSENTED:
            text += (f" Consent the prospect gives up to {plural(rules.consent_grace_days, 'day')} after the period "
                     "still counts; the period is judged once that grace is over.")
        elif rules.quota_period == ChapterRules.QuotaPeriod.MEETING:
            text += " A meeting's period is judged once the meeting's day is over (chapter time), not when it closes."
        else:
            text += " A period is judged once its last day is over (chapter time)."
        if rules.quota_period != ChapterRules.QuotaPeriod.MEETING:
            # As quota_judge decides: said here, or a member sees "no quota this period" under a quota
            # that came into force mid-month and cannot tell why.
            unit = "week" if rules.quota_period == ChapterRules.QuotaPeriod.WEEK else "month"
            text += (f" Each {unit} is judged by the version in force on its first day: a version that comes into "
                     f"force mid-{unit} first judges the next whole {unit}.")
        out.append(("Referrals", text))
    else:
        out.append(("Referrals", "No referral quota."))
    fines = []
    if rules.fine_absence:
        fines.append(f"{money(rules.fine_absence, c)} per absence over the limit")
    if rules.fine_late:
        fines.append(f"{money(rules.fine_late, c)} per late arrival")
    if rules.fine_quota:
        fines.append(f"{money(rules.fine_quota, c)} per period the referral quota is missed")
    out.append(("Fines", ("; ".join(fines) + ".") if fines else "No fines: violations are recorded as warnings."))
    out.append(("New members", f"Not held to the rules for their first {plural(rules.grace_days, 'day')}."))
    out.append(("Leave", "Meetings inside a member's recorded leave are excused, and so is a referral quota period "
                         "that overlaps the leave, even by a day (excused in full, not pro rata). The time before "
                         "and after the leave is judged as usual." if rules.exempt_on_leave
                else "Members on leave are held to the rules like everyone else."))
    over = "lates and absences over the limit" if rules.late_weight else "absences over the limit"
    out.append(("Expulsion", f"{plural(rules.expulsion_violations, 'violation')} ({over} or missed quotas, "
                             f"not waived) within {plural(rules.expulsion_months, 'month')} "
                             f"make{'s' if rules.expulsion_violations == 1 else ''} a member an expulsion "
                             f"candidate, reviewed by an admin."))
    return out


# Standing ---------------------------------------------------------------------------------------


@dataclass
class Standing:
    absences: Decimal
    absences_allowed: int | None
    window: Period | None
    referrals: int
    quota: int
    quota_period: Period | None
    quota_words: str
    open_fines: Decimal
    open_fines_count: int
    currency: str
    has_rules: bool = True
    lates_count: bool = False  # the rules weigh a late arrival as part of an absence

    @property
    def absences_label(self) -> str:
        return "Lates and absences" if self.lates_count else "Absences"

    @property
    def over_absences(self) -> bool:
        return self.absences_allowed is not None and self.absences > self.absences_allowed

    @property
    def absences_text(self) -> str:
        if self.absences_allowed is None:
            return "No attendance rule yet."
        if self.lates_count:
            # Lates count too: shown under "Lates and absences", never "N absences" to someone with only lates.
            return f"{num(self.absences)} counted, {self.absences_allowed} allowed ({self.window.label()})"
        counted = f"{num(self.absences)} {'absence' if self.absences == 1 else 'absences'}"
        return f"{counted} counted, {self.absences_allowed} allowed ({self.window.label()})"  # not "6 of 3"

    @property
    def referrals_text(self) -> str:
        if not self.quota:
            given = f"{plural(self.referrals, 'referral')} given"
            if not self.has_rules:
                return f"{given}; no quota."
            return f"{given} ({self.quota_period.label()}); no quota this period."
        return f"{self.referrals} of {plural(self.quota, 'referral')} ({self.quota_period.label()})"

    @property
    def fines_text(self) -> str:
        if not self.open_fines_count:
            return "No unpaid fines."
        return f"{self.open_fines_count} unpaid, {money(self.open_fines, self.currency)} in all"


def _meeting_period(chapter, today: date) -> Period:
    """The running per-meeting quota period: the day after the last meeting to the next one."""
    held = Meeting.objects.filter(chapter=chapter).exclude(status=Meeting.Status.CANCELLED)
    last = held.filter(local_date__lt=today).order_by("-local_date").values_list("local_date", flat=True).first()
    upcoming = held.filter(local_date__gte=today).order_by("local_date").values_list("local_date", flat=True).first()
    cadence = timedelta(days=14 if chapter.cadence == chapter.Cadence.BIWEEKLY else 7)
    end = upcoming or max(today, (last or today) + cadence)
    return Period((last or end - cadence) + timedelta(days=1), end)


def current_quota(*, chapter, book: RulesBook, today: date) -> tuple[Period, ChapterRules | None]:
    """The quota period running today and the version that will judge it (None: no quota this period).

    Asks the evaluation's own `current_quota_period`, so the page never warns about a period the
    enforcement will not judge (e.g. a quota coming into force mid-month judges the next month).
    """
    needs_meetings = any(
        v.quota_period == ChapterRules.QuotaPeriod.MEETING and v.referral_quota for v in book.versions
    )
    meeting_period = _meeting_period(chapter, today) if needs_meetings else None  # queries: last and next meeting
    running = current_quota_period(book=book, today=today, meeting_period=meeting_period)
    if running is not None:
        return running.period, running.rules
    rules = book.at(today)
    if rules is not None and rules.quota_period == ChapterRules.QuotaPeriod.MEETING and meeting_period:
        return meeting_period, None
    return (quota_period_of(rules, today) if rules is not None else month_of(today)), None


def member_standings(*, chapter, memberships: list[Membership], today: date) -> dict[int, Standing]:
    """Each member's standing today: absences in the window, referrals this period, unpaid fines. Flat queries."""
    book = RulesBook(list(ChapterRules.objects.filter(chapter=chapter)))  # query: rules
    rules = book.at(today) if book else None
    ids = [m.pk for m in memberships]
    marks: dict[int, list[Mark]] = defaultdict(list)
    if rules is not None:
        since = add_months(today, -max(window_months(v) for v in book.versions))
        for mid, meeting_id, day, status in (
            Attendance.objects.filter(
                membership_id__in=ids, meeting__status=Meeting.Status.CLOSED, meeting__local_date__range=(since, today),
                status__in=NOT_PRESENT,
            )
            .order_by("meeting__local_date", "meeting_id")
            .values_list("membership_id", "meeting_id", "meeting__local_date", "status")
        ):  # query: marks
            marks[mid].append(Mark(mid, meeting_id, day, status))
    leave = (
        leave_spans(chapter=chapter, membership_ids=ids) if rules and any(v.exempt_on_leave for v in book.versions)
        else {}
    )  # query: recorded leave (marks made then count for nothing, as in the evaluation)
    quota_period, judge = current_quota(chapter=chapter, book=book, today=today)
    lo, hi = quota_period.utc_bounds(chapter.tz)
    quality = QUALITY[judge.quota_counts] if judge else {}
    referrals = dict(
        Referral.objects.filter(giver_id__in=ids, created_at__gte=lo, created_at__lt=hi, **quality)
        .values("giver_id").annotate(n=Count("pk")).values_list("giver_id", "n")
    )  # query: referrals this period, counted per member
    fines = {
        r["membership_id"]: r
        for r in Fine.objects.filter(membership_id__in=ids, status=Fine.Status.OPEN)
        .values("membership_id").annotate(total=Sum("amount"), n=Count("pk"))
    }  # query: unpaid fines per member
    out = {}
    for m in memberships:
        absences, _, window = absence_standing(
            membership=m, marks=marks[m.pk], book=book, day=today, leave=leave.get(m.pk, [])
        ) if rules else (Decimal(0), None, None)
        f = fines.get(m.pk, {})
        out[m.pk] = Standing(
            absences=absences, absences_allowed=rules.absences_allowed if rules else None, window=window,
            referrals=referrals.get(m.pk, 0), quota=judge.referral_quota if judge else 0,
            quota_period=quota_period, quota_words=QUALITY_WORDS[judge.quota_counts] if judge else "",
            has_rules=rules is not None, lates_count=bool(rules and rules.late_weight),
            open_fines=f.get("total") or Decimal(0), open_fines_count=f.get("n", 0),
            currency=chapter.currency,
        )
    return out


def reminder_contexts(*, meeting: Meeting, memberships: list[Membership], today: date) -> dict[int, dict]:
    """What each member's reminder says: the meeting, their standing, referrals waiting for them."""
    chapter = meeting.chapter
    standings = member_standings(chapter=chapter, memberships=memberships, today=today)
    waiting: dict[int, list[dict]] = defaultdict(list)
    for r in (
        Referral.objects.filter(receiver_id__in=[m.pk for m in memberships], status__in=ACTION_NEEDED)
        .order_by("created_at")
        .values("pk", "receiver_id", "created_at", "status", "giver__user__full_name", "giver__user__email")
    ):  # query: referrals received that need action
        r["giver"] = r["giver__user__full_name"] or r["giver__user__email"]
        r["status_label"] = Referral.Status(r["status"]).label
        r["local_date"] = r["created_at"].astimezone(chapter.tz).date()
        waiting[r["receiver_id"]].append(r)
    to_confirm: dict[int, list[dict]] = defaultdict(list)
    for o in (
        OneToOne.objects.filter(other_id__in=[m.pk for m in memberships], status=OneToOne.Status.PENDING)
        .order_by("met_on")
        .values("other_id", "met_on", "initiator__user__full_name", "initiator__user__email")
    ):  # query: one-to-ones waiting for this member's confirmation
        o["with"] = o["initiator__user__full_name"] or o["initiator__user__email"]
        to_confirm[o["other_id"]].append(o)
    presentations = [  # query: the meeting's run sheet
        {"kind": p.get_kind_display(), "who": p.presenter.display_name, "topic": p.topic, "presenter_id": p.presenter_id}
        for p in meeting.presentations.select_related("presenter__user").order_by("kind", "pk")
    ]
    starts = meeting.starts_at.astimezone(chapter.tz)
    meeting_url = reverse("meetings:detail", args=[chapter.slug, meeting.pk])
    out = {}
    for m in memberships:
        out[m.pk] = {
            "title": f"Tomorrow: {chapter.name}, {starts:%a %-d %b} at {starts:%H:%M}",
            "chapter": chapter, "meeting": meeting, "starts": starts,
            "venue": meeting.venue or chapter.venue, "membership": m, "standing": standings[m.pk],
            "waiting": waiting[m.pk], "meeting_url": meeting_url,
            "presentations": presentations, "presenting": [p for p in presentations if p["presenter_id"] == m.pk],
            "one_to_ones": to_confirm[m.pk],
            "one_to_ones_url": reverse("referrals:one-to-ones", args=[chapter.slug]),
            "my_fines_url": reverse("enforcement:my-fines", args=[chapter.slug]),
        }
    return out


# Fines and cases --------------------------------------------------------------------------------


def chapter_fines(*, chapter, status: str | None = None):
    qs = Fine.objects.filter(chapter=chapter).select_related("membership__user", "rules")
    if status == "refund":
        qs = qs.filter(status=Fine.Status.PAID, refund_flagged_at__isnull=False, refund_decision="")
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("-period_start", "membership__user__full_name", "-pk")


def fines_totals(qs) -> dict:
    """Unpaid, paid, waived and refunded totals of a set of fines (withdrawn ones owe nothing), in one query."""
    return qs.order_by().aggregate(
        open=Sum("amount", filter=Q(status=Fine.Status.OPEN), default=Decimal(0)),
        paid=Sum("amount", filter=Q(status=Fine.Status.PAID), default=Decimal(0)),
        waived=Sum("amount", filter=Q(status=Fine.Status.WAIVED), default=Decimal(0)),
        refunded=Sum("amount", filter=Q(status=Fine.Status.REFUNDED), default=Decimal(0)),
        open_count=Count("pk", filter=Q(status=Fine.Status.OPEN)),
        withdrawn_count=Count("pk", filter=Q(status=Fine.Status.WITHDRAWN)),
        refund_pending=Count("pk", filter=Q(status=Fine.Status.PAID, refund_flagged_at__isnull=False,
                                            refund_decision="")),
    )


def fine_related(*, fine: Fine) -> dict:
    """The fines a fine's page links to: the other fine for the same late (late fee ↔ absence limit), the
    fine it replaced or that replaced it. One query."""
    q = Q(pk=fine.replaced_by_id) | Q(replaced_by=fine)
    if fine.meeting_id and fine.kind in (Fine.Kind.LATE, Fine.Kind.ABSENCE) and fine.evidence.get("also"):
        other = Fine.Kind.ABSENCE if fine.kind == Fine.Kind.LATE else Fine.Kind.LATE
        q |= Q(membership_id=fine.membership_id, meeting_id=fine.meeting_id, kind=other) & ~Q(
            status=Fine.Status.WITHDRAWN
        )
    out = {"other": None, "replaced_by": None, "replaces": None}
    for f in Fine.objects.filter(q).exclude(pk=fine.pk):
        if f.pk == fine.replaced_by_id:
            out["replaced_by"] = f
        elif f.replaced_by_id == fine.pk:
            out["replaces"] = f
        else:
            out["other"] = f
    return out


def leave_of(*, membership) -> list:
    """A member's recorded leave, newest first."""
    return list(Leave.objects.filter(membership=membership).select_related("created_by").order_by("-starts_on"))


def membership_fines(*, membership):
    return Fine.objects.filter(membership=membership).select_related("rules").order_by("-period_start", "-pk")


def chapter_cases(*, chapter):
    return (
        ExpulsionCase.objects.filter(chapter=chapter)
        .select_related("membership__user", "rules")
        .annotate(fine_count=Count("fines"))
        .order_by("-opened_at", "-pk")
    )
