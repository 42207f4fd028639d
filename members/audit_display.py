"""The audit trail as a person reads it: field labels, choice labels, names and readable dates.

An event stores its before/after as plain JSON under the model's field names and raw values
(`{"status": "on_leave"}`), so it stays a faithful record; this module turns them into
"Status: Active → On leave" for the pages, with a fixed number of queries per page (ids of
related rows that an older event stored are looked up in one query per model), never one per row.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leadsgroups.formats import format_date, format_datetime, format_time

UTC = zoneinfo.ZoneInfo("UTC")
EMPTY = "—"

# Keys that are not a field of the event's target, or whose field's verbose name reads poorly:
# (target model label, key) -> label, and optionally the field (model label, field name) whose
# choices and type format the value.
_KEYS: dict[tuple[str, str], tuple[Any, tuple[str, str] | None]] = {
    ("enforcement.expulsioncase", "membership_status"): (gettext_lazy("Membership status"), ("members.membership", "status")),
    ("enforcement.expulsioncase", "note"): (gettext_lazy("President's note"), None),
    ("enforcement.expulsioncase", "conditions"): (gettext_lazy("Probation conditions"), None),
    ("enforcement.expulsioncase", "violations"): (gettext_lazy("Violations"), None),
    ("enforcement.expulsioncase", "chars"): (gettext_lazy("Appeal length (characters)"), None),
    ("enforcement.expulsioncase", "waived_rest"): (gettext_lazy("Asked for a decision before the deadline"), None),
    ("enforcement.chapterrules", "expulsion_violations"): (gettext_lazy("Violations that open an expulsion case"), None),
    ("enforcement.chapterrules", "expulsion_months"): (gettext_lazy("Violations counted within (months)"), None),
    ("meetings.meeting", "absent_by_close"): (gettext_lazy("Recorded absent at close"), None),
    ("chapters.chapter", "moved"): (gettext_lazy("Meetings moved"), None),
    ("chapters.chapter", "added"): (gettext_lazy("Meetings added"), None),
    ("chapters.chapter", "removed"): (gettext_lazy("Meetings removed"), None),
    ("chapters.chapter", "kept"): (gettext_lazy("Meetings kept"), None),
    ("chapters.chapter", "duration_minutes"): (gettext_lazy("Length (minutes)"), None),
    ("members.membership", "visitor"): (gettext_lazy("Visitor"), None),
    # an erasure records whether data was held, never the data
    ("referrals.referral", "prospect_name"): (gettext_lazy("Prospect name held"), None),
    ("referrals.referral", "prospect_email"): (gettext_lazy("Prospect email held"), None),
    ("referrals.referral", "prospect_phone"): (gettext_lazy("Prospect phone held"), None),
    ("referrals.referral", "notes"): (gettext_lazy("Notes held"), None),
}
# Non-field keys that hold the id of a row, shown by its name.
_KEY_MODELS = {("members.membership", "visitor"): "meetings.visitor"}


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str
    has_before: bool
    has_after: bool


def _rules_labels() -> dict[str, str]:
    from enforcement.forms import RulesForm  # the labels leadership sees on the rules page

    return dict(RulesForm._meta.labels or {})


def _model(label: str):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _field(model, name: str):
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if getattr(field, "concrete", False) else None  # not a reverse relation


def _parse_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _scalar(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(_scalar(v) for v in value) or _("none")
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {_scalar(v)}" for k, v in value.items()) or EMPTY
    return str(value)


class _Formatter:
    def __init__(self, tz):
        self.tz = tz
        self.names: dict[str, dict[str, str]] = {}  # model label -> {pk: name}, filled in one query per model

    def value(self, value: Any, field, related: str | None) -> str:
        if value is None or value == "":
            return EMPTY
        if related is not None and isinstance(value, int | str) and not isinstance(value, bool):
            name = self.names.get(related, {}).get(str(value))
            return name if name is not None else str(value) if not str(value).isdigit() else f"#{value}"
        if field is None:
            return _scalar(value)
        if field.choices and not isinstance(value, list | dict | bool):
            labels = {str(k): str(v) for k, v in field.flatchoices}
            return labels.get(str(value), str(value))
        if isinstance(field, models.DateTimeField):
            moment = _parse_datetime(value)
            return format_datetime(moment, tz=self.tz) if moment else _scalar(value)
        if isinstance(field, models.DateField):
            try:
                return format_date(date.fromisoformat(str(value)[:10]))
            except ValueError:
                return _scalar(value)
        if isinstance(field, models.TimeField):
            try:
                return format_time(time.fromisoformat(str(value)))
            except ValueError:
                return _scalar(value)
        if isinstance(field, models.BooleanField) or isinstance(value, bool):
            return _scalar(bool(value))
        return _scalar(value)


def _related_model(target: str, key: str, field) -> str | None:
    if (target, key) in _KEY_MODELS:
        return _KEY_MODELS[(target, key)]
    if field is not None and field.is_relation and field.many_to_one:
        return field.related_model._meta.label_lower
    return None


def field_label(target: str, key: str) -> str:
    """What the trail calls a key of a target's before/after ("enforcement.chapterrules", "fine_absence")."""
    label, _field_ref = _KEYS.get((target, key), (None, None))
    if label is not None:
        return str(label)
    if target == "enforcement.chapterrules":
        label = _rules_labels().get(key)
        if label is not None:
            return str(label)
    field = _field(_model(target), key)
    return capfirst(str(field.verbose_name)) if field is not None else capfirst(key.replace("_", " "))


def audit_changes_attach(events) -> list:
    """Give each event a `changes` list (label, before, after) and `tz` (its chapter's, else UTC).

    Expects the events' chapters selected with them; adds at most one query per related model
    whose ids appear in the page (older events stored ids; newer ones store names).
    """
    events = list(events)
    rules_labels = None
    plan = []  # (event, [(key, label, field, related)])
    wanted: dict[str, set[str]] = {}
    for e in events:
        target = e.target_type
        model = _model(target)
        keys = list(e.before or {}) + [k for k in (e.after or {}) if k not in (e.before or {})]
        rows = []
        for key in keys:
            label, field_ref = _KEYS.get((target, key), (None, None))
            label = str(label) if label is not None else None
            field = _field(_model(field_ref[0]), field_ref[1]) if field_ref else _field(model, key)
            if label is None and target == "enforcement.chapterrules":
                rules_labels = rules_labels if rules_labels is not None else _rules_labels()
                label = rules_labels.get(key)
            if label is None:
                label = capfirst(str(field.verbose_name)) if field is not None else capfirst(key.replace("_", " "))
            related = _related_model(target, key, field)
            if related is not None:
                for side in (e.before or {}, e.after or {}):
                    value = side.get(key)
                    if isinstance(value, int) and not isinstance(value, bool) or (
                        isinstance(value, str) and value.isdigit()
                    ):
                        wanted.setdefault(related, set()).add(str(value))
            rows.append((key, label, field, related))
        plan.append((e, rows))
    names: dict[str, dict[str, str]] = {}
    for label, pks in wanted.items():
        model = _model(label)
        if model is not None:
            names[label] = {str(pk): str(obj) for pk, obj in model._default_manager.in_bulk(list(pks)).items()}
    for e, rows in plan:
        e.tz = e.chapter.tz if e.chapter_id and e.chapter is not None else UTC
        fmt = _Formatter(e.tz)
        fmt.names = names
        before, after = e.before or {}, e.after or {}
        e.changes = [
            Change(
                label=label,
                before=fmt.value(before.get(key), field, related),
                after=fmt.value(after.get(key), field, related),
                has_before=key in before,
                has_after=key in after,
            )
            for key, label, field, related in rows
            # a value recorded on both sides unchanged (e.g. the role when only the status changed) is no change
            if not (key in before and key in after and before[key] == after[key])
        ]
    return events
