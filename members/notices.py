"""Membership notices as data, and their words in the reader's language (registered in members/notice_texts.py).

Names are kept as they were when the notice was written; roles and statuses as their codes.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

INVITATION_ACCEPTED = "members.invitation_accepted"
PRESIDENCY_HANDED_OVER = "members.presidency_handed_over"
MEMBERSHIP_CHANGED = "members.membership_changed"


def invitation_accepted_params(invitation, user) -> dict:
    return {"invitation": invitation.pk, "person": str(user), "chapter": str(invitation.chapter)}


def invitation_accepted_text(p: dict) -> tuple[str, str]:
    return _("%(person)s accepted the invitation to %(chapter)s") % {"person": p["person"], "chapter": p["chapter"]}, ""


def presidency_handed_over_params(chapter) -> dict:
    return {"chapter": str(chapter)}


def presidency_handed_over_text(p: dict) -> tuple[str, str]:
    return (_("You handed the presidency of %(chapter)s over") % {"chapter": p["chapter"]},
            _("Another member has been appointed president; you are now a member of the chapter."))


def _code(value):
    """A role or status as its code, a classification as its name (as it was)."""
    return None if value is None else str(value)


def membership_changed_params(membership, before: dict, after: dict, reason: str) -> dict:
    return {
        "membership": membership.pk, "chapter": str(membership.chapter),
        "before": {k: _code(v) for k, v in before.items()}, "after": {k: _code(v) for k, v in after.items()},
        "reason": reason,
        # an applicant made from a visitor has an account without a password yet
        "no_password": membership.is_seated and not membership.user.has_usable_password(),
    }


def membership_changed_text(p: dict) -> tuple[str, str]:
    from members.services import _changes_told

    body = _changes_told(p["before"], p["after"]) + "."
    if p["reason"]:
        body += "\n" + _("Reason: %(reason)s") % {"reason": p["reason"]}
    if p["no_password"]:
        body += "\n" + _(
            "You have no password yet: choose one at %(link)s with this email address, then sign in."
        ) % {"link": settings.SITE_URL + reverse("account_reset_password")}
    return _("Your membership of %(chapter)s changed") % {"chapter": p["chapter"]}, body
