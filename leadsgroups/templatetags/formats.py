"""Template filters for the reader's locale (leadsgroups/formats.py); built into every template.

    {{ meeting.starts_at|ldate:"yMMMEd" }}   Wed, 9 Dec 2026 · Mi., 9. Dez. 2026
    {{ meeting.starts_at|ltime }}            07:00 · 7:00 AM (en-US)
    {{ fine.created_at|ldatetime }}          9 Dec 2026, 07:00
    {{ fine.amount|money:fine.currency }}    £30.00 · 30,00 €
    {{ rate|percent }}                       42% · 42 %
    {{ total|number }} / {{ avg|number:1 }}  1,234 · 1.234 / 2.5 · 2,5

Machine-readable values (``datetime`` attributes, query strings, CSV) keep Django's ``|date:"Y-m-d"``.
"""

from django import template

from leadsgroups import formats, i18n

register = template.Library()


@register.filter
def ldate(value, fmt="medium"):
    return formats.format_date(value, fmt or "medium")


@register.filter
def ltime(value):
    return formats.format_time(value)


@register.filter
def ldatetime(value, fmt="medium"):
    return formats.format_datetime(value, fmt or "medium")


@register.filter
def money(value, currency):
    return formats.format_money(value, currency or "GBP")


@register.filter
def number(value, decimals=None):
    return formats.format_number(value, None if decimals in (None, "") else int(decimals))


@register.filter
def percent(value, decimals=0):
    return formats.format_percent(value, int(decimals or 0))


@register.simple_tag
def javascript_catalogue(code):
    """`<script src="{% javascript_catalogue LANGUAGE_CODE %}">`: the page's language's catalogue."""
    return i18n.catalogue_url(code)
