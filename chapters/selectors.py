"""Reads about chapters, shaped for their pages."""

from __future__ import annotations

from django.db.models import Case, Count, Q, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from chapters.models import Chapter, Classification
from leadsgroups.formats import format_date
from members.models import Invitation, Membership
from members.selectors import with_email_state

HEALTH_BANDS = [(33, "healthy"), (28, "fit"), (24, "at risk"), (17, "high risk"), (0, "restart")]
HEALTH_LABELS = {  # the bands as the reader says them
    "healthy": pgettext_lazy("chapter health", "healthy"), "fit": pgettext_lazy("chapter health", "fit"),
    "at risk": pgettext_lazy("chapter health", "at risk"), "high risk": pgettext_lazy("chapter health", "high risk"),
    "restart": pgettext_lazy("chapter health", "restart"),
}


def chapter_health(active_count: int) -> str:
    """A region's headcount bands (DOMAIN.md): under 17 restart … 33 and more healthy."""
    return str(HEALTH_LABELS[next(band for floor, band in HEALTH_BANDS if active_count >= floor)])


def chapter_health_rule() -> str:
    """The bands in words: "under 17 active members: restart, 17–23: high risk, …, 33 and more: healthy"."""
    words, ceiling = [], None
    for floor, band in HEALTH_BANDS:
        label = HEALTH_LABELS[band]
        if ceiling is None:
            words.append(_("%(floor)s and more: %(band)s") % {"floor": floor, "band": label})
        elif floor == 0:
            words.append(_("under %(ceiling)s: %(band)s") % {"ceiling": ceiling, "band": label})
        else:
            words.append(_("%(floor)s–%(last)s: %(band)s") % {"floor": floor, "last": ceiling - 1, "band": label})
        ceiling = floor
    return _("Active members %(bands)s") % {"bands": ", ".join(reversed(words))}


def chapter_roster(*, chapter: Chapter, include_departed: bool = False):
    """Members of a chapter with user and classification, seated first."""
    qs = Membership.objects.filter(chapter=chapter).select_related("user", "classification")
    if not include_departed:
        qs = qs.filter(status__in=Membership.SEATED_STATUSES)
    return qs.order_by("user__full_name", "user__email")


def roster_search(qs, q: str, *, emails: bool = True):
    """Members whose name, email, business or classification contains `q` (all of them when it is empty).

    `emails=False` for pages members see: a member may hide their address from the chapter
    (members.Profile), and which row matches would show it.
    """
    if not q:
        return qs
    found = (
        Q(user__full_name__icontains=q) | Q(business_name__icontains=q)
        | Q(user__business_name__icontains=q) | Q(classification__name__icontains=q)
    )
    return qs.filter(found | Q(user__email__icontains=q) if emails else found)


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
    return _(
        "The open invitation to %(email)s (sent %(sent)s, valid until %(until)s) offers the classification "
        "%(classification)s: withdraw that invitation first, or choose another classification."
    ) % {
        "email": invitation.email, "sent": format_date(invitation.created_at, tz=tz),
        "until": format_date(invitation.expires_at, tz=tz), "classification": invitation.classification,
    }


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
