"""The roll-call row, rendered in Python: a president's page draws up to 150 of them on every load.

The same row serves the page, a mark's htmx answer and the counts poll (through the `roll-row`
partial of meetings/meeting_detail.html), so all three stay alike. The template language resolved
some 35 variables and 20 tags per row (about half a millisecond each on a busy machine): here a row
is one string format with its values escaped.
"""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

_MARKS = (("present", "P", "Present"), ("late", "L", "Late"), ("absent", "A", "Absent"), ("medical", "M", "Medical"))
_TAGS = {"on_leave": ' <span class="tag tag-warn">On leave</span>', "probation": ' <span class="tag tag-warn">Probation</span>'}

# A form of its own for the substitute, whose status is fixed: Enter (or a phone's Go key) in the name or
# business submits this form, never the P/L/A/M buttons, so the substitute is what gets saved.
_OPEN = """
    <form method="post" action="{url}" hx-post="{url}">{csrf}
      <div class="palms">{buttons}</div>
    </form>
    <details class="sub"{sub_open}>
      <summary>Substitute{sub_tick}</summary>
      <form method="post" action="{url}" hx-post="{url}" class="sub-fields" data-testid="substitute-form">{csrf}
        <input type="hidden" name="status" value="substitute">
        <input type="text" name="substitute_name" placeholder="Substitute's name" aria-label="Substitute's name" value="{sub_name}" maxlength="150">
        <input type="text" name="substitute_business" placeholder="Business" aria-label="Substitute's business" value="{sub_business}" maxlength="150">
        <button type="submit" class="secondary">Mark substitute</button>
      </form>
    </details>"""


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
    meeting = context["meeting"]
    membership, status, attendance = row.membership, row.status, row.attendance
    pk = membership.pk
    url = context["mark_url"](pk)
    html = [
        f'<li id="roll-{pk}" class="roll-row" data-status="{status or ""}"',
        ' hx-swap-oob="true">' if context.get("row_oob") else ">",
        f'\n    <div class="roll-who">\n      <span><strong>{escape(membership.display_name)}</strong>'
        f' <small class="muted">{escape(membership.classification or "")}</small>{_TAGS.get(membership.status, "")}</span>'
        f'\n      <span class="mark mark-{status or "none"}" data-testid="mark">{_mark_text(attendance)}</span>\n    </div>',
    ]
    if row.error:
        html.append(f'\n    <p class="errorlist" role="alert">{escape(row.error)}</p>')
    roll_open = context.get("roll_open")
    if roll_open is None:
        roll_open = meeting.roll_call_is_open
    if meeting.status == "closed":
        html.append(f'\n    <p><a href="{context["correct_url"](pk)}">Correct…</a></p>')
    elif roll_open:
        token = context.get("csrf_token")
        csrf = f'\n        <input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">' if token else ""
        buttons = "".join(
            f'\n        <button type="submit" name="status" value="{value}" class="s-{value}" '
            f'aria-pressed="{"true" if status == value else "false"}" aria-label="{label}">{letter}</button>'
            for value, letter, label in _MARKS
        )
        typed = row.typed or {}
        sub_name = typed.get("substitute_name", "") if row.typed else (attendance.substitute_name if attendance else "")
        sub_business = (typed.get("substitute_business", "") if row.typed
                        else (attendance.substitute_business if attendance else ""))
        html.append(_OPEN.format(
            url=url, csrf=csrf, buttons=buttons + "\n      ",
            sub_open=" open" if status == "substitute" or row.error else "",
            sub_tick=" ✓" if status == "substitute" else "",
            sub_name=escape(sub_name), sub_business=escape(sub_business),
        ))
    html.append("\n  </li>")
    return mark_safe("".join(html))  # noqa: S308 -- every value above is escaped (test_roll_row_escapes_what_people_typed)
