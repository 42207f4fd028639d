"""A chapter's records as a zip: one CSV per kind of record and the same in one JSON file.

Built by a task (a large chapter's years of attendance take a while), kept under MEDIA_ROOT with a
random name for CHAPTER_EXPORT_RETENTION_HOURS, and downloaded only through a view that checks the
person may see the chapter's leadership pages. Referrals carry no prospect name, contact or notes;
every CSV cell goes through the project's formula-safe `csv_safe`. Columns are machine keys (the same
in CSV and JSON), values machine values (ISO dates, statuses as stored), so scripts can read them.
Each kind is one or two set-based queries, whatever the chapter's size.

Version 2 carries what `manage.py import_chapter` needs to rebuild the chapter in another installation
(portability/chapter_import.py): the chapter's settings and rules versions, meetings' schedule fields,
visitors (name and business, never their contact), members' leave (dates, not its reason),
and fines' and cases' rules version, evidence and links. Ids are this installation's; rows refer to each
other by them (`giver_id` is a `membership_id` of the roster), and an import maps them to its own.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import tempfile
import zipfile
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from enforcement.models import ExpulsionCase, Fine
from leadsgroups.csv_export import BOM
from meetings.models import Attendance, Meeting, Visitor
from members.audit import AuditText, audit_record
from members.models import Membership
from portability.models import ChapterExport
from referrals.models import OneToOne, Referral, ThankYou

log = logging.getLogger(__name__)
FORMAT = "leadsgroups-chapter-export"
VERSION = 2
CHUNK = 2000


def _name(membership_user_full_name: str, email: str) -> str:
    return membership_user_full_name or email


def _roster(chapter):
    for m in (Membership.objects.filter(chapter=chapter).select_related("user", "classification")
              .order_by("user__full_name", "user__email", "pk").iterator(chunk_size=CHUNK)):
        yield {
            "membership_id": m.pk, "name": m.display_name, "email": m.user.email,
            "business": m.user.business_name or m.business_name,
            "classification": m.classification.name if m.classification else "",
            "role": m.role, "status": m.status, "joined_on": m.joined_on, "renewal_due": m.renewal_due,
            "left_on": m.left_on,
        }


def _rules(chapter):
    """Each rules version with every setting, as the model has it (the fines and cases name theirs by `rules_id`)."""
    from enforcement.models import ChapterRules

    fields = plain_fields(ChapterRules)
    for rules in ChapterRules.objects.filter(chapter=chapter).order_by("number", "pk").iterator(chunk_size=CHUNK):
        yield {"rules_id": rules.pk, **{f.name: getattr(rules, f.attname) for f in fields}}


def plain_fields(model) -> list:
    """The model's own values: not its id, relations or creation stamps."""
    return [f for f in model._meta.concrete_fields
            if not f.primary_key and not f.is_relation and f.name not in ("created_at", "updated_at")]


def _meetings(chapter):
    marks = {}
    for row in (Attendance.objects.filter(meeting__chapter=chapter).values("meeting", "status")
                .annotate(n=Count("pk")).order_by()):
        marks.setdefault(row["meeting"], {})[row["status"]] = row["n"]
    visitors = dict(Visitor.objects.filter(meeting__chapter=chapter).values_list("meeting")
                    .annotate(n=Count("pk")).order_by())
    for mt in Meeting.objects.filter(chapter=chapter).order_by("starts_at", "pk").iterator(chunk_size=CHUNK):
        counts = marks.get(mt.pk, {})
        yield {
            "meeting_id": mt.pk, "date": mt.local_date, "starts_at": mt.starts_at, "status": mt.status,
            "kind": mt.kind, "venue": mt.venue, "scheduled_date": mt.scheduled_date,
            "duration_minutes": mt.duration_minutes, "closed_at": mt.closed_at, "cancel_reason": mt.cancel_reason,
            **{status: counts.get(status, 0) for status in Attendance.Status.values},
            "visitors": visitors.get(mt.pk, 0),
        }


def _attendance(chapter):
    rows = (Attendance.objects.filter(meeting__chapter=chapter)
            .values_list("meeting_id", "meeting__local_date", "membership_id", "membership__user__full_name",
                         "membership__user__email", "status")
            .order_by("meeting__starts_at", "meeting_id", "membership__user__full_name", "membership_id"))
    for meeting_id, day, membership_id, name, email, status in rows.iterator(chunk_size=CHUNK):
        yield {"meeting_id": meeting_id, "date": day, "membership_id": membership_id, "member": _name(name, email),
               "status": status}


def _visitors(chapter):
    """Visitors by name and business, without their email, phone or notes (like a referral's prospect)."""
    qs = (Visitor.objects.filter(meeting__chapter=chapter).select_related("classification")
          .order_by("meeting__starts_at", "meeting_id", "pk"))
    for v in qs.iterator(chunk_size=CHUNK):
        yield {
            "visitor_id": v.pk, "meeting_id": v.meeting_id, "name": v.name, "business": v.business,
            "classification": v.classification.name if v.classification else "", "invited_by_id": v.invited_by_id,
            "follow_up": v.follow_up, "applicant_membership_id": v.applicant_membership_id,
        }


def _referrals(chapter):
    """Referrals without the prospect: no name, email, phone or notes (whoever asks for the export)."""
    qs = (Referral.objects.filter(chapter=chapter).select_related("giver__user", "receiver__user")
          .only("pk", "created_at", "kind", "status", "temperature", "consent", "closed_value", "closed_on",
                "business_type", "prospect_erased_at", "giver__user__full_name", "giver__user__email",
                "receiver__user__full_name", "receiver__user__email")
          .order_by("created_at", "pk"))
    for r in qs.iterator(chunk_size=CHUNK):
        yield {
            "referral_id": r.pk, "date": timezone.localtime(r.created_at, chapter.tz).date(), "created_at": r.created_at,
            "giver_id": r.giver_id, "giver": r.giver.display_name,
            "receiver_id": r.receiver_id, "receiver": r.receiver.display_name,
            "kind": r.kind, "status": r.status, "temperature": r.temperature, "consent": r.consent,
            "closed_value": r.closed_value, "currency": chapter.currency if r.closed_value is not None else "",
            "closed_on": r.closed_on, "business_type": r.business_type, "prospect_erased": r.is_erased,
        }


def _tyfcb(chapter):
    qs = ThankYou.objects.filter(chapter=chapter).select_related("giver__user", "receiver__user").order_by("closed_on", "pk")
    for t in qs.iterator(chunk_size=CHUNK):
        yield {
            "thank_you_id": t.pk, "referral_id": t.referral_id, "closed_on": t.closed_on,
            "giver_id": t.giver_id, "giver": t.giver.display_name,
            "receiver_id": t.receiver_id, "receiver": t.receiver.display_name,
            "value": t.value, "currency": chapter.currency, "business_type": t.business_type,
        }


def _one_to_ones(chapter):
    qs = OneToOne.objects.filter(chapter=chapter).select_related("initiator__user", "other__user").order_by("met_on", "pk")
    for o in qs.iterator(chunk_size=CHUNK):
        yield {
            "one_to_one_id": o.pk, "met_on": o.met_on, "initiator_id": o.initiator_id,
            "initiator": o.initiator.display_name, "other_id": o.other_id, "other": o.other.display_name,
            "status": o.status,
        }


def _leave(chapter):
    """Leave recorded for members (their days count for no rule), without its reason (often medical)."""
    from enforcement.models import Leave

    qs = Leave.objects.filter(chapter=chapter).select_related("membership__user").order_by("starts_on", "pk")
    for lv in qs.iterator(chunk_size=CHUNK):
        yield {"leave_id": lv.pk, "membership_id": lv.membership_id, "member": lv.membership.display_name,
               "starts_on": lv.starts_on, "ends_on": lv.ends_on}


def _fines(chapter):
    qs = Fine.objects.filter(chapter=chapter).select_related("membership__user").order_by("period_start", "pk")
    for f in qs.iterator(chunk_size=CHUNK):
        yield {
            "fine_id": f.pk, "membership_id": f.membership_id, "member": f.membership.display_name,
            "kind": f.kind, "period_start": f.period_start, "period_end": f.period_end, "meeting_id": f.meeting_id,
            "amount": f.amount, "currency": f.currency, "status": f.status, "created_at": f.created_at,
            "resolved_at": f.resolved_at, "withdrawn_at": f.withdrawn_at, "rules_id": f.rules_id,
            "explanation": f.explanation, "evidence": f.evidence,
        }


def _cases(chapter):
    qs = (ExpulsionCase.objects.filter(chapter=chapter).select_related("membership__user")
          .annotate(violations=Count("fines", filter=~Q(fines__status__in=Fine.VOID_STATUSES)))
          .order_by("opened_at", "pk"))
    links = {}
    for case_id, fine_id in (ExpulsionCase.fines.through.objects.filter(expulsioncase__chapter=chapter)
                             .values_list("expulsioncase_id", "fine_id").order_by("fine_id")):
        links.setdefault(case_id, []).append(fine_id)
    for c in qs.iterator(chunk_size=CHUNK):
        yield {
            "case_id": c.pk, "membership_id": c.membership_id, "member": c.membership.display_name,
            "status": c.status, "opened_at": c.opened_at, "fines": c.violations, "appealed": c.appealed_at is not None,
            "decision": c.decision, "decided_at": c.decided_at, "probation_until": c.probation_until,
            "appealed_at": c.appealed_at, "rules_id": c.rules_id, "fine_ids": links.get(c.pk, []),
            "explanation": c.explanation, "evidence": c.evidence,
        }


# File name → the rows' maker. The order is the zip's and the JSON's.
SECTIONS = {
    "roster": _roster,
    "rules": _rules,
    "meetings": _meetings,
    "attendance": _attendance,
    "visitors": _visitors,
    "referrals": _referrals,
    "tyfcb": _tyfcb,
    "one_to_ones": _one_to_ones,
    "leave": _leave,
    "fines": _fines,
    "cases": _cases,
}


def _cell(value) -> str:
    from leadsgroups.csv_export import csv_safe  # the project's formula-safe cell (leading spaces included)

    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict | list):
        return csv_safe(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True))
    return csv_safe(value)


def chapter_data(chapter) -> dict:
    """Everything the export holds, as the JSON file has it."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now(),
        "chapter": {f.name: getattr(chapter, f.attname) for f in plain_fields(type(chapter))},
        **{name: list(rows(chapter)) for name, rows in SECTIONS.items()},
    }


def chapter_zip_write(chapter, target) -> dict[str, int]:
    """Write the zip into the binary file `target`; returns the rows per file."""
    data = chapter_data(chapter)
    counts = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in SECTIONS:
            rows = data[name]
            counts[name] = len(rows)
            text = io.StringIO()
            writer = csv.writer(text)
            columns = list(rows[0]) if rows else _columns(name)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_cell(row[c]) for c in columns])
            archive.writestr(f"{name}.csv", BOM + text.getvalue())  # the BOM: spreadsheets read UTF-8
        archive.writestr("chapter.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1))
    return counts


def _columns(name: str) -> list[str]:
    """A section's columns when it has no rows (its header line still says what it would hold)."""
    columns = EMPTY_COLUMNS[name]
    return list(columns() if callable(columns) else columns)


EMPTY_COLUMNS = {
    "roster": ("membership_id", "name", "email", "business", "classification", "role", "status", "joined_on",
               "renewal_due", "left_on"),
    "rules": None,  # filled below: every setting of a rules version
    "meetings": ("meeting_id", "date", "starts_at", "status", "kind", "venue", "scheduled_date", "duration_minutes",
                 "closed_at", "cancel_reason", *Attendance.Status.values, "visitors"),
    "attendance": ("meeting_id", "date", "membership_id", "member", "status"),
    "visitors": ("visitor_id", "meeting_id", "name", "business", "classification", "invited_by_id", "follow_up",
                 "applicant_membership_id"),
    "referrals": ("referral_id", "date", "created_at", "giver_id", "giver", "receiver_id", "receiver", "kind", "status",
                  "temperature", "consent", "closed_value", "currency", "closed_on", "business_type", "prospect_erased"),
    "tyfcb": ("thank_you_id", "referral_id", "closed_on", "giver_id", "giver", "receiver_id", "receiver", "value",
              "currency", "business_type"),
    "one_to_ones": ("one_to_one_id", "met_on", "initiator_id", "initiator", "other_id", "other", "status"),
    "leave": ("leave_id", "membership_id", "member", "starts_on", "ends_on"),
    "fines": ("fine_id", "membership_id", "member", "kind", "period_start", "period_end", "meeting_id", "amount",
              "currency", "status", "created_at", "resolved_at", "withdrawn_at", "rules_id", "explanation", "evidence"),
    "cases": ("case_id", "membership_id", "member", "status", "opened_at", "fines", "appealed", "decision",
              "decided_at", "probation_until", "appealed_at", "rules_id", "fine_ids", "explanation", "evidence"),
}


def _rules_columns() -> tuple[str, ...]:
    from enforcement.models import ChapterRules

    return ("rules_id", *(f.name for f in plain_fields(ChapterRules)))


EMPTY_COLUMNS["rules"] = _rules_columns


# Requests, builds and the page -------------------------------------------------------------------


def export_request(*, chapter, by) -> ChapterExport:
    """Ask for a new export (or get the one being prepared); its build is queued once this commits."""
    with transaction.atomic():
        pending = ChapterExport.objects.filter(chapter=chapter, status__in=ChapterExport.PENDING).first()
        if pending is not None:
            return pending
        try:
            with transaction.atomic():
                export = ChapterExport.objects.create(
                    chapter=chapter, requested_by=by if getattr(by, "is_authenticated", False) else None
                )
        except IntegrityError:  # another leader asked at the same moment
            return ChapterExport.objects.get(chapter=chapter, status__in=ChapterExport.PENDING)
        audit_record(actor=by, action="chapter.exported", target=export, chapter=chapter,
                     summary=AuditText(gettext_noop("Export of the chapter's records requested (#%(id)s)"),
                                       id=export.pk))
        transaction.on_commit(lambda: export_build_queue(export_id=export.pk))
    return export


def export_build_queue(*, export_id: int) -> None:
    from portability.tasks import chapter_export_build_task

    try:
        chapter_export_build_task.delay(export_id)
    except Exception:  # noqa: BLE001 - a broker outage must never fail the page; the sweep queues it
        log.warning("Broker unavailable; chapter export %s will be built by the next sweep", export_id)


def export_build(*, export_id: int, now=None) -> bool:
    """Build a queued export (or one whose builder died); False if it is not ours to build."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT * 2)
    claimed = ChapterExport.objects.filter(pk=export_id).filter(
        Q(status=ChapterExport.Status.QUEUED) | Q(status=ChapterExport.Status.BUILDING, started_at__lt=stale)
    ).update(status=ChapterExport.Status.BUILDING, started_at=now)
    if not claimed:
        return False
    export = ChapterExport.objects.select_related("chapter").get(pk=export_id)
    try:
        with tempfile.TemporaryFile() as target:
            counts = chapter_zip_write(export.chapter, target)
            target.seek(0)
            export.file.save(f"{export.chapter.slug}-{export.pk}.zip", File(target), save=False)
    except Exception as exc:  # noqa: BLE001 - recorded on the row, shown on the page, and re-raised for the logs
        ChapterExport.objects.filter(pk=export_id).update(status=ChapterExport.Status.FAILED,
                                                         error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    ready = timezone.now()
    ChapterExport.objects.filter(pk=export_id).update(
        status=ChapterExport.Status.READY, file=export.file.name, size=export.file.size, counts=counts,
        ready_at=ready, expires_at=ready + timedelta(hours=settings.CHAPTER_EXPORT_RETENTION_HOURS),
    )
    return True


def exports_stale_ids(*, now=None) -> list[int]:
    """Exports waiting longer than a build takes: their task was lost, or their builder died."""
    now = now or timezone.now()
    waited = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT * 2)
    return list(ChapterExport.objects.filter(
        Q(status=ChapterExport.Status.QUEUED, created_at__lt=now - timedelta(minutes=2))
        | Q(status=ChapterExport.Status.BUILDING, started_at__lt=waited)
    ).values_list("pk", flat=True)[:100])


EXPORTS_SHOWN = 10


def exports_for_page(*, chapter, now=None):
    """The chapter's exports still kept, newest first: EXPORTS_SHOWN of them and one more, to tell there are more."""
    now = now or timezone.now()
    return ChapterExport.objects.filter(chapter=chapter).filter(
        Q(status__in=ChapterExport.PENDING) | Q(expires_at__gt=now) | Q(status=ChapterExport.Status.FAILED,
                                                                         created_at__gt=now - timedelta(days=1))
    ).select_related("requested_by")[:EXPORTS_SHOWN + 1]
