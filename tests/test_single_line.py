"""One-line text fields refuse line breaks and control characters, in every form of the project."""

import importlib
import inspect

import pytest
from django import forms

from leadsgroups.single_line import (
    SINGLE_LINE_MESSAGE,
    SingleLineFormMixin,
    is_one_line_field,
    one_line,
    validate_single_line,
)

APPS = ["chapters", "meetings", "members", "referrals", "enforcement", "reports", "api"]


def _project_forms():
    for app in APPS:
        module = importlib.import_module(f"{app}.forms")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield f"{app}.forms.{name}", cls


FORMS = sorted(_project_forms())


def test_the_project_has_forms_to_check():
    assert len(FORMS) > 20


@pytest.mark.parametrize("name,cls", FORMS, ids=[n for n, _ in FORMS])
def test_every_form_with_a_one_line_text_field_refuses_control_characters(name, cls):
    one_line_fields = [f for f, field in cls.base_fields.items() if is_one_line_field(field)]
    if one_line_fields:
        assert issubclass(cls, SingleLineFormMixin), f"{name} has one-line fields {one_line_fields} without the mixin"


@pytest.mark.parametrize("value", ["Ann\nBcc: x@example.com", "Ann\rBob", "A\x00nn", "Tab\there", "Bell\x07", "Del\x7f",
                                   "Line\u2028separator"])
def test_control_characters_are_refused_with_a_clear_message(value):
    class NameForm(SingleLineFormMixin, forms.Form):
        name = forms.CharField()
        notes = forms.CharField(widget=forms.Textarea, required=False)

    form = NameForm({"name": value, "notes": "Several\nlines\nare fine here"})
    assert not form.is_valid()
    assert form.errors["name"] == [SINGLE_LINE_MESSAGE] or SINGLE_LINE_MESSAGE in form.errors["name"]
    assert "notes" not in form.errors


def test_a_plain_name_passes_and_so_do_accents_and_emoji():
    validate_single_line("Zoë O'Brien-Łukasz — Café ☕")


def test_one_line_turns_old_data_into_a_safe_header():
    assert one_line("Ann\r\nBcc: x@example.com\x00") == "Ann Bcc: x@example.com"
