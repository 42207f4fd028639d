"""The navigation every page carries, cached per person and invalidated when what it shows changes.

What the top bar shows (the person's chapters, unread count, oversight links, whether they hold a
seat, the admins' failed-email badge) used to cost four or five queries on every page. It is now
built once and kept in Django's `default` cache, checked against two version numbers:

- `nav:u:<user id>`: bumped when the person's seats, region roles, admin flag or notifications change;
- `nav:g`: bumped when any chapter is created, renamed, moved or deleted (names and slugs are shown).

The entry (`nav2:<user id>`) records the versions it was built at; a page reads the two versions and
the entry in one round trip and rebuilds it when a version moved on, so a stale entry is never used.
Versions start from the clock (never from 1), so a version key lost from the cache cannot come back
to a number an old entry carries. The versions live in the same cache as the entries, so with a
shared cache (Redis through CACHE_URL) a change made by any web process or Celery worker is seen by
every other at its next request. The default locmem cache is per process: fine for tests and one
runserver, not for several processes.

Bumps happen at once and again when the request (or Celery task) that made them ends, after its
transaction committed: a request reading in between could otherwise cache what it read before the
commit under the new version. (Not `transaction.on_commit`: many tests count the commit callbacks a
service queues.) The navigation is also built when a person signs in, so their first page reads it.
"""

from __future__ import annotations

import functools
import threading
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.signals import post_delete, post_save
from django.utils.functional import SimpleLazyObject

NAV_CHAPTERS_SHOWN = 8  # an overseer's menu lists this many chapters, then links to the searchable list
# Part of every entry's key: change it when what _build returns changes shape, so a deploy never
# reads an entry an older release wrote into the shared cache.
NAV_SCHEMA = 3  # 3: the latest unread notices carry their link
NAV_TTL = 60 * 60  # an entry nobody bumps still expires (a missed invalidation heals within the hour)
OUTBOX_TTL = 5 * 60

GLOBAL_KEY = "nav:g"
OUTBOX_KEY = "nav:outbox-failed"


def _user_key(user_id: int) -> str:
    return f"nav:u:{user_id}"


def _fresh_version() -> int:
    # Never reuse a number: a version key that expired and came back as 1 could meet an old entry.
    return time.time_ns()


def _bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # not there (never set, expired or evicted)
        cache.set(key, _fresh_version(), None)


_pending = threading.local()


def _bump_now_and_later(key: str) -> None:
    _bump(key)
    if not hasattr(_pending, "keys"):
        _pending.keys = set()
    _pending.keys.add(key)


def _bump_pending(**kwargs) -> None:
    """At the end of a request or task: bump again what it bumped, now that its transaction committed."""
    keys = getattr(_pending, "keys", None)
    if keys:
        _pending.keys = set()
        for key in keys:
            if key == OUTBOX_KEY:
                cache.delete(key)
            else:
                _bump(key)


def nav_invalidate_user(user_id: int | None) -> None:
    """The person's navigation is stale: their seats, roles or notifications changed."""
    if user_id:
        _bump_now_and_later(_user_key(user_id))


def nav_invalidate_everyone() -> None:
    """Every navigation is stale: a chapter's name, slug or region changed."""
    _bump_now_and_later(GLOBAL_KEY)


def nav_invalidate_outbox() -> None:
    """The failed-email count changed."""
    cache.delete(OUTBOX_KEY)
    if not hasattr(_pending, "keys"):
        _pending.keys = set()
    _pending.keys.add(OUTBOX_KEY)


def _build(user) -> dict:
    """Everything the navigation shows about a person, as plain values (a few small queries)."""
    from chapters.models import Chapter, RegionStaff
    from members.models import Membership, Notification

    # each seat with its chapter (and region name): the menu lists the chapters, the dashboard the seats
    seat_rows = list(
        Membership.objects.filter(user=user, status__in=Membership.SEATED_STATUSES)
        .order_by("chapter__name", "chapter_id", "pk")
        .values_list("pk", "role", "status", "chapter_id", "chapter__name", "chapter__slug", "chapter__region__name")
    )
    seats = list(dict.fromkeys((row[3], row[4], row[5]) for row in seat_rows))
    # The unread count and whether the person is region staff anywhere, in one query.
    unread, is_region_staff = (
        get_user_model().objects.filter(pk=user.pk)
        .annotate(
            unread=Subquery(
                Notification.objects.filter(user=OuterRef("pk"), read_at__isnull=True)
                .values("user").annotate(n=Count("pk")).values("n")
            ),
            staff=Exists(RegionStaff.objects.filter(user=OuterRef("pk"))),
        )
        .values_list("unread", "staff").get()
    )
    region_ids = (
        list(RegionStaff.objects.filter(user=user).values_list("region_id", flat=True))
        if is_region_staff and not user.is_org_admin else []
    )
    oversees = bool(user.is_org_admin or region_ids)
    overseen, more = [], False
    if oversees:
        qs = Chapter.objects.all() if user.is_org_admin else Chapter.objects.filter(region_id__in=region_ids)
        qs = qs.exclude(pk__in=[pk for pk, _name, _slug in seats])
        # one more than shown tells whether the menu needs its "all chapters" link, without a count
        overseen = list(qs.order_by("name", "pk").values_list("pk", "name", "slug")[: NAV_CHAPTERS_SHOWN + 1])
        more = len(overseen) > NAV_CHAPTERS_SHOWN
        overseen = overseen[:NAV_CHAPTERS_SHOWN]
    return {
        "seats": seats,
        "seat_rows": seat_rows,
        "overseen": overseen,
        "more_chapters": more,
        "region_ids": region_ids,
        "oversees": oversees,
        "unread": unread or 0,
    }


def _enabled() -> bool:
    # Off in most tests (tests/conftest.py), so a page's query count does not depend on what an earlier
    # request of the same test left in the cache; the navigation's own tests turn it on.
    return getattr(settings, "NAV_CACHE", True)


def _entry_key(user_id: int) -> str:
    return f"nav{NAV_SCHEMA}:{user_id}"


def nav_state(user) -> dict:
    """The person's navigation facts, from the cache when nothing changed since they were built.

    Kept on the user object too, so the page and its navigation read the cache once per request.
    """
    state = getattr(user, "_nav_state", None)
    if state is not None:
        return state
    if not _enabled():
        state = _build(user)
    else:
        # One round trip: both versions and the entry, which says which versions it was built at.
        keys = [_user_key(user.pk), GLOBAL_KEY, _entry_key(user.pk)]
        found = cache.get_many(keys)
        for key in keys[:2]:
            if key not in found:
                cache.add(key, _fresh_version(), None)
                found[key] = cache.get(key)
        stamp = (found[keys[0]], found[keys[1]], bool(user.is_org_admin))
        state = found.get(keys[2])
        if state is None or state.get("stamp") != stamp:
            state = _build(user)
            state["stamp"], state["key"] = stamp, keys[2]
            cache.set(keys[2], state, NAV_TTL)
    user._nav_state = state
    return state


def nav_cached(user, name: str, build):
    """Something else about the person that changes exactly when their navigation does (e.g. their
    latest unread notifications), cached under the same versions."""
    state = nav_state(user)
    if name not in state:
        state[name] = build()
        if state.get("key"):  # kept in the same entry: the page reads one key, not two
            cache.set(state["key"], state, NAV_TTL)
    return state[name]


def outbox_failed_count() -> int:
    from members.models import OutboundEmail

    n = cache.get(OUTBOX_KEY) if _enabled() else None
    if n is None:
        n = OutboundEmail.objects.filter(status=OutboundEmail.Status.FAILED).count()
        cache.set(OUTBOX_KEY, n, OUTBOX_TTL)
    return n


class _NavChapter:
    """A chapter as the menu needs it (name and slug), without loading the model."""

    __slots__ = ("pk", "name", "slug")

    def __init__(self, pk, name, slug):
        self.pk, self.name, self.slug = pk, name, slug

    def __str__(self):
        return self.name


_FIXED_URLS = ["dashboard", "notifications", "profile", "case-queue", "org-overview", "audit", "outbox", "admin:index",
               "account_change_password", "account_logout", "account_login", "referral-new", "directory-search",
               "switch-language"]


@functools.cache
def _fixed_urls(script_prefix: str) -> dict[str, str]:
    from django.urls import reverse

    return {name.replace(":", "_").replace("-", "_"): reverse(name) for name in _FIXED_URLS}


@functools.lru_cache(maxsize=8192)
def _reverse_once(script_prefix: str, name: str, args: tuple) -> str:
    from django.urls import reverse

    return reverse(name, args=list(args))


def url_for(name: str, *args) -> str:
    """reverse(name, args=args), kept per process: the dashboard links a few chapter pages on every view."""
    from django.urls import get_script_prefix

    return _reverse_once(get_script_prefix(), name, args)


def _forget_urls(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _reverse_once.cache_clear()
        _fixed_urls.cache_clear()


def nav_urls() -> dict[str, str]:
    """The base template's links that take no argument, reversed once per process (a dozen per page)."""
    from django.urls import get_script_prefix

    return _fixed_urls(get_script_prefix())


def navigation(request):
    """Context processor: the chapter menu, unread count and oversight links, built lazily from the cache."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"open_signup": settings.LEADSGROUPS_OPEN_SIGNUP, "nav_urls": nav_urls()}
    state = SimpleLazyObject(lambda: nav_state(user))  # read once, only if the page shows the navigation
    return {
        "nav_chapters": lambda: [_NavChapter(*row) for row in state["seats"] + state["overseen"]],
        # more chapters than the menu lists: it links to the dashboard's searchable list instead
        "nav_more_chapters": lambda: state["more_chapters"],
        "nav_unread": lambda: state["unread"],
        # Organisation admins and region staff review cases and read the audit trail.
        "nav_oversight": lambda: state["oversees"],
        # Organisation admins watch the email outbox; the badge counts emails that failed for good.
        "nav_outbox": user.is_org_admin,
        "nav_outbox_failed": SimpleLazyObject(lambda: outbox_failed_count() if user.is_org_admin else 0),
        # Only a seated member logs referrals: staff without a seat get no button that leads nowhere.
        "nav_has_seat": lambda: bool(state["seats"]),
        "nav_urls": nav_urls(),
        "nav_chapter": getattr(request, "chapter", None),
        "nav_access": getattr(request, "access", None),
    }


# Invalidation ---------------------------------------------------------------------------------


def _membership_changed(sender, instance, **kwargs):
    nav_invalidate_user(instance.user_id)


def _region_staff_changed(sender, instance, **kwargs):
    nav_invalidate_user(instance.user_id)


def _chapter_changed(sender, instance, **kwargs):
    nav_invalidate_everyone()


def _user_changed(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # every sign-in saves last_login: nothing the navigation shows
    nav_invalidate_user(instance.pk)


def _notification_changed(sender, instance, update_fields=None, **kwargs):
    nav_invalidate_user(instance.user_id)


def _notifications_read(sender, user_ids=(), **kwargs):
    for user_id in set(user_ids):
        nav_invalidate_user(user_id)


def _outbox_changed(sender, instance=None, created=False, **kwargs):
    from members.models import OutboundEmail

    if created and instance.status != OutboundEmail.Status.FAILED:
        return  # a new email in the queue changes no failed count
    nav_invalidate_outbox()


def _signed_in(sender, request, user, **kwargs):
    if _enabled():
        _bump_pending()
        nav_state(user)


def connect_invalidation() -> None:
    """Wire the model signals that make a navigation stale (called from HomeConfig.ready)."""
    from celery.signals import task_postrun
    from django.contrib.auth.signals import user_logged_in
    from django.core.signals import request_finished, setting_changed

    from chapters.models import Chapter, Region, RegionStaff
    from members.models import Membership, Notification, OutboundEmail
    from members.signals import notifications_read, outbox_failures_changed

    for signal in (post_save, post_delete):
        signal.connect(_membership_changed, sender=Membership, dispatch_uid="nav-membership")
        signal.connect(_region_staff_changed, sender=RegionStaff, dispatch_uid="nav-region-staff")
        signal.connect(_chapter_changed, sender=Chapter, dispatch_uid="nav-chapter")
        signal.connect(_chapter_changed, sender=Region, dispatch_uid="nav-region")  # the dashboard shows its name
        signal.connect(_user_changed, sender=get_user_model(), dispatch_uid="nav-user")
        signal.connect(_notification_changed, sender=Notification, dispatch_uid="nav-notification")
        signal.connect(_outbox_changed, sender=OutboundEmail, dispatch_uid="nav-outbox")
    notifications_read.connect(_notifications_read, dispatch_uid="nav-notifications-read")
    outbox_failures_changed.connect(_outbox_changed, dispatch_uid="nav-outbox-bulk")
    request_finished.connect(_bump_pending, dispatch_uid="nav-bump-pending-request")
    setting_changed.connect(_forget_urls, dispatch_uid="nav-forget-urls")
    task_postrun.connect(_bump_pending, dispatch_uid="nav-bump-pending-task", weak=False)
    user_logged_in.connect(_signed_in, dispatch_uid="nav-signed-in")
