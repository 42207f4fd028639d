"""iCalendar rendering of meetings for calendar apps (times local to each chapter, with TZID)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from leadsgroups.i18n import for_user


def calendar_render(*, meetings, user, revisions: dict[int, int] | None = None) -> bytes:
    """A VCALENDAR of the meetings; a cancelled meeting stays in it as STATUS:CANCELLED.

    `revisions` (meeting id → times moved, cancelled or reinstated) gives each event's SEQUENCE. The
    events' words are in the person's language: a calendar app fetches the feed without a browser's.
    """
    with for_user(user):
        return _calendar(meetings=meetings, revisions=revisions or {})


def _calendar(*, meetings, revisions: dict[int, int]) -> bytes:
    cal = Calendar()
    cal.add("prodid", f"-//{settings.ORGANISATION_NAME}//Leadsgroups meetings//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("%(organisation)s meetings") % {"organisation": settings.ORGANISATION_NAME})
    now = timezone.now()
    first = last = None
    for meeting in meetings:
        chapter = meeting.chapter
        start = meeting.starts_at.astimezone(chapter.tz)
        event = Event()
        event.add("uid", f"meeting-{meeting.pk}@{settings.SITE_URL.split('://')[-1]}")
        event.add("dtstamp", now)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=meeting.duration_minutes))
        title = _("%(chapter)s meeting") % {"chapter": chapter.name}
        if meeting.status == meeting.Status.CANCELLED:
            title = _("Cancelled: %(title)s") % {"title": title}
            event.add("status", "CANCELLED")
        else:
            event.add("status", "CONFIRMED")
        event.add("summary", title)
        if meeting.venue:
            event.add("location", meeting.venue)
        if chapter.meal == chapter.Meal.NONE:
            description = _("Meeting of %(chapter)s.") % {"chapter": chapter.name}
        else:
            description = _("%(meal)s meeting of %(chapter)s.") % {"meal": chapter.get_meal_display(),
                                                                    "chapter": chapter.name}
        if meeting.cancel_reason:
            description += "\n" + _("Cancelled: %(reason)s") % {"reason": meeting.cancel_reason}
        event.add("description", description)
        event.add("url", settings.SITE_URL + meeting.get_absolute_url())
        event.add("sequence", revisions.get(meeting.pk, 0))
        cal.add_component(event)
        first = min(first or start.date(), start.date())
        last = max(last or start.date(), start.date())
    if first is not None:
        cal.add_missing_timezones(first_date=first - timedelta(days=366), last_date=last + timedelta(days=366))
    return cal.to_ical()
