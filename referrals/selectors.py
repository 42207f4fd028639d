"""Reads about referrals, shaped for their pages; the one privacy rule for prospect data lives here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Avg, Case, Count, F, IntegerField, Q, Sum, Value, When
from django.utils import timezone

from members.models import Membership
from referrals.models import EducationCredit, OneToOne, Referral, ThankYou


def sees_every_prospect(access) -> bool:
    """Chapter leadership seated in the chapter (president, vice-president, secretary-treasurer).

    Not organisation admins or region staff as such: they may open the chapter's referrals and
    erase a prospect's data on request, but see counts, statuses and values only, unless they also
    hold a leadership seat in this chapter.
    """
    return access is not None and access.membership is not None and access.membership.is_leadership


def referral_can_see_prospect(access, referral: Referral) -> bool:
    """THE rule: a prospect's name, contact and the giver's notes are for the giver, the receiver
    and the chapter's seated leadership; everyone else who may see the referral gets counts only."""
    if access is None:
        return False
    if sees_every_prospect(access):
        return True
    own = access.membership.pk if access.membership else None
    return own is not None and own in (referral.giver_id, referral.receiver_id)


def referrals_for_erasure_request(*, chapter, contact: str) -> list[Referral]:
    """The chapter's referrals (not yet erased) whose prospect has exactly this email or phone.

    For a prospect's request to be erased, which gives their contact: the person handling it (an
    admin, who does not see prospects) finds the referrals to erase without browsing anyone's data.
    Phones match on their digits, however they were typed.
    """
    contact = contact.strip()
    base = _base(chapter).filter(prospect_erased_at__isnull=True).order_by("-created_at")
    if "@" in contact:
        return list(base.filter(prospect_email__iexact=contact))
    digits = "".join(c for c in contact if c.isdigit())
    if len(digits) < 6:
        return []
    pks = [
        pk
        for pk, phone in base.exclude(prospect_phone="").values_list("pk", "prospect_phone")
        if "".join(c for c in phone if c.isdigit()) == digits
    ]
    return list(base.filter(pk__in=pks))


def chapter_contact(chapter) -> Membership | None:
    """Whom a prospect writes to about the chapter: the president, else another seated officer.

    Emails to prospects come from a no-reply address, so "reply to the email" reaches nobody.
    """
    order = Case(
        *(When(role=role, then=Value(i)) for i, role in enumerate(Membership.LEADERSHIP_ROLES)),
        output_field=IntegerField(),
    )
    return (
        Membership.objects.filter(
            chapter=chapter, role__in=Membership.LEADERSHIP_ROLES, status__in=Membership.SEATED_STATUSES
        )
        .select_related("user")
        .order_by(order, "joined_on", "pk")
        .first()
    )


def _base(chapter):
    return Referral.objects.filter(chapter=chapter).select_related(
        "giver__user", "giver__classification", "receiver__user", "receiver__classification"
    )


def _local_range(chapter, start: date | None, end: date | None) -> Q:
    """created_at within local dates [start, end] in the chapter's timezone."""
    q = Q()
    if start:
        q &= Q(created_at__gte=datetime.combine(start, time.min, tzinfo=chapter.tz))
    if end:
        q &= Q(created_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=chapter.tz))
    return q


STALE = "stale"  # a filter value beside the statuses: open referrals marked stale, whatever their step


def _with_status(qs, status: str):
    if status == STALE:
        return qs.filter(status__in=Referral.OPEN_STATUSES, stale_since__isnull=False)
    return qs.filter(status=status) if status else qs


def referral_inbox(*, chapter, membership: Membership, status: str = "", start=None, end=None):
    """Referrals received: needing action first (stale, then new), then the newest."""
    qs = _base(chapter).filter(receiver=membership).filter(_local_range(chapter, start, end))
    qs = _with_status(qs, status)
    open_q = Q(status__in=Referral.OPEN_STATUSES)
    return qs.annotate(
        urgency=Case(
            When(open_q & Q(stale_since__isnull=False), then=Value(0)),
            When(status=Referral.Status.GIVEN, then=Value(1)),
            When(open_q, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
    ).order_by("urgency", "-created_at")


def referral_outbox(*, chapter, membership: Membership, status: str = "", start=None, end=None):
    qs = _base(chapter).filter(giver=membership).filter(_local_range(chapter, start, end))
    qs = _with_status(qs, status)
    return qs.order_by("-created_at")


def referral_chapter_list(*, chapter, status: str = "", start=None, end=None):
    qs = _base(chapter).filter(_local_range(chapter, start, end))
    qs = _with_status(qs, status)
    return qs.order_by("-created_at")


def inbox_needing_action_count(*, chapter, membership: Membership) -> int:
    return (
        Referral.objects.filter(chapter=chapter, receiver=membership, status__in=Referral.OPEN_STATUSES)
        .filter(Q(status=Referral.Status.GIVEN) | Q(stale_since__isnull=False))
        .count()
    )


def one_to_ones_of(*, chapter, membership: Membership):
    """A member's one-to-ones, those waiting for their confirmation first."""
    return (
        OneToOne.objects.filter(chapter=chapter)
        .filter(Q(initiator=membership) | Q(other=membership))
        .select_related("initiator__user", "other__user")
        .annotate(
            todo=Case(
                When(other=membership, status=OneToOne.Status.PENDING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("todo", "-met_on", "-pk")
    )


def education_credits_of(*, chapter, membership: Membership):
    return EducationCredit.objects.filter(chapter=chapter, membership=membership).order_by(
        "-completed_on", "-pk"
    )


# Stats ----------------------------------------------------------------------------------------


@dataclass
class MemberStats:
    membership: Membership | None = None
    given: int = 0
    given_inside: int = 0
    given_outside: int = 0
    given_consented: int = 0
    given_won: int = 0
    received: int = 0
    received_inside: int = 0
    received_outside: int = 0
    tyfcb_given: Decimal = Decimal("0")  # value of business closed from referrals this member gave
    tyfcb_received: Decimal = Decimal("0")  # value this member closed from referrals received
    given_rated: int = 0  # of the referrals given, how many the receivers rated …
    given_rated_real: int = 0  # … as a real lead
    given_usefulness: float | None = None  # their average usefulness, where one was given
    one_to_ones: int = 0
    ceu_hours: Decimal = Decimal("0")
    extra: dict = field(default_factory=dict)

    @property
    def consented_share(self) -> float | None:
        return self.given_consented / self.given if self.given else None

    @property
    def conversion(self) -> float | None:
        return self.given_won / self.given if self.given else None


def chapter_stats(*, chapter, start: date, end: date) -> tuple[list[MemberStats], MemberStats]:
    """Per member and chapter totals over local dates [start, end]: seven grouped queries at any size."""
    members = list(
        Membership.objects.filter(chapter=chapter, status__in=Membership.SEATED_STATUSES)
        .select_related("user", "classification")
        .order_by("user__full_name", "user__email")
    )  # 1
    rows = {m.pk: MemberStats(membership=m) for m in members}

    def row(pk):
        return rows.setdefault(pk, MemberStats())  # a departed member's history still counts in totals

    referrals = Referral.objects.filter(chapter=chapter).filter(_local_range(chapter, start, end))
    inside, outside = Q(kind=Referral.Kind.INSIDE), Q(kind=Referral.Kind.OUTSIDE)
    for r in (
        referrals.values("giver")
        .annotate(  # 2
            n=Count("pk"),
            n_in=Count("pk", filter=inside),
            n_out=Count("pk", filter=outside),
            n_consent=Count("pk", filter=Q(consent__in=Referral.CONSENTED)),
            n_won=Count("pk", filter=Q(status=Referral.Status.WON)),
            n_rated=Count("pk", filter=~Q(rating="")),
            n_real=Count("pk", filter=Q(rating=Referral.Rating.REAL)),
            useful=Avg("usefulness"),
        )
        .order_by()
    ):
        s = row(r["giver"])
        s.given, s.given_inside, s.given_outside = r["n"], r["n_in"], r["n_out"]
        s.given_consented, s.given_won = r["n_consent"], r["n_won"]
        s.given_rated, s.given_rated_real, s.given_usefulness = r["n_rated"], r["n_real"], r["useful"]
    for r in (
        referrals.values("receiver")
        .annotate(  # 3
            n=Count("pk"), n_in=Count("pk", filter=inside), n_out=Count("pk", filter=outside)
        )
        .order_by()
    ):
        s = row(r["receiver"])
        s.received, s.received_inside, s.received_outside = r["n"], r["n_in"], r["n_out"]
    thanks = ThankYou.objects.filter(chapter=chapter, closed_on__gte=start, closed_on__lte=end)
    for r in thanks.values("giver").annotate(v=Sum("value")).order_by():  # 4
        row(r["giver"]).tyfcb_given = r["v"] or Decimal("0")
    for r in thanks.values("receiver").annotate(v=Sum("value")).order_by():  # 5
        row(r["receiver"]).tyfcb_received = r["v"] or Decimal("0")
    ones = OneToOne.objects.filter(
        chapter=chapter, status=OneToOne.Status.CONFIRMED, met_on__gte=start, met_on__lte=end
    )  # 6: a confirmed one-to-one counts once for each of the two, counted in SQL
    by_initiator = ones.values(who=F("initiator"), side=Value(0)).annotate(n=Count("pk")).values_list("who", "side", "n")
    by_other = ones.values(who=F("other"), side=Value(1)).annotate(n=Count("pk")).values_list("who", "side", "n")
    ones_total = 0
    for who, side, n in by_initiator.order_by().union(by_other.order_by(), all=True):
        row(who).one_to_ones += n
        ones_total += n if side == 0 else 0
    ceus = EducationCredit.objects.filter(chapter=chapter, completed_on__gte=start, completed_on__lte=end)
    for r in ceus.values("membership").annotate(h=Sum("hours")).order_by():  # 7
        row(r["membership"]).ceu_hours = r["h"] or Decimal("0")

    total = MemberStats()
    for s in rows.values():
        for name in (
            "given",
            "given_inside",
            "given_outside",
            "given_consented",
            "given_won",
            "received",
            "received_inside",
            "received_outside",
            "tyfcb_given",
            "tyfcb_received",
            "ceu_hours",
        ):
            setattr(total, name, getattr(total, name) + getattr(s, name))
    total.one_to_ones = ones_total  # each meeting once in the chapter's total
    seated = [rows[m.pk] for m in members]
    return seated, total


def leaderboard(stats: list[MemberStats], *, by: str = "given") -> list[MemberStats]:
    keys = {
        "given": lambda s: (s.given, s.tyfcb_given),
        "tyfcb": lambda s: (s.tyfcb_given, s.given),
        "won": lambda s: (s.given_won, s.given),
        "one_to_ones": lambda s: (s.one_to_ones, s.given),
    }
    return sorted(stats, key=keys.get(by, keys["given"]), reverse=True)


def default_period(chapter) -> tuple[date, date]:
    today = timezone.localdate(timezone=chapter.tz)
    return today - timedelta(days=89), today
