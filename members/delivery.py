"""How each kind of notice reaches a person: in the app only, by email at once, in a daily digest, or off.

A person's choices are a JSON map on their account (`User.notification_delivery`, kind → choice), so
reading one costs no query once the user is loaded; a kind not in the map, or one whose stored
choice is no longer offered, takes its default from here.

Kinds a rule requires (`REQUIRED`) always come in the app and by email at once: a fine has a time
to pay or contest it, an expulsion case has deadlines to answer, appeal and decide, and a membership
change alters the person's seat (and may carry the link to set a first password). A digest could
hold them back a day and "app only" may never be seen, so these offer no other choice. They are
also written in bulk by the enforcement sweep, which asks only `User.wants_email`.

"Off" still writes the notice, as already read: the unread count stops growing, the notices page
keeps a history the person can look back on, and callers (and their dedupe keys) work as before.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from members.models import Notification

Kind = Notification.Kind


class Delivery(models.TextChoices):
    APP = "app", pgettext_lazy("notification delivery", "In the app only")
    EMAIL = "email", pgettext_lazy("notification delivery", "By email at once")
    DIGEST = "digest", pgettext_lazy("notification delivery", "In the daily digest")
    OFF = "off", pgettext_lazy("notification delivery", "Off")


# Why each required kind cannot be changed, as the settings page says it.
REQUIRED = {
    Kind.FINE: _("A fine has a time to pay or contest it: you are always told at once."),
    Kind.CASE: _("An expulsion case has deadlines to answer, appeal and decide: you are always told at once."),
    Kind.MEMBERSHIP: _("A change to your membership alters your seat (and may carry your sign-in link): "
                       "you are always told at once."),
}

# Routine steps of a referral come together once a day; what needs action soon comes at once.
DEFAULTS = {
    Kind.INVITATION: Delivery.EMAIL,
    Kind.MEMBERSHIP: Delivery.EMAIL,
    Kind.REFERRAL_RECEIVED: Delivery.EMAIL,
    Kind.REFERRAL_UPDATED: Delivery.DIGEST,
    Kind.CONSENT_ANSWERED: Delivery.DIGEST,
    Kind.THANK_YOU: Delivery.DIGEST,
    Kind.ONE_TO_ONE: Delivery.EMAIL,
    Kind.FINE: Delivery.EMAIL,
    Kind.CASE: Delivery.EMAIL,
    Kind.REMINDER: Delivery.EMAIL,
    Kind.STALE_REFERRAL: Delivery.DIGEST,
    Kind.READ_OUT: Delivery.EMAIL,
}


def choices_for(kind: str) -> list[str]:
    """The choices a person has for a kind of notice."""
    if kind in REQUIRED:
        return [Delivery.EMAIL]
    return list(Delivery.values)


def default_for(kind: str) -> str:
    return DEFAULTS.get(kind, Delivery.EMAIL)


def delivery_for(stored: dict | None, kind: str) -> str:
    """The choice in force for a kind, given a person's stored map (a choice no longer offered falls back)."""
    choice = (stored or {}).get(kind)
    return choice if choice in choices_for(kind) else default_for(kind)


def from_muted_kinds(muted: list[str] | None) -> dict[str, str]:
    """The map for someone who had kinds emailed muted (the old setting): those kinds in the app only.

    A required kind stays at its default; a muted kind whose default is the digest also goes to the
    app (they asked for no email about it).
    """
    return {kind: Delivery.APP.value for kind in sorted(set(muted or [])) if kind in Kind.values and kind not in REQUIRED}


# One-click unsubscribe (RFC 8058): each notice email and digest carries a link signed for its person
# and kind ("digest": every kind they get in the digest). It never expires: all it can do is move
# those emails to the app, which the person can undo on the settings page.
UNSUBSCRIBE_SALT = "members.delivery.unsubscribe"
DIGEST = "digest"


def unsubscribe_token(*, user_id: int, kind: str) -> str:
    from django.core import signing

    return signing.dumps([user_id, kind], salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_token_read(token: str) -> tuple[int, str] | None:
    """(user id, kind) of a token, or None if it was not signed by us."""
    from django.core import signing

    try:
        user_id, kind = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not isinstance(user_id, int) or kind not in {*Kind.values, DIGEST}:
        return None
    return user_id, kind


def unsubscribe_headers(*, user_id: int, kind: str) -> dict[str, str]:
    """The List-Unsubscribe headers of an email to a person about a kind (or their digest)."""
    from django.conf import settings
    from django.urls import reverse

    url = settings.SITE_URL + reverse("notification-unsubscribe", args=[unsubscribe_token(user_id=user_id, kind=kind)])
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
