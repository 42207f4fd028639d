"""How often a beat entry runs, and how to say it, for the Background work page (times in UTC, CELERY_TIMEZONE)."""

from __future__ import annotations

from datetime import timedelta

from celery.schedules import crontab
from celery.schedules import schedule as interval
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

_MINUTES_A_WEEK = 7 * 24 * 60


def beat_period(timing) -> timedelta:
    """The longest wait between two runs: an entry that has not succeeded for twice this is overdue."""
    if isinstance(timing, timedelta):
        return timing
    if isinstance(timing, crontab):
        return _crontab_period(timing)
    if isinstance(timing, interval):
        return timing.run_every
    if isinstance(timing, int | float):
        return timedelta(seconds=timing)
    return timedelta(days=1)  # a schedule kind we do not use (solar): a day is a safe guess


def _crontab_period(timing: crontab) -> timedelta:
    if len(timing.month_of_year) < 12:
        return timedelta(days=366)
    if len(timing.day_of_month) < 31:
        return timedelta(days=31)
    # Every run of a week, in minutes from Sunday 00:00; the longest gap, counting the one across the week's end.
    runs = sorted(day * 1440 + hour * 60 + minute
                  for day in timing.day_of_week for hour in timing.hour for minute in timing.minute)
    gaps = [later - earlier for earlier, later in zip(runs, runs[1:], strict=False)]
    gaps.append(runs[0] + _MINUTES_A_WEEK - runs[-1])
    return timedelta(minutes=max(gaps))


def beat_timing_text(timing) -> str:
    """'every minute', 'hourly at :30', 'daily at 02:15 UTC', 'every 10 seconds', else the cron fields."""
    if isinstance(timing, interval) and not isinstance(timing, crontab):
        timing = timing.run_every
    if isinstance(timing, timedelta):
        seconds = int(timing.total_seconds())
        if seconds % 60:
            return ngettext("every %(n)d second", "every %(n)d seconds", seconds) % {"n": seconds}
        return ngettext("every %(n)d minute", "every %(n)d minutes", seconds // 60) % {"n": seconds // 60}
    if not isinstance(timing, crontab):
        return str(timing)
    every_day = len(timing.day_of_week) == 7 and len(timing.day_of_month) == 31 and len(timing.month_of_year) == 12
    if every_day and len(timing.hour) == 24 and len(timing.minute) == 60:
        return _("every minute")
    if every_day and len(timing.hour) == 24 and len(timing.minute) == 1:
        return _("hourly at :%(minute)02d") % {"minute": min(timing.minute)}
    if every_day and len(timing.hour) == 1 and len(timing.minute) == 1:
        return _("daily at %(time)s UTC") % {"time": f"{min(timing.hour):02d}:{min(timing.minute):02d}"}
    fields = (timing._orig_minute, timing._orig_hour, timing._orig_day_of_month,
              timing._orig_month_of_year, timing._orig_day_of_week)
    return _("cron %(fields)s (UTC)") % {"fields": " ".join(str(f) for f in fields)}
