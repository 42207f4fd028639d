"""Reads of integrity flags shaped for the pages: a chapter's list, one flag's evidence, the overseers' queue,
and the flagged rows the reports leave out for the chapter's honest figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy

from chapters.models import Chapter
from integrity.explanations import Explanation, flag_explanation
from integrity.models import IntegrityCheck, IntegrityEvidence, IntegrityFlag, counting
from meetings.models import Attendance
from members.models import AuditEvent, Membership
from referrals.models import OneToOne, Referral, ThankYou

Status = IntegrityFlag.Status
# The list's filter: which flags each choice shows.
SHOWS = {
    "open": Q(status=Status.OPEN),
    "reviewed": Q(status=Status.REVIEWED),
    "closed": Q(status=Status.CLOSED),
    "all": Q(),
}
SHOW_LABELS = {  # plural in languages whose adjectives agree ("Ouvertes"): a context of their own
    "open": pgettext_lazy("integrity flags shown", "Open"),
    "reviewed": pgettext_lazy("integrity flags shown", "Reviewed"),
    "closed": pgettext_lazy("integrity flags shown", "Closed"),
    "all": pgettext_lazy("integrity flags shown", "All"),
}
PER_PAGE = 25


def _with_members(queryset: QuerySet) -> QuerySet:
    return queryset.prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("user").order_by("user__full_name", "pk"))
    )


def chapter_flags(*, chapter, show: str = "open") -> QuerySet[IntegrityFlag]:
    """The chapter's flags for the list: open first by default; each with its members and evidence count."""
    return _with_members(
        IntegrityFlag.objects.filter(SHOWS.get(show, SHOWS["open"]), chapter=chapter)
        .select_related("chapter", "reviewed_by")
        .annotate(rows=Count("evidence"))
        .order_by("-evidence_changed_at", "-pk")
    )


def show_choices(*, chapter=None) -> list[tuple[str, str, int | None]]:
    """The list's filter: each choice with how many flags of the chapter it shows (no counts without a chapter)."""
    counts = {}
    if chapter is not None:
        counts = dict(
            IntegrityFlag.objects.filter(chapter=chapter).values("status").annotate(n=Count("pk"))
            .values_list("status", "n").order_by()
        )
    return [
        (value, label, (counts.get(value, 0) if value != "all" else sum(counts.values())) if chapter else None)
        for value, label in SHOW_LABELS.items()
    ]


def last_checked(*, chapter):
    return IntegrityCheck.objects.filter(chapter=chapter).values_list("checked_at", flat=True).first()


def flag_for(*, chapter, flag_id: int) -> IntegrityFlag | None:
    return _with_members(
        IntegrityFlag.objects.filter(chapter=chapter, pk=flag_id).select_related("reviewed_by", "chapter")
    ).first()


def explanation(flag: IntegrityFlag) -> Explanation:
    """The flag's figures in words (its members prefetched, so no query)."""
    names = {m.pk: m.display_name for m in flag.memberships.all()}
    return flag_explanation(flag, names=names, currency=flag.chapter.currency)


def flags_explained(flags) -> list[tuple[IntegrityFlag, Explanation]]:
    return [(flag, explanation(flag)) for flag in flags]


@dataclass
class EvidenceRow:
    item: object  # the referral, TYFCB, one-to-one or attendance mark
    new: bool  # added since the flag was reviewed
    gap_days: int | None = None  # a TYFCB: days from the referral given to the business closed


@dataclass
class Evidence:
    referrals: list[EvidenceRow]
    thank_yous: list[EvidenceRow]
    one_to_ones: list[EvidenceRow]
    attendances: list[EvidenceRow]

    @property
    def count(self) -> int:
        return len(self.referrals) + len(self.thank_yous) + len(self.one_to_ones) + len(self.attendances)


def flag_evidence(flag: IntegrityFlag) -> Evidence:
    """The rows behind a flag, with their people, in one query; the newest evidence marked after a review."""
    rows = IntegrityEvidence.objects.filter(flag=flag).select_related(
        "referral__giver__user", "referral__receiver__user",
        "thank_you__referral", "thank_you__giver__user", "thank_you__receiver__user",
        "one_to_one__initiator__user", "one_to_one__other__user",
        "attendance__meeting", "attendance__membership__user",
    )
    evidence = Evidence([], [], [], [])
    tz = flag.chapter.tz
    for row in rows:
        new = flag.reviewed_at is not None and row.added_at > flag.reviewed_at
        if row.referral_id:
            evidence.referrals.append(EvidenceRow(row.referral, new))
        elif row.thank_you_id:
            given: date = timezone.localtime(row.thank_you.referral.created_at, tz).date()
            evidence.thank_yous.append(EvidenceRow(row.thank_you, new, (row.thank_you.closed_on - given).days))
        elif row.one_to_one_id:
            evidence.one_to_ones.append(EvidenceRow(row.one_to_one, new))
        elif row.attendance_id:
            evidence.attendances.append(EvidenceRow(row.attendance, new))
    evidence.referrals.sort(key=lambda r: (r.item.created_at, r.item.pk))
    evidence.thank_yous.sort(key=lambda r: (r.item.closed_on, r.item.pk))
    evidence.one_to_ones.sort(key=lambda r: (r.item.created_at, r.item.pk))
    evidence.attendances.sort(key=lambda r: (r.item.meeting.local_date, r.item.pk))
    return evidence


@dataclass
class Review:
    at: object
    who: str
    outcome: str
    note: str


def flag_history(flag: IntegrityFlag) -> list[Review]:
    """The flag's reviews as the audit trail has them, newest first (one query)."""
    labels = dict(IntegrityFlag.Outcome.choices)
    return [
        Review(at=e.created_at, who=e.actor_label or gettext("System"),
               outcome=str(labels.get(e.after.get("outcome"), e.after.get("outcome", ""))), note=e.reason)
        for e in AuditEvent.objects.filter(
            action="integrity.flag_reviewed", target_type="integrity.integrityflag", target_id=str(flag.pk)
        ).order_by("-created_at", "-pk")
    ]


def flags_queue(*, region_ids: list[int] | None, show: str = "open") -> QuerySet[IntegrityFlag]:
    """Flags across the chapters a person oversees (None: every region), oldest change first."""
    flags = IntegrityFlag.objects.filter(SHOWS.get(show, SHOWS["open"]))
    if region_ids is not None:
        flags = flags.filter(chapter__region_id__in=region_ids)
    return _with_members(flags.select_related("chapter", "chapter__region").annotate(rows=Count("evidence"))
                         .order_by("evidence_changed_at", "pk"))


# Honest figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlaggedActivity:
    """Rows in the evidence of open or confirmed flags, as subqueries of ids: the reports leave them out.

    Each is a queryset of one column that the database nests into the report's own query, so leaving
    flagged activity out adds no query. A TYFCB is left out with its referral's flag too.
    """

    referrals: QuerySet
    thank_yous: QuerySet
    one_to_ones: QuerySet
    attendances: QuerySet


def _evidence_of(chapter_ids) -> QuerySet[IntegrityEvidence]:
    return IntegrityEvidence.objects.filter(counting("flag__"), flag__chapter_id__in=chapter_ids)


def flagged_activity(*, chapter_ids) -> FlaggedActivity:
    evidence = _evidence_of(list(chapter_ids))
    # Never a NULL in an `IN (…)` list: `NOT IN` a list holding NULL would leave out every row.
    return FlaggedActivity(
        **{
            plural: evidence.filter(**{f"{name}__isnull": False}).values(f"{name}_id")
            for name, plural in (("referral", "referrals"), ("thank_you", "thank_yous"),
                                 ("one_to_one", "one_to_ones"), ("attendance", "attendances"))
        }
    )


def _count(queryset) -> Coalesce:
    """How many rows `queryset` has, as a subquery (one row: no GROUP BY a constant)."""
    return Coalesce(Subquery(queryset.order_by().values(one=Value(1)).annotate(n=Count("pk")).values("n")[:1]), 0)


def flagged_activity_counts(*, chapter) -> dict[str, int]:
    """How many rows of each kind the figures without flagged activity leave out (one query).

    The TYFCB counted are those the reports leave out: flagged themselves, or thanks for a flagged referral.
    """
    flagged = flagged_activity(chapter_ids=[chapter.pk])
    counts = Chapter.objects.filter(pk=chapter.pk).values(  # "n_": the chapter's relations hold the plain names
        n_referrals=_count(Referral.objects.filter(pk__in=flagged.referrals)),
        n_thank_yous=_count(ThankYou.objects.filter(Q(pk__in=flagged.thank_yous)
                                                    | Q(referral_id__in=flagged.referrals))),
        n_one_to_ones=_count(OneToOne.objects.filter(pk__in=flagged.one_to_ones)),
        n_attendances=_count(Attendance.objects.filter(pk__in=flagged.attendances)),
    ).get()
    return {name.removeprefix("n_"): n for name, n in counts.items()}
