"""One-line text: names, businesses, titles, short reasons. Line breaks and control characters are refused.

A newline in a name ends up in an email header (where it fails to send, or injects a header), in
a CSV export and in one-line page layouts. Every form of the project inherits `SingleLineFormMixin`,
which gives each one-line text field (any CharField not shown as a textarea or password box) the
validator below; `tests/test_single_line.py` fails for a form that forgets it.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_noop

# C0 controls (including CR, LF, tab and NUL) and DEL. Unicode line and paragraph separators too:
# some mail clients and spreadsheets break lines at them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
# The English text (tests compare with it); the error itself is in the reader's language.
SINGLE_LINE_MESSAGE = gettext_noop("Use a single line: line breaks and control characters are not allowed.")


def validate_single_line(value) -> None:
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        raise ValidationError(gettext(SINGLE_LINE_MESSAGE), code="single_line")


def one_line(text: str) -> str:
    """The text with every run of control characters turned into one space (for headers of old data)."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", text or "").split())


def is_one_line_field(field: forms.Field) -> bool:
    return isinstance(field, forms.CharField) and not isinstance(
        field.widget, forms.Textarea | forms.PasswordInput
    )


class SingleLineFormMixin:
    """Refuse control characters in every one-line text field of the form (declared or from a model)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # each form's own copies: appending changes no other form
            if is_one_line_field(field) and validate_single_line not in field.validators:
                field.validators.append(validate_single_line)
