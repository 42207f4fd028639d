"""The daily digest: one email per person gathering the notices they chose to get that way.

Notices whose kind the person set to "digest" are written with `digest_wanted` (members/notifications.py).
Once a day (beat, 06:30 UTC: a fixed hour, morning in Europe and night in the Americas, so a digest
lands once a day at the same time whatever the person's chapters; a person may sit in chapters of
several timezones) the sweep finds who has some waiting and fans out batches of people; for each,
one transaction claims their rows (select_for_update with skip_locked, then a conditional update),
writes one outbox row, and the outbox sends and retries it like any other email. A notice is in one
digest at most: two workers or a rerun find nothing left to claim. A notice read in the app before
the digest goes is left out (it has been seen).
"""

from __future__ import annotations

import logging
from itertools import groupby

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from leadsgroups.i18n import for_user
from members.delivery import DIGEST, unsubscribe_headers
from members.models import Notification, OutboundEmail, User
from members.notice_texts import notice_text
from members.outbox import email_queue

log = logging.getLogger(__name__)

DIGEST_MAX_NOTICES = 200  # a flood beyond this waits for the next day's digest
BATCH = 200  # people per task


def _pending():
    return Notification.objects.filter(digest_wanted=True, digest_sent_at__isnull=True, read_at__isnull=True)


def digest_user_ids(*, now=None) -> list[int]:
    """Everyone with notices waiting for their digest (written before `now`)."""
    now = now or timezone.now()
    return list(_pending().filter(created_at__lte=now).order_by("user_id").values_list("user_id", flat=True).distinct())


@transaction.atomic
def notification_digest_send(*, user: User, now=None) -> OutboundEmail | None:
    """Gather the person's waiting notices into one email (an outbox row, sent on commit); None if none wait."""
    now = now or timezone.now()
    if not user.is_active or not user.email:
        return None
    # Lock what we take; rows another worker holds are its own digest's (skip_locked), and the
    # conditional update below takes only rows still unclaimed (SQLite has no row locks).
    ids = list(
        _pending().filter(user=user, created_at__lte=now).select_for_update(skip_locked=True)
        .order_by("created_at", "pk").values_list("pk", flat=True)[:DIGEST_MAX_NOTICES]
    )
    if not ids:
        return None
    claimed = _pending().filter(pk__in=ids).update(digest_sent_at=now)
    if claimed != len(ids):  # another run took some meanwhile: take only ours, by their new time
        ids = list(Notification.objects.filter(pk__in=ids, digest_sent_at=now).values_list("pk", flat=True))
    notices = list(
        Notification.objects.filter(pk__in=ids).select_related("chapter").order_by("created_at", "pk")
    )
    if not notices:
        return None
    with for_user(user):
        context = {
            "groups": _by_chapter(notices), "count": len(notices), "user": user,
            "site_url": settings.SITE_URL, "org": settings.ORGANISATION_NAME,
        }
        subject = ngettext("Your daily digest: %(count)d notice", "Your daily digest: %(count)d notices",
                           len(notices)) % {"count": len(notices)}
        return email_queue(
            kind=OutboundEmail.Kind.DIGEST, to=user.email, subject=f"[{settings.ORGANISATION_NAME}] {subject}",
            body=render_to_string("emails/digest.txt", context),
            html=render_to_string("emails/digest.html", context),
            headers=unsubscribe_headers(user_id=user.pk, kind=DIGEST),
        )


def _by_chapter(notices: list[Notification]) -> list[dict]:
    """The notices grouped by chapter (by name; those of no chapter last), each with its words now."""
    def chapter_key(n):
        return (n.chapter is None, n.chapter.name.casefold() if n.chapter else "", n.chapter_id or 0)

    groups = []
    for _key, rows in groupby(sorted(notices, key=chapter_key), key=chapter_key):
        rows = list(rows)
        items = []
        for n in rows:
            title, body = notice_text(n)
            items.append({"n": n, "title": title, "body": body})
        chapter = rows[0].chapter
        groups.append({"chapter": chapter, "name": chapter.name if chapter else _("General"), "items": items})
    return groups


def notification_digests_send(*, user_ids: list[int], now=None) -> int:
    """Each listed person's digest; returns how many were written."""
    written = 0
    for user in User.objects.filter(pk__in=user_ids).order_by("pk"):
        try:
            written += notification_digest_send(user=user, now=now) is not None
        except Exception:  # noqa: BLE001 - one person's broken notice must not hold back everyone's digest
            log.exception("The digest of person %s could not be written; their notices wait for the next run", user.pk)
    return written
