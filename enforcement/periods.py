"""Calendar arithmetic for rule periods, all in local dates of the chapter's timezone."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta


@dataclass(frozen=True)
class Period:
    """Local dates, both ends inclusive."""

    start: date
    end: date

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    def utc_bounds(self, tz: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes: local midnight of the first day to local midnight after the last."""
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz),
        )

    def label(self) -> str:
        """One day with its weekday, or the first and last day, as the reader writes dates."""
        from enforcement.explain import period

        return period(self.start, self.end)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def month_start(day: date) -> date:
    return day.replace(day=1)


def fixed_window(day: date, *, months: int, start_month: int) -> Period:
    """The fixed quarter (months=3) or half-year (months=6) containing `day`, aligned on `start_month`."""
    offset = (day.month - start_month) % months
    start = add_months(date(day.year, day.month, 1), -offset)
    return Period(start, add_months(start, months) - timedelta(days=1))


def rolling_window(day: date, *, months: int) -> Period:
    """The `months` months ending with `day` (inclusive): e.g. 6 months to 15 May is 16 Nov – 15 May."""
    return Period(add_months(day, -months) + timedelta(days=1), day)


def week_of(day: date) -> Period:
    start = day - timedelta(days=day.weekday())
    return Period(start, start + timedelta(days=6))


def month_of(day: date) -> Period:
    start = month_start(day)
    return Period(start, add_months(start, 1) - timedelta(days=1))


def local_today(tz: zoneinfo.ZoneInfo, now: datetime) -> date:
    return now.astimezone(tz).date()
