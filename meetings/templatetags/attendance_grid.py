"""The attendance report's cells, rendered in Python: a page of 30 members over half a year is 800 of them."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from meetings.models import Attendance

register = template.Library()

# Each cell is one of six strings: a mark (its letter, its name on hover) or nothing.
_CELLS = {
    status: f'<td><span class="mark mark-{status}" title="{escape(label)}">{escape(label[0])}</span></td>'
    for status, label in Attendance.Status.choices
}
_EMPTY = '<td><span class="muted">·</span></td>'


@register.simple_tag
def report_cells(cells) -> str:
    """A member's row of marks, one cell per meeting (None: no mark)."""
    return mark_safe("".join(_CELLS[c.status] if c is not None else _EMPTY for c in cells))  # noqa: S308 -- fixed strings
