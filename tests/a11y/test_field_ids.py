"""Every field of every form, rendered by our field template with help and an error, is announced with both.

Django's widgets (or, for a group of choices, our fieldset) point `aria-describedby` at `<id>_helptext`
and `<id>_error`; the help text and the error list must carry exactly those ids.
"""

import copy
import importlib
import inspect
from html.parser import HTMLParser

import pytest
from allauth.account import forms as account_forms
from django import forms
from django.template.loader import render_to_string
from django.utils.html import strip_tags

APPS = ["chapters", "meetings", "members", "referrals", "enforcement", "reports"]
ERROR = "Probe: this needs fixing."


def _project_forms():
    for module in [*(importlib.import_module(f"{app}.forms") for app in APPS), account_forms]:
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__ and cls.base_fields:
                yield f"{module.__name__}.{name}", cls


FORMS = sorted(_project_forms())


class _Field(HTMLParser):
    """Ids, `aria-describedby` references, and the text inside each element with an id, in rendered HTML."""

    VOID = {"input", "br", "img", "hr", "meta", "link"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.described_by, self.open, self.text = [], [], {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.text.setdefault(attrs["id"], "")
        if attrs.get("aria-describedby"):
            self.described_by.append(attrs["aria-describedby"].split())
        if tag not in self.VOID:
            self.open.append(attrs.get("id"))

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.open:
            self.open.pop()

    def handle_data(self, data):
        for holder in filter(None, self.open):
            self.text[holder] += data


def _probe(cls, help_text: str):
    """A bound form with `cls`'s fields, each with help text and an error, as the field template sees them."""
    probe = forms.Form(data={})
    probe.fields = copy.deepcopy(cls.base_fields)
    for field in probe.fields.values():
        field.help_text = field.help_text or help_text
    probe.full_clean()
    for name in probe.fields:
        if name not in probe.errors:
            probe.add_error(name, ERROR)
    return probe


def test_the_project_has_forms_to_check():
    assert len(FORMS) > 20


@pytest.mark.django_db
@pytest.mark.parametrize("name,cls", FORMS, ids=[n for n, _ in FORMS])
def test_every_field_points_at_its_help_and_error_and_they_carry_those_ids(name, cls):
    form = _probe(cls, help_text="Probe help.")
    for field in form:
        if field.is_hidden:
            continue
        html = render_to_string("partials/_field.html", {"field": field, "form": form})
        parsed = _Field()
        parsed.feed(html)
        expected = [f"{field.auto_id}_helptext", f"{field.auto_id}_error"]
        assert parsed.described_by == [expected], f"{name}.{field.name}: {parsed.described_by}"
        help_id, error_id = expected
        help_text = strip_tags(field.help_text).strip()[:40]
        assert help_text in parsed.text.get(help_id, ""), f"{name}.{field.name}"
        assert field.errors[0] in parsed.text.get(error_id, ""), f"{name}.{field.name}"
