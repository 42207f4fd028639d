"""Reads about chapters, shaped for their pages."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q

from chapters.models import Chapter, Classification
from members.models import Invitation, Membership

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
        .order_by("role")
    )


def chapter_open_classifications(*, chapter: Chapter):
    """Classifications nobody holds in this chapter: seats to recruit for."""
    taken = Membership.objects.filter(chapter=chapter, status__in=Membership.SEATED_STATUSES).values(
        "classification"
    )
    return Classification.objects.exclude(pk__in=taken).order_by("name")


def chapter_counts(*, chapter: Chapter) -> dict:
    """Headcount by status, in one query."""
    return Membership.objects.filter(chapter=chapter).aggregate(
        active=Count("pk", filter=Q(status=Membership.Status.ACTIVE)),
        on_leave=Count("pk", filter=Q(status=Membership.Status.ON_LEAVE)),
        probation=Count("pk", filter=Q(status=Membership.Status.PROBATION)),
        applicants=Count("pk", filter=Q(status=Membership.Status.APPLICANT)),
    )


def chapter_open_invitations(*, chapter: Chapter):
    return Invitation.objects.filter(chapter=chapter, accepted_at__isnull=True, revoked_at__isnull=True).select_related(
        "classification", "invited_by"
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
