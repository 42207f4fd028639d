"""The attendance report's cells, rendered in Python: a page of 30 members over half a year is 800 of them."""

from functools import lru_cache

from django import template
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import mark_safe

from meetings.models import Attendance, mark_codes

register = template.Library()

_EMPTY = '<td><span class="muted">·</span></td>'


@lru_cache(maxsize=16)
def _cells(language: str) -> dict[str, str]:
    """Each cell is one of six strings: a mark (its code, its name on hover) or nothing; made once per language."""
    codes = mark_codes()
    return {
        status: f'<td><span class="mark mark-{status}" title="{escape(label)}">{escape(codes[status])}</span></td>'
        for status, label in Attendance.Status.choices
    }


@register.simple_tag
def report_cells(cells) -> str:
    """A member's row of marks, one cell per meeting (None: no mark)."""
    shown = _cells(translation.get_language() or "")
    return mark_safe("".join(shown[c.status] if c is not None else _EMPTY for c in cells))  # noqa: S308 -- fixed strings


@register.simple_tag
def mark_code_map() -> dict[str, str]:
    """`{% mark_code_map as codes %}`: each mark's one-letter code in the active language ({{ codes.present }})."""
    return mark_codes()


@register.filter
def mark_code(status: str) -> str:
    """A mark's one-letter code in the active language: {{ "present"|mark_code }} is "P" in English."""
    return mark_codes().get(status, "")
