"""An audit event's summary is a key and its facts, worded in the reader's language when it is shown.

The English words stay stored (`summary`: the record as written, in the site's language); a German reader
reads German with German dates and money; rows written before keys, and keys whose facts fail, show the
stored words. Every `audit_record` call of the code base writes a key, never an f-string.
"""

from __future__ import annotations

import ast
import logging
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.module_loading import import_string

from enforcement import services as enforcement_services
from enforcement.models import Fine
from meetings.models import Attendance
from meetings.services import meeting_cancel
from members import audit
from members.audit import AuditText, Label, Money, audit_record
from members.models import AuditEvent, Membership
from members.services import membership_change
from tests.enforcement.factories import AttendanceFactory, ChapterRulesFactory, MeetingFactory
from tests.meetings.factories import MeetingFactory as ScheduledMeetingFactory

NBSP = "\u00a0"
ROOT = Path(__file__).resolve().parents[2]


def _german(event: AuditEvent) -> str:
    event = AuditEvent.objects.get(pk=event.pk)  # as a page reads it
    with translation.override("de"):
        return event.summary_text


# A German reader, across apps ------------------------------------------------------------------------


def test_a_fine_issued_and_paid_reads_in_german_with_german_dates_and_money(personas):
    Membership.objects.filter(pk=personas.member.pk).update(joined_on=date(2024, 1, 1))
    ChapterRulesFactory(chapter=personas.chapter, currency="EUR", absences_allowed=0, fine_absence=Decimal("10.00"),
                        expulsion_violations=9)
    AttendanceFactory(meeting=MeetingFactory(chapter=personas.chapter, local_date=date(2026, 2, 4)),
                      membership=personas.member, status=Attendance.Status.ABSENT)
    [fine] = enforcement_services.chapter_enforce(
        chapter=personas.chapter, now=datetime(2026, 3, 2, 12, tzinfo=UTC)).fines
    issued = AuditEvent.objects.get(action="fine.issued")
    assert issued.summary == "Mona Member: Absence over the limit, Wed, 4 Feb 2026: €10.00"  # the record, in English
    assert issued.summary_key == "%(name)s: %(fine)s" and issued.summary_params["name"] == "Mona Member"
    assert _german(issued) == f"Mona Member: Abwesenheit über dem Limit, Mi., 4. Feb. 2026: 10,00{NBSP}€"

    enforcement_services.fine_resolve(fine=fine, by=personas.treasurer.user, status=Fine.Status.PAID)
    paid = AuditEvent.objects.get(action="fine.paid")
    assert paid.summary == "Fine €10.00 of Mona Member marked Paid"
    assert paid.summary_params["amount"] == {"$money": "10.00", "currency": "EUR"}
    assert _german(paid) == f"Strafgebühr 10,00{NBSP}€ von Mona Member als Bezahlt markiert"


def test_a_cancelled_meeting_reads_with_a_german_date(personas):
    meeting = ScheduledMeetingFactory(chapter=personas.chapter, local_date=date.today() + timedelta(days=7))
    meeting_cancel(meeting=meeting, by=personas.president.user, reason="Bank holiday")
    event = AuditEvent.objects.get(action="meeting.cancelled")
    day = meeting.local_date.strftime("%d.%m.%Y")
    assert event.summary_params == {"date": {"$date": meeting.local_date.isoformat()}}
    assert _german(event) == f"Treffen am {day} abgesagt"


def test_a_membership_change_reads_in_german_with_its_labels(personas):
    membership_change(membership=personas.vice_president, by=personas.president.user, role=Membership.Role.MEMBER,
                      status=Membership.Status.ON_LEAVE, reason="Away for work")
    event = AuditEvent.objects.get(action="membership.changed")
    assert event.summary == "Victor Vice: Role: Vice-president → Member, Status: Active → On leave"
    german = _german(event)
    with translation.override("de"):
        words = [str(Membership.Role.VICE_PRESIDENT.label), str(Membership.Role.MEMBER.label),
                 str(Membership.Status.ACTIVE.label), str(Membership.Status.ON_LEAVE.label)]
    assert german == f"Victor Vice: Rolle: {words[0]} → {words[1]}, Status: {words[2]} → {words[3]}"
    assert "Vice-president" not in german


def test_a_rules_version_reads_with_a_german_date_and_the_form_labels(personas):
    start = date.today() + timedelta(days=1)
    enforcement_services.rules_create(chapter=personas.chapter, by=personas.president.user,
                                      data={"absences_allowed": 3}, effective_from=start, reason="First rules")
    enforcement_services.rules_create(chapter=personas.chapter, by=personas.president.user,
                                      data={"absences_allowed": 4}, effective_from=start + timedelta(days=1),
                                      reason="Kinder")
    first, second = AuditEvent.objects.filter(action="rules.version_created").order_by("pk")
    assert second.summary_params["fields"] == {"$fields": "enforcement.chapterrules", "names": ["absences_allowed"]}
    with translation.override("de"):
        day = (start + timedelta(days=1)).strftime("%d.%m.%Y")
        from members.audit_display import field_label

        label = field_label("enforcement.chapterrules", "absences_allowed")
    assert _german(first) == f"Regelversion 1 ab {start:%d.%m.%Y}: erste Regeln"
    assert _german(second) == f"Regelversion 2 ab {day}: geändert: {label}"


def test_a_webhook_endpoint_reads_in_german(personas, settings):
    from webhooks.services import endpoint_create

    settings.DEBUG = True  # a receiver on 127.0.0.1 is allowed in development
    endpoint_create(chapter=personas.chapter, url="http://127.0.0.1:9/hook", events=["fine.issued"],
                    description="", by=personas.president.user)
    event = AuditEvent.objects.get(action="webhook.created")
    assert event.summary == "Webhook endpoint http://127.0.0.1:9/hook registered"
    assert _german(event) == "Webhook-Endpunkt http://127.0.0.1:9/hook registriert"


def test_the_chapter_history_page_shows_summaries_in_the_readers_language(client, personas):
    membership_change(membership=personas.member, by=personas.president.user, status=Membership.Status.ON_LEAVE,
                      reason="Away")
    personas.president.user.language = "de"
    personas.president.user.save(update_fields=["language"])
    personas.login(client, "president")
    html = client.get(personas.url("chapters:audit")).content.decode()
    with translation.override("de"):
        on_leave = str(Membership.Status.ON_LEAVE.label)
    assert f"Mona Member: Status: Aktiv → {on_leave}" in html
    assert "Status: Active → On leave" not in html


# Fallbacks --------------------------------------------------------------------------------------------


def test_an_event_written_before_keys_shows_its_stored_words(personas):
    event = audit_record(actor=None, action="test.old", target=personas.member, summary="Fine of Mona Member waived")
    assert (event.summary_key, event.summary_params) == ("", {})
    assert _german(event) == "Fine of Mona Member waived"


@pytest.mark.parametrize("key,params", [
    ("Rules version %(number)s from %(date)s: first rules", {"number": 2}),  # a fact missing
    ("Cancelled the meeting of %(date)s", {"date": {"$date": "not a date"}}),  # a fact broken
    ("Cancelled the meeting of %(date)s", {"date": {"$words": "no.such.wording", "args": []}}),  # unknown wording
])
def test_a_key_whose_facts_fail_shows_the_stored_words_and_logs(personas, caplog, key, params):
    event = AuditEvent.objects.create(action="test.broken", target_type="members.membership", target_id="1",
                                      summary="As written", summary_key=key, summary_params=params)
    with caplog.at_level(logging.ERROR, logger="members.audit"):
        assert _german(event) == "As written"
    assert f"Audit event {event.pk}" in caplog.text


def test_an_unknown_code_is_shown_as_stored(personas):
    event = audit_record(actor=None, action="test.code", target=personas.member, summary=AuditText(
        "%(member)s: %(status)s", member=personas.member.user, status=Label("members.membership.status", "gone")))
    assert _german(event) == "Mona Member: gone"


def test_translated_words_cannot_be_stored_as_a_fact(personas):
    with pytest.raises(TypeError):
        AuditText("%(status)s", status=Membership.Status.ACTIVE.label).as_data()
    with pytest.raises(TypeError):
        AuditText(translation.gettext_lazy("Withdrew the invitation of %(email)s"))


def test_facts_keep_their_type(personas):
    data = AuditText("%(a)s %(b)s %(c)s %(d)s", a=date(2026, 2, 4), b=Money(Decimal("5.5"), "GBP"),
                     c=Decimal("0.5"), d=personas.chapter).as_data()
    assert data["params"] == {"a": {"$date": "2026-02-04"}, "b": {"$money": "5.5", "currency": "GBP"},
                              "c": {"$number": "0.5"}, "d": "Home Chapter"}
    with translation.override("de"):
        assert audit.render(data["$text"], data["params"]) == f"04.02.2026 5,50{NBSP}£ 0,5 Home Chapter"


def test_every_registered_table_and_wording_exists():
    for path in [*audit.LABELS.values(), *audit.WORDERS.values()]:
        assert import_string(path) is not None


# No call site writes English words -------------------------------------------------------------------

CALLS = {"audit_record", "summary_fields"}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _code_files():
    skip = {".venv", "tests", "node_modules", "var", "static", "locale", "migrations", "bench", "deploy"}
    for path in sorted(ROOT.rglob("*.py")):
        if not skip.intersection(path.relative_to(ROOT).parts):
            yield path


def _noop_keys(node, module_dicts) -> list[str] | None:
    """The msgids a key expression can be, when each is marked with gettext_noop; None otherwise."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "gettext_noop" and len(node.args) == 1 \
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return [node.args[0].value]
    if isinstance(node, ast.IfExp):
        a, b = _noop_keys(node.body, module_dicts), _noop_keys(node.orelse, module_dicts)
        return a + b if a is not None and b is not None else None
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in module_dicts:
        keys = [_noop_keys(v, module_dicts) for v in module_dicts[node.value.id].values]
        return [k for ks in keys for k in ks] if all(k is not None for k in keys) else None
    return None


def _summary_problems(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    module_dicts = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Dict)
                    for t in n.targets if isinstance(t, ast.Name)}
    helpers = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assigned = {}  # name -> value, for `summary = AuditText(...)` then `summary=summary`
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            assigned.setdefault(n.targets[0].id, []).append(n.value)
    problems = []

    def where(node) -> str:
        return f"{path.relative_to(root)}:{node.lineno}"

    def check_text(node) -> None:
        if isinstance(node, ast.IfExp):
            check_text(node.body)
            check_text(node.orelse)
            return
        if isinstance(node, ast.Name) and node.id in assigned:
            for value in assigned[node.id]:
                check_text(value)
            return
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in helpers:
            returns = helpers[node.func.id].returns
            if not (isinstance(returns, ast.Name) and returns.id == "AuditText"):
                problems.append(f"{where(node)}: {node.func.id}() must be annotated to return AuditText")
            return
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "AuditText" and node.args):
            problems.append(f"{where(node)}: the summary is {type(node).__name__}, not an AuditText with a key")
            return
        keys = _noop_keys(node.args[0], module_dicts)
        if keys is None:
            problems.append(f"{where(node)}: the summary's key is not marked with gettext_noop")
            return
        given = {k.arg for k in node.keywords}
        named = [set(PLACEHOLDER.findall(key)) for key in keys]
        if not all(n <= given for n in named) or set().union(*named) != given:  # each fact named by some key
            problems.append(f"{where(node)}: {keys!r} name {sorted(set().union(*named))}, the call gives {sorted(given)}")

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name == "AuditEvent" and any(k.arg == "summary" for k in node.keywords):
            problems.append(f"{where(node)}: AuditEvent(summary=...) by hand: use **summary_fields(AuditText(...))")
        if name not in CALLS or path.name == "audit.py" and path.parent.name == "members":
            continue
        summary = next((k.value for k in node.keywords if k.arg == "summary"), None)
        if summary is None and name == "summary_fields" and node.args:
            summary = node.args[0]
        if summary is None:
            problems.append(f"{where(node)}: {name}() without a summary")
            continue
        check_text(summary)
    return problems


def test_every_audit_summary_of_the_code_base_is_a_key_marked_for_translation():
    files = list(_code_files())
    calls = sum(path.read_text().count("audit_record(") for path in files)
    assert calls > 50  # the scan sees the code base
    problems = [p for path in files for p in _summary_problems(path)]
    assert problems == []


def test_the_scan_catches_an_english_summary(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        'audit_record(actor=None, action="x", target=t, summary=f"Fine of {name} waived")\n'
        'audit_record(actor=None, action="x", target=t, summary=AuditText("Untranslated %(a)s", a=1))\n'
        'audit_record(actor=None, action="x", target=t, summary=AuditText(gettext_noop("Two %(a)s"), b=1))\n'
        'AuditEvent(action="x", summary="words")\n'
    )
    assert len(_summary_problems(bad, tmp_path)) == 4
