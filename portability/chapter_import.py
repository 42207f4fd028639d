"""A chapter export read back into another installation: `manage.py import_chapter FILE.zip|FILE.json`.

Its use is moving a chapter between installations. It reads the export's JSON (`chapter.json`, inside the
zip or on its own), checks it whole before writing anything (format and version, a slug this installation
does not have, every reference between rows), then writes the chapter in one transaction: its settings and
rules versions, its people, meetings and attendance, visitors (name and business: the export has no
contacts), members' leave (its dates), referrals (without prospects, as the export has them), thank-yous, one-to-ones, fines and cases.

People are matched by email: an account of that address here gets the seat, and anyone else gets a new
account without a password (they choose one through "Forgot password?"), active unless the export shows an
erased account ("Former member #N"), which stays an inactive husk. Ids are the exporting installation's;
every row, and every id inside a fine's or case's evidence, is mapped to the new rows.
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify
from django.utils.translation import gettext_noop

from portability.chapter_export import FORMAT, SECTIONS, VERSION, plain_fields

ACCEPTED_VERSIONS = {VERSION}  # version 1 lacks the rules, visitors and evidence an import needs
# Keys whose value is an id of the exporting installation, anywhere in the file (evidence included), and what of.
ID_KINDS = {
    "membership_id": "roster", "giver_id": "roster", "receiver_id": "roster", "initiator_id": "roster",
    "other_id": "roster", "invited_by_id": "roster", "applicant_membership_id": "roster",
    "meeting_id": "meetings", "rules_id": "rules", "referral_id": "referrals", "fine_id": "fines",
    "fine_ids": "fines", "visitor_id": "visitors", "thank_you_id": "tyfcb", "one_to_one_id": "one_to_ones",
    "case_id": "cases", "leave_id": "leave",
}
OWN_ID = {"roster": "membership_id", "rules": "rules_id", "meetings": "meeting_id", "visitors": "visitor_id",
          "referrals": "referral_id", "tyfcb": "thank_you_id", "one_to_ones": "one_to_one_id", "fines": "fine_id",
          "cases": "case_id", "leave": "leave_id"}
ERASED_DOMAIN = "@erased.invalid"


class ImportRefused(Exception):
    """The file cannot be imported as it is; nothing was written."""


def chapter_file_read(path: str | Path) -> dict:
    """The export's JSON, from the zip the export page offers or from its chapter.json alone."""
    path = Path(path)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                if "chapter.json" not in archive.namelist():
                    raise ImportRefused(f"{path.name} holds no chapter.json: it is not a chapter export.")
                text = archive.read("chapter.json").decode("utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, zipfile.BadZipFile) as exc:
        raise ImportRefused(f"{path.name} cannot be read as a chapter export: {exc}") from exc
    if not isinstance(data, dict):
        raise ImportRefused(f"{path.name} is not a chapter export.")
    return data


def chapter_file_check(data: dict) -> None:
    """Refuse a file this installation cannot import whole; raises ImportRefused with every reason found."""
    from chapters.models import Chapter

    if data.get("format") != FORMAT:
        raise ImportRefused(f"Not a chapter export (format {data.get('format')!r}, expected {FORMAT!r}).")
    if data.get("version") not in ACCEPTED_VERSIONS:
        raise ImportRefused(f"Export format version {data.get('version')!r} cannot be imported: this installation "
                            f"reads version {', '.join(map(str, sorted(ACCEPTED_VERSIONS)))}. Export the chapter again "
                            f"from an installation of the same release.")
    missing = [name for name in ("chapter", *SECTIONS) if name not in data]
    if missing:
        raise ImportRefused(f"The export lacks {', '.join(missing)}.")
    slug = (data["chapter"] or {}).get("slug", "")
    if not slug:
        raise ImportRefused("The export names no chapter slug.")
    if Chapter.objects.filter(slug=slug).exists():
        raise ImportRefused(f"A chapter with the slug {slug!r} exists here already: nothing was imported.")
    known = {kind: {row.get(OWN_ID[kind]) for row in data[kind]} for kind in OWN_ID}
    for kind, ids in known.items():
        if len(ids) != len(data[kind]) or None in ids:
            raise ImportRefused(f"{kind}: rows without an id, or with the same id twice.")
    broken = []
    for section in SECTIONS:
        for row in data[section]:
            for key, target in ID_KINDS.items():
                if key == OWN_ID.get(section) or key not in row or row[key] is None:
                    continue
                for value in row[key] if isinstance(row[key], list) else [row[key]]:
                    if value not in known[target]:
                        broken.append(f"{section} {row.get(OWN_ID.get(section), '?')}: {key} {value} is not in {target}")
    if broken:
        more = f" (and {len(broken) - 5} more)" if len(broken) > 5 else ""
        raise ImportRefused("Broken references: " + "; ".join(broken[:5]) + more + ". Nothing was imported.")


def _values(model, row: dict, names) -> dict:
    """The row's values for these fields of the model, parsed from JSON (dates, decimals, times)."""
    fields = {f.name: f for f in model._meta.concrete_fields}
    return {name: fields[name].to_python(row[name]) for name in names if name in row}


def _when(value):
    return parse_datetime(value) if isinstance(value, str) else value


class _Ids:
    """Old ids (the exporting installation's) to new ones, per kind of row."""

    def __init__(self):
        self.maps: dict[str, dict[int, int]] = {kind: {} for kind in OWN_ID}

    def __call__(self, kind: str, old):
        return None if old is None else self.maps[kind][old]

    def remap(self, value):
        """A JSON value with every id key (ID_KINDS) mapped; ids this file does not hold are left as they were."""
        if isinstance(value, list):
            return [self.remap(v) for v in value]
        if isinstance(value, dict):
            out = {}
            for key, v in value.items():
                kind = ID_KINDS.get(key)
                if kind and isinstance(v, int):
                    out[key] = self.maps[kind].get(v, v)
                elif kind and isinstance(v, list):
                    out[key] = [self.maps[kind].get(x, x) if isinstance(x, int) else x for x in v]
                else:
                    out[key] = self.remap(v)
            return out
        return value


def _stamp(model, objs, rows, names: dict[str, str]) -> None:
    """Set creation stamps (auto_now_add on save) back to the exported times."""
    for obj, row in zip(objs, rows, strict=True):
        for attname, key in names.items():
            setattr(obj, attname, _when(row[key]))
    model.objects.bulk_update(objs, list(names), batch_size=500)


@transaction.atomic
def chapter_import(*, data: dict) -> dict[str, int]:
    """Write the chapter of a checked export; returns the rows written per kind. All or nothing."""
    from chapters.models import Chapter, Classification
    from enforcement.models import ChapterRules, ExpulsionCase, Fine, Leave
    from meetings.models import Attendance, Meeting, Visitor
    from members.audit import AuditText, audit_record
    from members.models import Membership, User
    from referrals.models import OneToOne, Referral, ThankYou

    chapter_file_check(data)
    ids, counts = _Ids(), Counter()
    chapter = Chapter.objects.create(**_values(Chapter, data["chapter"], [f.name for f in plain_fields(Chapter)]))

    for row in data["rules"]:
        rules = ChapterRules.objects.create(chapter=chapter, **_values(ChapterRules, row, [f.name for f in
                                                                                          plain_fields(ChapterRules)]))
        ids.maps["rules"][row["rules_id"]] = rules.pk

    classifications = {}

    def classification(name: str):
        if not name:
            return None
        if name not in classifications:
            found = Classification.objects.filter(name__iexact=name).first()
            if found is None:
                slug, n = slugify(name)[:110] or "classification", 1
                while Classification.objects.filter(slug=slug).exists():
                    n += 1
                    slug = f"{slugify(name)[:100]}-{n}"
                found = Classification.objects.create(name=name, slug=slug)
            classifications[name] = found
        return classifications[name]

    for row in data["roster"]:
        email = row["email"].strip().lower()
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email, None, full_name=row["name"] if row["name"] != email else "",
                                            is_active=not email.endswith(ERASED_DOMAIN))
            counts["accounts created"] += 1
        seat = Membership.objects.create(
            user=user, chapter=chapter, classification=classification(row["classification"]),
            business_name="" if user.business_name else row["business"],
            **_values(Membership, row, ["role", "status", "joined_on", "renewal_due", "left_on"]),
        )
        ids.maps["roster"][row["membership_id"]] = seat.pk

    meetings = Meeting.objects.bulk_create([
        Meeting(chapter=chapter, starts_at=_when(row["starts_at"]), closed_at=_when(row["closed_at"]),
                local_date=Meeting._meta.get_field("local_date").to_python(row["date"]),
                **_values(Meeting, row, ["status", "kind", "venue", "scheduled_date", "duration_minutes",
                                         "cancel_reason"]))
        for row in data["meetings"]
    ])
    for row, meeting in zip(data["meetings"], meetings, strict=True):
        ids.maps["meetings"][row["meeting_id"]] = meeting.pk

    Attendance.objects.bulk_create([
        Attendance(meeting_id=ids("meetings", row["meeting_id"]), membership_id=ids("roster", row["membership_id"]),
                   status=row["status"])
        for row in data["attendance"]
    ], batch_size=1000)

    visitors = Visitor.objects.bulk_create([
        Visitor(meeting_id=ids("meetings", row["meeting_id"]), name=row["name"], business=row["business"],
                classification=classification(row["classification"]), invited_by_id=ids("roster", row["invited_by_id"]),
                applicant_membership_id=ids("roster", row["applicant_membership_id"]), follow_up=row["follow_up"])
        for row in data["visitors"]
    ])
    for row, visitor in zip(data["visitors"], visitors, strict=True):
        ids.maps["visitors"][row["visitor_id"]] = visitor.pk

    now = timezone.now()
    referrals = Referral.objects.bulk_create([
        Referral(chapter=chapter, giver_id=ids("roster", row["giver_id"]), receiver_id=ids("roster", row["receiver_id"]),
                 prospect_erased_at=now if row["prospect_erased"] else None,
                 **_values(Referral, row, ["kind", "status", "temperature", "consent", "closed_value", "closed_on",
                                           "business_type"]))
        for row in data["referrals"]
    ], batch_size=1000)
    _stamp(Referral, referrals, data["referrals"], {"created_at": "created_at"})
    for row, referral in zip(data["referrals"], referrals, strict=True):
        ids.maps["referrals"][row["referral_id"]] = referral.pk

    thanks = ThankYou.objects.bulk_create([
        ThankYou(chapter=chapter, referral_id=ids("referrals", row["referral_id"]),
                 giver_id=ids("roster", row["giver_id"]), receiver_id=ids("roster", row["receiver_id"]),
                 **_values(ThankYou, row, ["closed_on", "value", "business_type"]))
        for row in data["tyfcb"]
    ])
    for row, thank in zip(data["tyfcb"], thanks, strict=True):
        ids.maps["tyfcb"][row["thank_you_id"]] = thank.pk

    ones = OneToOne.objects.bulk_create([
        OneToOne(chapter=chapter, initiator_id=ids("roster", row["initiator_id"]), other_id=ids("roster", row["other_id"]),
                 **_values(OneToOne, row, ["met_on", "status"]))
        for row in data["one_to_ones"]
    ])
    for row, one in zip(data["one_to_ones"], ones, strict=True):
        ids.maps["one_to_ones"][row["one_to_one_id"]] = one.pk

    leaves = Leave.objects.bulk_create([
        Leave(chapter=chapter, membership_id=ids("roster", row["membership_id"]),
              **_values(Leave, row, ["starts_on", "ends_on"]))
        for row in data["leave"]
    ])
    for row, leave in zip(data["leave"], leaves, strict=True):
        ids.maps["leave"][row["leave_id"]] = leave.pk

    fines = Fine.objects.bulk_create([
        Fine(chapter=chapter, membership_id=ids("roster", row["membership_id"]), rules_id=ids("rules", row["rules_id"]),
             meeting_id=ids("meetings", row["meeting_id"]), resolved_at=_when(row["resolved_at"]),
             withdrawn_at=_when(row["withdrawn_at"]), explanation=row["explanation"],
             **_values(Fine, row, ["kind", "period_start", "period_end", "amount", "currency", "status"]))
        for row in data["fines"]
    ], batch_size=1000)
    for row, fine in zip(data["fines"], fines, strict=True):
        ids.maps["fines"][row["fine_id"]] = fine.pk
    for fine, row in zip(fines, data["fines"], strict=True):
        fine.evidence = ids.remap(row["evidence"])  # after every fine has its new id: evidence may name another
    _stamp(Fine, fines, data["fines"], {"created_at": "created_at"})
    Fine.objects.bulk_update(fines, ["evidence"], batch_size=500)

    cases = ExpulsionCase.objects.bulk_create([
        ExpulsionCase(chapter=chapter, membership_id=ids("roster", row["membership_id"]),
                      rules_id=ids("rules", row["rules_id"]), explanation=row["explanation"],
                      evidence=ids.remap(row["evidence"]), appealed_at=_when(row["appealed_at"]),
                      decided_at=_when(row["decided_at"]),
                      **_values(ExpulsionCase, row, ["status", "decision", "probation_until"]))
        for row in data["cases"]
    ])
    _stamp(ExpulsionCase, cases, data["cases"], {"opened_at": "opened_at"})
    links = ExpulsionCase.fines.through
    links.objects.bulk_create([links(expulsioncase_id=case.pk, fine_id=ids("fines", fine_id))
                               for case, row in zip(cases, data["cases"], strict=True) for fine_id in row["fine_ids"]])
    for row, case in zip(data["cases"], cases, strict=True):
        ids.maps["cases"][row["case_id"]] = case.pk

    for kind in OWN_ID:
        counts[kind] = len(ids.maps[kind])
    counts["attendance"] = len(data["attendance"])
    exported_at = parse_datetime(data.get("exported_at") or "")
    audit_record(actor=None, action="chapter.imported", target=chapter, chapter=chapter,
                 summary=AuditText(gettext_noop("Chapter %(name)s imported from an export of %(when)s"),
                                   name=chapter.name, when=exported_at) if exported_at
                 else AuditText(gettext_noop("Chapter %(name)s imported from an export"), name=chapter.name),
                 after={k: v for k, v in counts.items()})
    return dict(counts)


