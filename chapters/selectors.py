"""Reads about chapters, shaped for their pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, Prefetch, Q, Value, When

from chapters.models import Chapter, Classification
from enforcement.formatting import money
from members.models import Invitation, Membership
from members.selectors import with_email_state

HEALTH_BANDS = [(33, "healthy"), (28, "fit"), (24, "at risk"), (17, "high risk"), (0, "restart")]


def chapter_health(active_count: int) -> str:
    """A region's headcount bands (DOMAIN.md): under 17 restart … 33 and more healthy."""
    return next(label for floor, label in HEALTH_BANDS if active_count >= floor)


def chapter_roster(*, chapter: Chapter, include_departed: bool = False):
    """Members of a chapter with user and classification, seated first."""
    qs = Membership.objects.filter(chapter=chapter).select_related("user", "classification")
    if not include_departed:
        qs = qs.filter(status__in=Membership.SEATED_STATUSES)
    return qs.order_by("user__full_name", "user__email")


def chapter_leadership(*, chapter: Chapter):
    return (
        Membership.objects.filter(
            chapter=chapter, role__in=Membership.LEADERSHIP_ROLES, status__in=Membership.SEATED_STATUSES
        )
        .select_related("user")
        .order_by(_ROLE_RANK, "user__full_name")
    )


# President first, then vice-president, then secretary-treasurer: the order chapters list them in.
_ROLE_RANK = Case(
    When(role=Membership.Role.PRESIDENT, then=Value(0)),
    When(role=Membership.Role.VICE_PRESIDENT, then=Value(1)),
    default=Value(2),
)


def _held_classifications(chapter: Chapter):
    return Membership.objects.filter(chapter=chapter, status__in=Membership.SEATED_STATUSES).values("classification")


def _pending_invitations(chapter: Chapter):
    """Invitations still waiting for an answer that can still be accepted."""
    from django.utils import timezone

    return Invitation.objects.filter(
        chapter=chapter, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def classification_reservation(*, chapter: Chapter, classification, except_email: str = "") -> Invitation | None:
    """The pending invitation that offers `classification` in the chapter, unless it is `except_email`'s own.

    While an invitation is open its classification is promised to the invitee: giving it to anyone
    else (editing a member, converting a visitor, activating an applicant) would leave them a link
    that fails when they accept it.
    """
    if classification is None:
        return None
    pending = _pending_invitations(chapter).filter(classification=classification)
    if except_email:
        pending = pending.exclude(email__iexact=except_email)
    return pending.order_by("created_at").first()


def classification_reserved_message(invitation: Invitation) -> str:
    """Why a classification cannot be given: the open invitation that offers it, named."""
    tz = invitation.chapter.tz
    return (
        f"The open invitation to {invitation.email} (sent {invitation.created_at.astimezone(tz):%-d %b %Y}, "
        f"valid until {invitation.expires_at.astimezone(tz):%-d %b %Y}) offers the classification "
        f"{invitation.classification}: withdraw that invitation first, or choose another classification."
    )


def chapter_free_classifications(*, chapter: Chapter):
    """Classifications no member holds in this chapter (a pending invitation may offer one)."""
    return Classification.objects.exclude(pk__in=_held_classifications(chapter)).order_by("name")


def chapter_open_classifications(*, chapter: Chapter):
    """Classifications nobody holds in this chapter nor is invited into: seats to recruit for."""
    reserved = _pending_invitations(chapter).filter(classification__isnull=False).values("classification")
    return chapter_free_classifications(chapter=chapter).exclude(pk__in=reserved)


def chapter_reserved_classifications(*, chapter: Chapter):
    """Classifications nobody holds yet but a pending invitation offers: not open to anyone else meanwhile."""
    reserved = _pending_invitations(chapter).values("classification")
    return Classification.objects.filter(pk__in=reserved).exclude(pk__in=_held_classifications(chapter)).order_by("name")


def chapter_counts(*, chapter: Chapter) -> dict:
    """Headcount by status, in one query."""
    return Membership.objects.filter(chapter=chapter).aggregate(
        active=Count("pk", filter=Q(status=Membership.Status.ACTIVE)),
        on_leave=Count("pk", filter=Q(status=Membership.Status.ON_LEAVE)),
        probation=Count("pk", filter=Q(status=Membership.Status.PROBATION)),
        applicants=Count("pk", filter=Q(status=Membership.Status.APPLICANT)),
    )


def chapter_open_invitations(*, chapter: Chapter):
    """Open invitations, each with its email's state (queued, sent, failed) from the outbox."""
    return with_email_state(
        Invitation.objects.filter(chapter=chapter, accepted_at__isnull=True, revoked_at__isnull=True).select_related(
            "classification", "invited_by"
        ),
        cause="invitation",
    )


def user_chapters(*, user):
    """The chapters a person sits in, with their seat, for navigation and the dashboard."""
    from chapters.access import chapters_visible_to

    seats = Membership.objects.filter(user=user, status__in=Membership.SEATED_STATUSES).select_related(
        "classification"
    )
    return (
        chapters_visible_to(user)
        .distinct()
        .select_related("region")
        .prefetch_related(Prefetch("memberships", queryset=seats, to_attr="my_seats"))
        .annotate(active_count=Count("memberships", filter=Q(memberships__status=Membership.Status.ACTIVE)))
        .order_by("name")
    )


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@dataclass(frozen=True)
class Attention:
    chapter: Chapter
    text: str
    url: str


def dashboard_attention(*, user, chapters: list[Chapter]) -> list[Attention]:
    """What needs the person's attention across their chapters, in a fixed number of queries."""
    from django.db.models import Sum
    from django.urls import reverse
    from django.utils import timezone

    from enforcement.models import ExpulsionCase, Fine
    from meetings.models import Meeting, Visitor
    from meetings.selectors import visitors_awaiting_follow_up
    from referrals.models import OneToOne, Referral

    seats = {seat.pk: (chapter, seat) for chapter in chapters for seat in getattr(chapter, "my_seats", [])}
    led = [c for c in chapters if any(s.is_leadership for s in getattr(c, "my_seats", []))]
    items: list[Attention] = []

    def add(chapter, text, name, *args):
        items.append(Attention(chapter, text, reverse(name, args=[chapter.slug, *args])))

    needing = (
        Referral.objects.filter(receiver__in=seats, status__in=Referral.OPEN_STATUSES)
        .filter(Q(status=Referral.Status.GIVEN) | Q(stale_since__isnull=False))
        .values("receiver").annotate(n=Count("pk"))
    )
    for row in needing:
        add(seats[row["receiver"]][0], _count(row["n"], "referral received needs", "referrals received need") + " your action", "referrals:inbox")
    to_confirm = (
        OneToOne.objects.filter(other__in=seats, status=OneToOne.Status.PENDING).values("other").annotate(n=Count("pk"))
    )
    for row in to_confirm:
        add(seats[row["other"]][0], _count(row["n"], "one-to-one", "one-to-ones") + " to confirm", "referrals:one-to-ones")
    fines = (
        Fine.objects.filter(membership__in=seats, status=Fine.Status.OPEN, amount__gt=0)
        .values("membership", "currency").annotate(total=Sum("amount"), n=Count("pk"))
    )
    for row in fines:
        add(seats[row["membership"]][0], _count(row["n"], "unpaid fine", "unpaid fines") + f": {money(row['total'], row['currency'])}",
            "enforcement:my-fines")
    for case in ExpulsionCase.objects.filter(membership__in=seats, status=ExpulsionCase.Status.OPEN):
        add(seats[case.membership_id][0], "An expulsion case about you is open: read it and appeal",
            "enforcement:case-detail", case.pk)
    if led:
        by_slug = {c.pk: c for c in led}
        cutoff = timezone.now() - timezone.timedelta(hours=3)
        unclosed = (
            Meeting.objects.filter(chapter__in=led, starts_at__lt=cutoff)
            .exclude(status__in=[Meeting.Status.CLOSED, Meeting.Status.CANCELLED])
            .order_by("starts_at")
        )
        for meeting in unclosed:
            add(by_slug[meeting.chapter_id], f"Close the meeting of {meeting.local_date:%a %d %b} to make its figures final",
                "meetings:detail", meeting.pk)
        # the people the follow-up page lists: each once (at their latest visit), none from a cancelled meeting
        with_visitors = set(
            Visitor.objects.filter(meeting__chapter__in=led, follow_up__in=Visitor.AWAITING)
            .exclude(meeting__status=Meeting.Status.CANCELLED)
            .values_list("meeting__chapter", flat=True)
        )
        for chapter in led:
            if chapter.pk in with_visitors:
                n = len(visitors_awaiting_follow_up(chapter=chapter, max_visits=0))
                if n:
                    add(chapter, _count(n, "visitor awaits", "visitors await") + " follow-up", "meetings:visitors")
        cases = (
            ExpulsionCase.objects.filter(chapter__in=led, status=ExpulsionCase.Status.OPEN)
            .values("chapter").annotate(n=Count("pk"))
        )
        for row in cases:
            add(by_slug[row["chapter"]], _count(row["n"], "open expulsion case", "open expulsion cases"), "enforcement:cases")
    items.extend(_cases_to_decide(user=user, chapters=chapters))
    return items


def _cases_to_decide(*, user, chapters: list[Chapter]) -> list[Attention]:
    """For organisation admins and region staff: cases whose appeal time is over (or waived), per chapter."""
    from django.urls import reverse
    from django.utils import timezone

    from chapters.access import regions_overseen_by
    from enforcement.models import ExpulsionCase

    regions = regions_overseen_by(user)
    if regions is not None and not regions:
        return []
    now = timezone.now()
    ready = ExpulsionCase.objects.filter(
        Q(appeal_deadline__lte=now) | Q(appeal_waived_at__isnull=False), status=ExpulsionCase.Status.OPEN,
    ).exclude(membership__user=user)  # nobody decides their own case
    if regions is not None:
        ready = ready.filter(chapter__region_id__in=regions)
    by_pk = {c.pk: c for c in chapters}
    queue = reverse("case-queue")
    return [
        Attention(by_pk[row["chapter"]],
                  _count(row["n"], "expulsion case", "expulsion cases") + " ready for your decision",
                  f"{queue}?stage=ready&chapter={row['chapter']}")
        for row in ready.values("chapter").annotate(n=Count("pk")).order_by("chapter")
        if row["chapter"] in by_pk
    ]
