"""Dates, times, numbers and money in the reader's locale, from CLDR through Babel.

Django's own formats (``|date``, ``localize``) know each language's date order but not everything
CLDR does: en-GB and en-US both show 12-hour times there, German money has no currency sign, and a
chapter's currency is never part of a locale. These helpers take the active language (what the reader
reads in: leadsgroups.i18n) and an explicit currency, and the templates use them through the filters of
leadsgroups/templatetags/formats.py (built in: no ``{% load %}`` needed).

Date formats are CLDR widths ("short", "medium", "long", "full") or skeletons ("MMMEd": weekday, day and
short month in the locale's order and punctuation); times are the locale's short time (24-hour in
de/fr/es/en-GB, 12-hour in en-US). Aware datetimes are shown in the active timezone (the chapter's
on its pages) unless one is given.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from django.utils import timezone, translation

WIDTHS = frozenset({"short", "medium", "long", "full"})


@lru_cache(maxsize=32)
def _locale(code: str) -> Locale:
    try:
        return Locale.parse(translation.to_locale(code))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en_GB")


def current_locale() -> Locale:
    """The Babel locale of the active language (en-gb → en_GB, de → de)."""
    return _locale(translation.get_language() or "en-gb")


def _as_local(value, tz=None):
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value, tz)
    return value


def format_date(value, fmt: str = "medium", *, tz=None) -> str:
    """A date (or a datetime's local date): a CLDR width or a skeleton such as "yMMMEd"."""
    if value in (None, ""):
        return ""
    value = _as_local(value, tz)
    day = value.date() if isinstance(value, dt.datetime) else value
    return _date_text(day, fmt, _language())


# Babel works a pattern out on every call; a sweep words the same few dates and amounts thousands of
# times (every fine's explanation), and a page its meetings' dates. The words of a value in a language
# never change, so they are kept: a bounded cache per process.
@lru_cache(maxsize=8192)
def _date_text(day: dt.date, fmt: str, code: str) -> str:
    locale = _locale(code)
    if fmt in WIDTHS:
        return babel_dates.format_date(day, fmt, locale=locale)
    return babel_dates.format_skeleton(fmt, day, locale=locale)


@lru_cache(maxsize=4096)
def _time_text(moment: dt.time, code: str) -> str:
    return babel_dates.format_time(moment, "short", locale=_locale(code))


@lru_cache(maxsize=8192)
def _money_text(amount: Decimal, currency: str, code: str) -> str:
    return babel_numbers.format_currency(amount, currency, locale=_locale(code))


def _language() -> str:
    return translation.get_language() or "en-gb"


def format_time(value, *, tz=None) -> str:
    """The locale's short time: "07:00" (de, fr, es, en-GB) or "7:00 AM" (en-US)."""
    if value in (None, ""):
        return ""
    value = _as_local(value, tz)
    moment = value.time() if isinstance(value, dt.datetime) else value
    return _time_text(moment, _language())


def format_datetime(value, fmt: str = "medium", *, tz=None) -> str:
    """Date (width or skeleton) and short time, joined as the locale joins them."""
    if value in (None, ""):
        return ""
    value = _as_local(value, tz)
    locale = current_locale()
    pattern = babel_dates.get_datetime_format(fmt if fmt in WIDTHS else "medium", locale=locale)
    return (str(pattern).replace("'", "")
            .replace("{1}", format_date(value, fmt, tz=tz)).replace("{0}", format_time(value, tz=tz)))


def format_money(amount, currency: str) -> str:
    """"£30.00", "30,00 €", "30,00 $US": the reader's locale, the chapter's currency."""
    if amount in (None, ""):
        return ""
    return _money_text(Decimal(str(amount)), currency, _language())


def format_number(value, decimals: int | None = None) -> str:
    """Grouped and with the locale's decimal sign; ``decimals`` fixes the digits after it."""
    if value in (None, ""):
        return ""
    if decimals is None:
        return babel_numbers.format_decimal(value, locale=current_locale())
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return babel_numbers.format_decimal(value, format=pattern, locale=current_locale())


def plain_number(value) -> str:
    """A number for stored data, a log, a form field or a spreadsheet, as code reads it back (no locale):
    1 → "1", 0.50 → "0.5", 2.25 → "2.25" (to the cent)."""
    text = format(Decimal(value).quantize(Decimal("0.01")), "f").rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def format_percent(value, decimals: int = 0) -> str:
    """A share (0.42) as the locale writes a percentage ("42 %" in de and fr, "42%" in en)."""
    if value in (None, ""):
        return ""
    locale = current_locale()
    pattern = locale.percent_formats[None].pattern
    if decimals:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * decimals, 1)
    return babel_numbers.format_percent(value, format=pattern, locale=locale)


def currency_name(code: str) -> str:
    return babel_numbers.get_currency_name(code, locale=current_locale())


def currency_symbol(code: str) -> str:
    return babel_numbers.get_currency_symbol(code, locale=current_locale())


def is_iso_currency(code: str) -> bool:
    """A currency in use under ISO 4217 (CLDR's list of current tender somewhere), not any three letters."""
    return code in _current_currencies()


@lru_cache(maxsize=1)
def _current_currencies() -> frozenset[str]:
    today = dt.date.today()
    found = set()
    for territory in Locale.parse("en").territories:
        found.update(babel_numbers.get_territory_currencies(territory, start_date=today, end_date=today,
                                                           tender=True))
    return frozenset(found)


def current_currencies() -> frozenset[str]:
    """The ISO 4217 codes in use (a chapter's currency is one of them): what a form offers."""
    return _current_currencies()
