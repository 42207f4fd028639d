"""The roll-call row, rendered in Python: a president's page draws up to 150 of them on every load.

The same row serves the page, a mark's htmx answer and the counts poll (through the `roll-row`
partial of meetings/meeting_detail.html), so all three stay alike. The template language resolved
some 35 variables and 20 tags per row (about half a millisecond each on a busy machine): here a row
is one string format with its values escaped, and its words are looked up once per language.

Each mark button is a toggle (`aria-pressed`) whose accessible name says whom it marks and how
("Mark Ann Smith present"): a screen reader going through 150 rows of "P L A M" buttons would
otherwise not know which member a button belongs to.
"""

from functools import lru_cache

from django import template
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from meetings.models import mark_codes

register = template.Library()

_MARK_ORDER = ("present", "late", "absent", "medical")  # the buttons' order; the substitute has its own form

# A form of its own for the substitute, whose status is fixed: Enter (or a phone's Go key) in the name or
# business submits this form, never the P/L/A/M buttons, so the substitute is what gets saved.
_OPEN = """
    <form method="post" action="{url}" hx-post="{url}">{csrf}
      <div class="palms">{buttons}</div>
    </form>
    <details class="sub"{sub_open}>
      <summary>{w[substitute]}<span class="visually-hidden">: {name}</span>{sub_tick}</summary>
      <form method="post" action="{url}" hx-post="{url}" class="sub-fields" data-testid="substitute-form">{csrf}
        <input type="hidden" name="status" value="substitute">
        <input type="text" name="substitute_name" placeholder="{w[sub_name]}" aria-label="{w[sub_name]}" value="{sub_name}" maxlength="150">
        <input type="text" name="substitute_business" placeholder="{w[business]}" aria-label="{w[sub_business]}" value="{sub_business}" maxlength="150">
        <button type="submit" class="secondary" aria-label="{sub_button_label}">{w[mark_substitute]}</button>
      </form>
    </details>"""


@lru_cache(maxsize=16)
def _words(language: str) -> dict:
    """The row's fixed words in `language` (the active one when called), escaped for HTML."""
    codes = mark_codes()
    labels = {
        "present": _("Mark %(name)s present"),
        "late": _("Mark %(name)s late"),
        "absent": _("Mark %(name)s absent"),
        "medical": _("Mark %(name)s medical"),
    }
    words = {
        "substitute": pgettext("attendance mark", "Substitute"),
        "sub_name": _("Substitute's name"),
        "sub_business": _("Substitute's business"),
        "business": _("Business"),
        "mark_substitute": _("Mark substitute"),
        "correct": _("Correct…"),
        "on_leave": _("On leave"),
        "probation": _("Probation"),
    }
    return {
        **{key: escape(text) for key, text in words.items()},
        "sub_button_label": _("Mark substitute for %(name)s"),  # escaped once the name is in
        "buttons": [(value, escape(codes[value]), labels[value]) for value in _MARK_ORDER],
    }


def _mark_text(attendance) -> str:
    if attendance is None:
        return '<span class="muted">—</span>'
    text = escape(attendance.get_status_display())
    if attendance.status == "substitute":
        text += ": " + escape(attendance.substitute_name)
        if attendance.substitute_business:
            text += f" ({escape(attendance.substitute_business)})"
    return text


@register.simple_tag(takes_context=True)
def roll_row(context, row) -> str:
    """One member's row: who, their mark, and the buttons to mark them (or the link to correct it once closed).

    Reads `meeting`, `mark_url` and `correct_url` (functions of the member's id), `csrf_token` and `row_oob` (the row
    swapped out of band by a poll) from the context; the page may set `roll_open` once for all rows.
    """
    w = _words(translation.get_language() or "")
    meeting = context["meeting"]
    membership, status, attendance = row.membership, row.status, row.attendance
    pk = membership.pk
    url = context["mark_url"](pk)
    name = membership.display_name
    tag = {"on_leave": w["on_leave"], "probation": w["probation"]}.get(membership.status)
    tag = f' <span class="tag tag-warn">{tag}</span>' if tag else ""
    html = [
        f'<li id="roll-{pk}" class="roll-row" data-status="{status or ""}"',
        ' hx-swap-oob="true">' if context.get("row_oob") else ">",
        f'\n    <div class="roll-who">\n      <span><strong>{escape(name)}</strong>'
        f' <small class="muted">{escape(membership.classification or "")}</small>{tag}</span>'
        f'\n      <span class="mark mark-{status or "none"}" data-testid="mark">{_mark_text(attendance)}</span>\n    </div>',
    ]
    if row.error:
        html.append(f'\n    <p class="errorlist" role="alert">{escape(row.error)}</p>')
    roll_open = context.get("roll_open")
    if roll_open is None:
        roll_open = meeting.roll_call_is_open
    if meeting.status == "closed":
        html.append(f'\n    <p><a href="{context["correct_url"](pk)}">{w["correct"]}</a></p>')
    elif roll_open:
        token = context.get("csrf_token")
        csrf = f'\n        <input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">' if token else ""
        buttons = "".join(
            f'\n        <button type="submit" name="status" value="{value}" class="s-{value}" '
            f'aria-pressed="{"true" if status == value else "false"}" aria-label="{escape(label % {"name": name})}">'
            f"{code}</button>"
            for value, code, label in w["buttons"]
        )
        typed = row.typed or {}
        sub_name = typed.get("substitute_name", "") if row.typed else (attendance.substitute_name if attendance else "")
        sub_business = (typed.get("substitute_business", "") if row.typed
                        else (attendance.substitute_business if attendance else ""))
        html.append(_OPEN.format(
            w=w, url=url, csrf=csrf, buttons=buttons + "\n      ", name=escape(name),
            sub_open=" open" if status == "substitute" or row.error else "",
            sub_tick=" ✓" if status == "substitute" else "",
            sub_name=escape(sub_name), sub_business=escape(sub_business),
            sub_button_label=escape(w["sub_button_label"] % {"name": name}),
        ))
    html.append("\n  </li>")
    return mark_safe("".join(html))  # noqa: S308 -- every value above is escaped (test_roll_row_escapes_what_people_typed)
