"""The audit trail: every consequential act is recorded here, once, never changed.

An event's summary is data, worded in the reader's language when it is shown (like a notice's words,
members/notice_texts.py, or a fine's, enforcement/explain.py). A call site writes it as an `AuditText`:
an English msgid marked with `gettext_noop` (so the catalogues have it) and the facts it names::

    summary=AuditText(gettext_noop("Rules version %(number)s from %(day)s"), number=3, day=effective_from)

The event keeps the msgid (`summary_key`) and the facts (`summary_params`, JSON): names as they were then
(a snapshot), ids and counts as they are, and typed values the reader's locale formats: a date, time or
datetime (stored as ISO), a Decimal, `Money` (an amount with its currency), `Label` (an enumeration's
code, worded from its table), `Fields` (field names, worded as the form labels them), `Worded` (a piece
worded by a registered function, such as a fine's one-line summary), another `AuditText`, or a list of
these. `summary` keeps the same words in the site's language (settings.LANGUAGE_CODE), as written: the
record itself, what the admin searches, and what is shown for events written before summaries were keys
or whose key or facts cannot be worded (`summary_text`).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext, pgettext_lazy

from leadsgroups import formats
from leadsgroups.i18n import language
from members.models import AuditEvent

log = logging.getLogger(__name__)

SUMMARY_MAX = 300

# Enumerations worded inside a sentence: a table name → a dict of code → words (lazy, translated).
# A name not here is a model field, "app_label.model.field", worded by its choices.
LABELS = {
    "fine.title": "enforcement.explain.TITLES",
    "fine.in_sentence": "enforcement.explain.IN_SENTENCE",
    "attendance.mark": "enforcement.explain.MARKS",
    "case.decision": "enforcement.explain.DECISIONS",
    "fine.withdrawal_cause": "members.audit.WITHDRAWAL_CAUSES",
}
# Pieces worded by a function of the app that knows them (called with the stored arguments, typed again).
WORDERS = {
    "day": "enforcement.explain.day",  # (date): with its weekday, "Wed, 9 Dec 2026"
    "fine.summary": "enforcement.explain.fine_summary",  # (title key, start, end, amount, currency)
    "period": "enforcement.explain.period",  # (start, end): one day with its weekday, or first – last
    "leave.span": "enforcement.leave._span",  # (starts_on, ends_on or None): "from …, open-ended"
}

# Why the sweep withdrew a fine (the kind of its cause, enforcement/changes.py), at the end of its summary.
WITHDRAWAL_CAUSES = {
    "leave": pgettext_lazy("why a fine was withdrawn", "leave"),
    "rules": pgettext_lazy("why a fine was withdrawn", "rules changed"),
    "meeting": pgettext_lazy("why a fine was withdrawn", "meeting no longer closed"),
    "correction": pgettext_lazy("why a fine was withdrawn", "mark corrected"),
    "grace": pgettext_lazy("why a fine was withdrawn", "new member's grace period"),
    "recalculated": pgettext_lazy("why a fine was withdrawn", "recalculated"),
    "consent": pgettext_lazy("why a fine was withdrawn", "consent on record"),
    "referrals": pgettext_lazy("why a fine was withdrawn", "referrals changed"),
}


class AuditText:
    """A summary: an English msgid (marked with gettext_noop at the call site) and the facts it names."""

    def __init__(self, key: str, /, **params):
        if isinstance(key, Promise) or not isinstance(key, str):
            raise TypeError("An audit summary's key is the msgid itself: mark it with gettext_noop, not gettext_lazy.")
        self.key, self.params = key, params

    def as_data(self) -> dict:
        return {"$text": self.key, "params": {name: _encode(value) for name, value in self.params.items()}}


class Money:
    """An amount in a currency, formatted as the reader's locale writes money."""

    def __init__(self, amount, currency: str):
        self.amount, self.currency = amount, currency

    def as_data(self) -> dict:
        return {"$money": str(self.amount), "currency": self.currency}


class Label:
    """An enumeration's code (a status, a kind), worded from `table` (a LABELS name or "app.model.field")."""

    def __init__(self, table: str, code):
        self.table, self.code = table, code

    def as_data(self) -> dict:
        return {"$label": self.table, "code": None if self.code is None else str(self.code)}


class Fields:
    """Field names of a model ("app_label.model"), worded as the audit trail labels them, joined by commas."""

    def __init__(self, model: str, names):
        self.model, self.names = model, list(names)

    def as_data(self) -> dict:
        return {"$fields": self.model, "names": [str(n) for n in self.names]}


class Worded:
    """A piece worded by a registered function (WORDERS) from the arguments given here."""

    def __init__(self, name: str, *args):
        if name not in WORDERS:
            raise ValueError(f"No audit wording named {name!r}: add it to members.audit.WORDERS.")
        self.name, self.args = name, args

    def as_data(self) -> dict:
        return {"$words": self.name, "args": [_encode(a) for a in self.args]}


def _encode(value: Any) -> Any:
    """A fact as JSON that keeps its type: formatted for the reader when the summary is shown."""
    if hasattr(value, "as_data"):
        return value.as_data()
    if isinstance(value, Promise):
        raise TypeError("Translated words in an audit summary are stored as a Label (their code), not as words.")
    if isinstance(value, models.Model):
        with language(None):  # a name as it was, in the site's language (a classification's)
            return str(value)
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, int | float | str):
        return value
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$number": str(value)}
    return str(value)  # an id of another kind (a UUID): as the person reads it


def _typed(value: Any) -> Any:
    """A stored fact back as Python (a date, a Decimal), for a registered wording function."""
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$date" in value:
        return date.fromisoformat(value["$date"])
    if "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if "$time" in value:
        return time.fromisoformat(value["$time"])
    if "$number" in value or "$money" in value:
        return Decimal(value.get("$number", value.get("$money")))
    return value


def _label(table: str, code) -> str:
    """A code's words from its table; a code the table no longer has is shown as stored."""
    if table in LABELS:
        words = import_string(LABELS[table])
    else:
        from django.apps import apps

        app_label, model_name, field_name = table.split(".")
        words = {str(k): v for k, v in apps.get_model(app_label, model_name)._meta.get_field(field_name).flatchoices}
    if code not in words:
        return "—" if code is None else str(code)
    return str(words[code])


def _word(value: Any) -> str:
    """A stored fact in the reader's words and formats."""
    if isinstance(value, list):
        return ", ".join(_word(v) for v in value)
    if value is None:
        return "—"
    if not isinstance(value, dict):
        return str(value)
    if "$text" in value:
        return render(value["$text"], value.get("params") or {})
    if "$money" in value:
        return formats.format_money(Decimal(value["$money"]), value["currency"])
    if "$label" in value:
        return _label(value["$label"], value.get("code"))
    if "$fields" in value:
        from members.audit_display import field_label

        return ", ".join(field_label(value["$fields"], name) for name in value["names"])
    if "$words" in value:
        return str(import_string(WORDERS[value["$words"]])(*[_typed(a) for a in value["args"]]))
    if "$datetime" in value:
        return formats.format_datetime(datetime.fromisoformat(value["$datetime"]))
    if "$date" in value:
        return formats.format_date(date.fromisoformat(value["$date"]))
    if "$time" in value:
        return formats.format_time(time.fromisoformat(value["$time"]))
    if "$number" in value:
        return formats.format_number(Decimal(value["$number"]).normalize())
    raise ValueError(f"Unknown audit fact {value!r}")


def render(key: str, params: dict) -> str:
    """The key's words in the active language, its facts formatted as the reader's locale writes them."""
    return gettext(key) % {name: _word(value) for name, value in params.items()}


def summary_text(event) -> str:
    """An event's summary in the reader's language; its stored words without a key or when wording fails."""
    if not event.summary_key:
        return event.summary
    try:
        return render(event.summary_key, event.summary_params or {})
    except Exception:  # noqa: BLE001 - the trail must always show: a broken key or fact falls back, logged
        log.exception("Audit event %s: summary %r could not be worded; its stored words are shown",
                      event.pk, event.summary_key)
        return event.summary


def summary_fields(summary: AuditText | str) -> dict:
    """The event's summary columns: the key and facts, and the words in the site's language (the record).

    A plain string (tests, old code) is stored as words only; the code base writes AuditText
    (tests/members/test_audit_summaries.py checks every call).
    """
    if isinstance(summary, str):
        return {"summary": summary[:SUMMARY_MAX], "summary_key": "", "summary_params": {}}
    data = summary.as_data()
    with language(None):
        words = render(data["$text"], data["params"])
    return {"summary": words[:SUMMARY_MAX], "summary_key": data["$text"], "summary_params": data["params"]}


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")  # to the second, with its offset
    return str(value)  # dates, decimals, enums: as the person reads them


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model,
    summary: AuditText | str,
    chapter=None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEvent:
    """Write one audit event; call inside the transaction of the act it records."""
    actor = actor if getattr(actor, "is_authenticated", False) else None
    with language(None):  # a record: names of rows (a classification's) in the site's language, whoever acted
        before, after = _plain(before or {}), _plain(after or {})
    return AuditEvent.objects.create(
        actor=actor,
        # A snapshot of who acted, so the trail still names them after their account is deleted.
        actor_name=(actor.full_name if actor else "")[:150],
        actor_email=(actor.email if actor else "")[:254],
        chapter=chapter,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        **summary_fields(summary),
        before=before,
        after=after,
        reason=reason,
    )
