from django.utils.functional import SimpleLazyObject

from members.models import Membership, Notification, OutboundEmail


def navigation(request):
    """The chapter switcher and unread count for the base template (two small queries)."""
    from django.conf import settings

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"open_signup": settings.LEADSGROUPS_OPEN_SIGNUP}
    from chapters.access import chapters_visible_to

    return {
        "nav_chapters": lambda: list(chapters_visible_to(user).distinct().order_by("name").only("name", "slug")),
        "nav_unread": lambda: Notification.objects.filter(user=user, read_at__isnull=True).count(),
        # Organisation admins and region staff review cases and read the audit trail.
        "nav_oversight": lambda: user.is_org_admin or user.region_roles.exists(),
        # Organisation admins watch the email outbox; the badge counts emails that failed for good.
        "nav_outbox": user.is_org_admin,
        # Read twice (on the closed menu and beside its link), counted once.
        "nav_outbox_failed": SimpleLazyObject(
            lambda: OutboundEmail.objects.filter(status=OutboundEmail.Status.FAILED).count() if user.is_org_admin else 0
        ),
        # Only a seated member logs referrals: staff without a seat get no button that leads nowhere.
        "nav_has_seat": lambda: Membership.objects.filter(user=user, status__in=Membership.SEATED_STATUSES).exists(),
        "nav_chapter": getattr(request, "chapter", None),
        "nav_access": getattr(request, "access", None),
    }
