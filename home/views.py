from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from home import dashboard as selectors
from home.navigation import nav_cached, nav_state, url_for
from members.models import Notification


def ago(moment, now) -> str:
    """'just now', '5 minutes ago', '3 hours ago', '2 days ago': the largest unit only.

    Django's timesince filter looks up a translated plural for every unit it considers; at eight
    notices a view that was a tenth of the dashboard's time. This looks up one.
    """
    seconds = max(0, int((now - moment).total_seconds()))
    for size, unit in ((365 * 86400, "year"), (30 * 86400, "month"), (7 * 86400, "week"), (86400, "day"),
                       (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return _AGO[unit](n) % {"count": n}
    return _("just now")


_AGO = {
    "year": lambda n: ngettext("%(count)s year ago", "%(count)s years ago", n),
    "month": lambda n: ngettext("%(count)s month ago", "%(count)s months ago", n),
    "week": lambda n: ngettext("%(count)s week ago", "%(count)s weeks ago", n),
    "day": lambda n: ngettext("%(count)s day ago", "%(count)s days ago", n),
    "hour": lambda n: ngettext("%(count)s hour ago", "%(count)s hours ago", n),
    "minute": lambda n: ngettext("%(count)s minute ago", "%(count)s minutes ago", n),
}


UNREAD_SHOWN = 8  # the dashboard's "New for me" lists this many, says how many more, and links to them all


def _latest_unread(user) -> list[dict]:
    return [
        # the link is reversed here, once per change of the person's navigation, not on every page
        {"pk": n.pk, "title": n.title, "message_key": n.message_key, "params": n.params, "url": n.url, "open_url": reverse("notification-open", args=[n.pk]),
         "created_at": n.created_at,
         "chapter": n.chapter.name if n.chapter else ""}
        for n in Notification.objects.filter(user=user, read_at__isnull=True).select_related("chapter")
        .order_by("-created_at")[:UNREAD_SHOWN]
    ]


@login_required
def dashboard(request):
    user = request.user
    nav = nav_state(user)  # cached: seats, oversight and unread count without a query
    chapters = selectors.seat_chapters(seat_rows=nav["seat_rows"])
    # the latest unread notices change exactly when the unread count does: cached with the navigation
    unread = nav_cached(user, "latest_unread", lambda: _latest_unread(user)) if nav["unread"] else []
    now = timezone.now()
    for notice in unread:
        notice["ago"] = ago(notice["created_at"], now)
    q = request.GET.get("q", "").strip()[:100]
    overseen = (
        selectors.overseen_chapters_page(user=user, region_ids=nav["region_ids"], q=q, page=request.GET.get("page"))
        if nav["oversees"] else None
    )
    attention = selectors.dashboard_attention(
        user=user, chapters=chapters, oversees=nav["oversees"], region_ids=nav["region_ids"]
    )
    # What the kept sections show beyond the person's navigation (templates/home/dashboard.html): their keys.
    chapters_shown = (
        tuple((c.active_count, c.next_meeting.shown if c.next_meeting else None) for c in chapters), bool(overseen),
    )
    unread_shown = (tuple(notice["ago"] for notice in unread), nav["unread"])
    return render(
        request, "home/dashboard.html",
        {"chapters": chapters, "unread": unread, "attention": attention, "overseen": overseen, "q": q,
         "chapters_shown": chapters_shown, "unread_shown": unread_shown, "unread_total": nav["unread"], "lights_url": url_for("my-lights")},
    )
