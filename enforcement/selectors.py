"""Reads about rules, standings, fines and cases, shaped for their pages and emails."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from enforcement import explain
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
    quota_weights,
    repeat_window_start,
    window_months,
    window_words,
)
from enforcement.models import ChapterRules, ExpulsionCase, Fine, Leave
from enforcement.periods import Period, add_months, month_of
from leadsgroups import formats
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


def _weight_sentence(subject: str, weight: Decimal, allowed: int = 0) -> str:
    """How much of an absence a late, a medical absence or a substitute counts for, as a whole sentence."""
    full, none = weight == 1, weight == 0
    values = {"weight": explain.number(weight), "count": allowed}
    if subject == "late":
        if none:
            return _("A late arrival does not count.")
        return _("A late arrival counts as a full absence.") if full else \
            _("A late arrival counts as %(weight)s of an absence.") % values
    if subject == "medical":
        if none:
            text = _("A medical absence does not count; up to %(count)s per window, each one beyond counts as a full "
                     "absence.")
        elif full:
            text = _("A medical absence counts as a full absence; up to %(count)s per window, each one beyond counts "
                     "as a full absence.")
        else:
            text = _("A medical absence counts as %(weight)s of an absence; up to %(count)s per window, each one "
                     "beyond counts as a full absence.")
        return text % values
    if none:
        text = _("Sending a substitute does not count; up to %(count)s per window, each one beyond counts as a full "
                 "absence.")
    elif full:
        text = _("Sending a substitute counts as a full absence; up to %(count)s per window, each one beyond counts "
                 "as a full absence.")
    else:
        text = _("Sending a substitute counts as %(weight)s of an absence; up to %(count)s per window, each one "
                 "beyond counts as a full absence.")
    return text % values


def rules_plain_language(rules: ChapterRules) -> list[tuple[str, str]]:
    """The rules as (topic, sentence) pairs a member reads on the rules page, in the active language."""
    c = rules.currency
    late = _weight_sentence("late", rules.late_weight)
    if rules.fine_late:
        fee = {"amount": explain.money(rules.fine_late, c)}
        if rules.late_weight == 0 or not rules.fine_absence:
            late += " " + _("Each one is charged a late fee of %(amount)s.") % fee
        elif rules.late_fee_stacks_with_absence:
            late += " " + _("Each one is charged a late fee of %(amount)s, and a late that puts the member over the "
                            "absence limit is also charged its share of an absence fine (the two stack; each fine "
                            "names the other).") % fee
        else:
            late += " " + _("Each one is charged a late fee of %(amount)s; a late that puts the member over the "
                            "absence limit is not charged again: its share of an absence counts toward the limit and "
                            "expulsion, recorded as a warning (each names the other).") % fee
    window = window_words(rules)
    out = [
        (_("Absences") if rules.late_weight == 0 else _("Lates and absences"),
         ngettext("Up to %(count)s absence %(window)s.", "Up to %(count)s absences %(window)s.", rules.absences_allowed)
         % {"count": rules.absences_allowed, "window": window}),
        (_("Late arrival"), late),
        (_("Medical"), _weight_sentence("medical", rules.medical_weight, rules.medical_allowed)),
        (_("Substitutes"), _weight_sentence("substitute", rules.substitute_weight, rules.substitutes_allowed)),
        (_("Which version judges a mark"), _("Each meeting's mark is weighed under the version in force on that day, "
                                             "its allowances included: a later version never re-judges it.")),
    ]
    if rules.referral_quota:
        text = _("At least %(count)s per %(per)s; %(counts)s.") % {
            "count": rules.referral_quota, "per": explain.QUOTA_PER[rules.quota_period],
            "counts": QUALITY_WORDS[rules.quota_counts],
        }
        if rules.quota_counts == ChapterRules.QuotaCounts.WEIGHTED:
            text += " " + _("A referral given (or accepted) counts %(given)s, contacted %(contacted)s, with a meeting "
                            "held %(meeting)s, won %(won)s.") % {
                "given": explain.number(rules.weight_given), "contacted": explain.number(rules.weight_contacted),
                "meeting": explain.number(rules.weight_meeting), "won": explain.number(rules.weight_won),
            }
            text += " " + explain.repeat_window_words(rules.repeat_window_days)
        if rules.quota_counts == ChapterRules.QuotaCounts.CONSENTED:
            text += " " + ngettext(
                "Consent the prospect gives up to %(count)s day after the period still counts; the period is judged "
                "once that grace is over.",
                "Consent the prospect gives up to %(count)s days after the period still counts; the period is judged "
                "once that grace is over.",
                rules.consent_grace_days,
            ) % {"count": rules.consent_grace_days}
        elif rules.quota_period == ChapterRules.QuotaPeriod.MEETING:
            text += " " + _("A meeting's period is judged once the meeting's day is over (chapter time), not when it "
                            "closes.")
        else:
            text += " " + _("A period is judged once its last day is over (chapter time).")
        if rules.quota_period == ChapterRules.QuotaPeriod.WEEK:
            # As quota_judge decides: said here, or a member sees "no quota this period" under a quota
            # that came into force mid-month and cannot tell why.
            text += " " + _("Each week is judged by the version in force on its first day: a version that comes into "
                            "force mid-week first judges the next whole week.")
        elif rules.quota_period == ChapterRules.QuotaPeriod.MONTH:
            text += " " + _("Each month is judged by the version in force on its first day: a version that comes into "
                            "force mid-month first judges the next whole month.")
        out.append((_("Referrals"), text))
    else:
        out.append((_("Referrals"), _("No referral quota.")))
    fines = []
    if rules.fine_absence:
        fines.append(_("%(amount)s per absence over the limit") % {"amount": explain.money(rules.fine_absence, c)})
    if rules.fine_late:
        fines.append(_("%(amount)s per late arrival") % {"amount": explain.money(rules.fine_late, c)})
    if rules.fine_quota:
        fines.append(_("%(amount)s per period the referral quota is missed") % {
            "amount": explain.money(rules.fine_quota, c),
        })
    out.append((_("Fines"), (_("%(fines)s.") % {"fines": "; ".join(fines)}) if fines
                else _("No fines: violations are recorded as warnings.")))
    out.append((_("New members"), ngettext(
        "Not held to the rules for their first %(count)s day.", "Not held to the rules for their first %(count)s days.",
        rules.grace_days,
    ) % {"count": rules.grace_days}))
    out.append((_("Leave"), _(
        "Meetings inside a member's recorded leave are excused, and so is a referral quota period that overlaps the "
        "leave, even by a day (excused in full, not pro rata). The time before and after the leave is judged as usual."
    ) if rules.exempt_on_leave else _("Members on leave are held to the rules like everyone else.")))
    over = explain.VIOLATION_HEADINGS[(True, True, False) if rules.late_weight else (False, True, False)]
    out.append((_("Expulsion"), ngettext(
        "%(count)s violation (%(what)s or missed quotas, not waived) %(within)s makes a member an expulsion "
        "candidate, reviewed by an admin.",
        "%(count)s violations (%(what)s or missed quotas, not waived) %(within)s make a member an expulsion "
        "candidate, reviewed by an admin.",
        rules.expulsion_violations,
    ) % {"count": rules.expulsion_violations, "what": over, "within": explain.within_months(rules.expulsion_months)}))
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
        return _("Lates and absences") if self.lates_count else _("Absences")

    @property
    def over_absences(self) -> bool:
        return self.absences_allowed is not None and self.absences > self.absences_allowed

    @property
    def absences_text(self) -> str:
        if self.absences_allowed is None:
            return _("No attendance rule yet.")
        values = {"count": explain.number(self.absences), "allowed": self.absences_allowed,
                  "window": self.window.label()}
        if self.lates_count:
            # Lates count too: shown under "Lates and absences", never "N absences" to someone with only lates.
            return _("%(count)s counted, %(allowed)s allowed (%(window)s)") % values
        return ngettext(  # not "6 of 3"
            "%(count)s absence counted, %(allowed)s allowed (%(window)s)",
            "%(count)s absences counted, %(allowed)s allowed (%(window)s)",
            plural_n(self.absences),
        ) % values

    @property
    def referrals_text(self) -> str:
        values = {"count": self.referrals, "quota": self.quota,
                  "period": self.quota_period.label() if self.quota_period else ""}
        if not self.quota:
            if not self.has_rules:
                return ngettext("%(count)s referral given; no quota.", "%(count)s referrals given; no quota.",
                                self.referrals) % values
            return ngettext("%(count)s referral given (%(period)s); no quota this period.",
                            "%(count)s referrals given (%(period)s); no quota this period.", self.referrals) % values
        return ngettext("%(count)s of %(quota)s referral (%(period)s)", "%(count)s of %(quota)s referrals (%(period)s)",
                        self.quota) % values

    @property
    def fines_text(self) -> str:
        if not self.open_fines_count:
            return _("No unpaid fines.")
        return ngettext("%(count)s unpaid, %(amount)s in all", "%(count)s unpaid, %(amount)s in all",
                        self.open_fines_count) % {
            "count": self.open_fines_count, "amount": explain.money(self.open_fines, self.currency),
        }


def plural_n(value) -> int:
    """The count gettext's plural rules choose a form by: the number itself when whole, else 2 (1.5 absences)."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else 2


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
    if judge and judge.quota_counts == ChapterRules.QuotaCounts.WEIGHTED:
        first = repeat_window_start(judge, quota_period)
        since = Period(first, first).utc_bounds(chapter.tz)[0]
        referrals = _weighted_sums(ids, lo, hi, judge, since)  # query: referrals this period, weighed per member
    else:
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


def _weighted_sums(ids, lo, hi, rules, since) -> dict[int, Decimal]:
    """Member → what their referrals in [lo, hi) are worth toward a weighted quota (`quota_weights`); those
    from `since` (the repeat window) number the repeats."""
    given: dict[int, list[dict]] = defaultdict(list)
    for r in (
        Referral.objects.filter(giver_id__in=ids, created_at__gte=min(since, lo), created_at__lt=hi)
        .order_by("created_at", "pk")
        .values("pk", "giver_id", "receiver_id", "kind", "prospect_key", "status", "rating", "created_at")
    ):
        given[r["giver_id"]].append(r)
    out = {}
    for pk, referrals in given.items():
        weights = quota_weights(referrals, rules, period_from=lo)
        total = sum((weights[r["pk"]][0] for r in referrals if r["created_at"] >= lo), Decimal(0))
        out[pk] = int(total) if total == total.to_integral_value() else total.normalize()
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
        r["state"] = explain.REFERRAL_STATES.get(r["status"], r["status"])  # in the reader's language, when shown
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
    presentations = [  # query: the meeting's run sheet (words resolved when shown, in the reader's language)
        {"kind": p.kind, "label": SLOT_LABELS.get(p.kind, p.kind), "slot": SLOTS.get(p.kind, p.kind),
         "who": p.presenter.display_name, "topic": p.topic, "presenter_id": p.presenter_id}
        for p in meeting.presentations.select_related("presenter__user").order_by("kind", "pk")
    ]
    starts = meeting.starts_at.astimezone(chapter.tz)
    meeting_url = reverse("meetings:detail", args=[chapter.slug, meeting.pk])
    out = {}
    for m in memberships:
        out[m.pk] = {
            "chapter": chapter, "meeting": meeting, "starts": starts,
            "venue": meeting.venue or chapter.venue, "membership": m, "standing": standings[m.pk],
            "waiting": waiting[m.pk], "meeting_url": meeting_url,
            "presentations": presentations, "presenting": [p for p in presentations if p["presenter_id"] == m.pk],
            "one_to_ones": to_confirm[m.pk],
            "one_to_ones_url": reverse("referrals:one-to-ones", args=[chapter.slug]),
            "my_fines_url": reverse("enforcement:my-fines", args=[chapter.slug]),
        }
    return out


def reminder_title(context: dict) -> str:
    """A reminder's title in the active language: "Tomorrow: Riverside, Wed 4 Mar at 07:00" (chapter time)."""
    chapter, starts = context["chapter"], context["starts"]
    return _("Tomorrow: %(chapter)s, %(day)s at %(time)s") % {
        "chapter": chapter.name, "day": formats.format_date(starts, "MMMEd", tz=chapter.tz),
        "time": formats.format_time(starts, tz=chapter.tz),
    }


# Run-sheet slots in a reminder: as a heading, and inside a sentence ("You are presenting: feature presentation").
SLOT_LABELS = {"feature": gettext_lazy("Feature presentation"), "education": gettext_lazy("Education moment")}
SLOTS = {
    "feature": pgettext_lazy("run-sheet slot, inside a sentence", "feature presentation"),
    "education": pgettext_lazy("run-sheet slot, inside a sentence", "education moment"),
}


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
