from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from enforcement.periods import Period, add_months, fixed_window, month_of, rolling_window, week_of


def test_add_months_clamps_to_the_last_day_of_the_month():
    assert add_months(date(2026, 8, 31), -6) == date(2026, 2, 28)
    assert add_months(date(2026, 1, 15), 12) == date(2027, 1, 15)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)


def test_rolling_window_is_months_back_inclusive_of_the_day():
    assert rolling_window(date(2026, 5, 15), months=6) == Period(date(2025, 11, 16), date(2026, 5, 15))


def test_fixed_quarters_and_halves_follow_the_start_month():
    assert fixed_window(date(2026, 5, 15), months=3, start_month=1) == Period(date(2026, 4, 1), date(2026, 6, 30))
    assert fixed_window(date(2026, 5, 15), months=6, start_month=1) == Period(date(2026, 1, 1), date(2026, 6, 30))
    # April–September / October–March halves
    assert fixed_window(date(2026, 2, 1), months=6, start_month=4) == Period(date(2025, 10, 1), date(2026, 3, 31))
    assert fixed_window(date(2026, 4, 1), months=6, start_month=4) == Period(date(2026, 4, 1), date(2026, 9, 30))


def test_week_starts_monday_and_month_is_calendar():
    assert week_of(date(2026, 3, 1)) == Period(date(2026, 2, 23), date(2026, 3, 1))
    assert month_of(date(2024, 2, 10)) == Period(date(2024, 2, 1), date(2024, 2, 29))


def test_utc_bounds_are_local_midnights_across_a_dst_change():
    lo, hi = Period(date(2026, 3, 1), date(2026, 3, 31)).utc_bounds(ZoneInfo("Europe/London"))
    assert lo.astimezone(UTC) == datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    assert hi.astimezone(UTC) == datetime(2026, 3, 31, 23, 0, tzinfo=UTC)  # BST from 29 March
    lo, _ = Period(date(2026, 7, 1), date(2026, 7, 31)).utc_bounds(ZoneInfo("America/New_York"))
    assert lo.astimezone(UTC) == datetime(2026, 7, 1, 4, 0, tzinfo=UTC)
