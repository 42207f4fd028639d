"""Roster import: lines of name, email, classification and role become invitations, after a preview.

Nothing is written by the preview: it reads the file, checks each line against the chapter as it
stands, and says what would happen. Confirming sends the same text back (signed, so it is the text
that was previewed), checks every line again (the chapter may have changed meanwhile) and invites
the lines that are still fine, each through `members.services.invitation_create`, as the invitation
form does. Lines for someone already a member or already invited are skipped, so importing the same
file twice invites nobody twice. Each line's outcome:

- invite: an invitation is sent;
- skip: already a member, or already invited with an open invitation (nothing to do);
- error: nothing is done for the line (bad or missing email, unknown role, an officer's role for a
  leader who may not appoint officers, a second president, unknown classification, a classification
  another member holds or an open invitation offers, a classification or email that an earlier line
  of the file already takes, a name over 150 characters). Fix the line and import the file again.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from chapters.models import Classification
from leadsgroups.formats import format_date
from members.audit import AuditText, audit_record
from members.models import Invitation, Membership
from members.services import invitation_create

Role = Membership.Role
SIGNING_SALT = "portability.roster-import"
TOKEN_MAX_AGE = 60 * 60  # a preview left open longer is previewed again

ROLE_WORDS = {
    "member": Role.MEMBER,
    "president": Role.PRESIDENT,
    "vice-president": Role.VICE_PRESIDENT, "vice president": Role.VICE_PRESIDENT, "vice_president": Role.VICE_PRESIDENT,
    "vp": Role.VICE_PRESIDENT,
    "secretary-treasurer": Role.SECRETARY_TREASURER, "secretary treasurer": Role.SECRETARY_TREASURER,
    "secretary_treasurer": Role.SECRETARY_TREASURER, "treasurer": Role.SECRETARY_TREASURER,
}
# Column headings recognised in a first line (English, German, French, Spanish), lower case.
HEADINGS = {
    "name": {"name", "full name", "full_name", "fullname", "member", "nom", "nom complet", "nombre", "mitglied"},
    "email": {"email", "e-mail", "email address", "e-mail address", "mail", "e-mail-adresse", "courriel",
              "adresse e-mail", "correo", "correo electrónico", "correo electronico"},
    "classification": {"classification", "profession", "beruf", "klassifizierung", "classe", "métier",
                       "clasificación", "clasificacion", "profesión", "profesion"},
    "role": {"role", "rôle", "rolle", "rol", "office"},
}
POSITIONAL = ("name", "email", "classification", "role")


def max_bytes() -> int:
    return settings.ROSTER_IMPORT_MAX_BYTES


def max_rows() -> int:
    return settings.ROSTER_IMPORT_MAX_ROWS


@dataclass
class RosterRow:
    line: int
    name: str = ""
    email: str = ""
    classification_text: str = ""
    role_text: str = ""
    role: str = Role.MEMBER
    classification: Classification | None = None
    outcome: str = ""  # invite, skip or error
    notes: list[str] = field(default_factory=list)

    @property
    def role_label(self) -> str:
        return Role(self.role).label


@dataclass
class RosterResult:
    rows: list[RosterRow]
    imported: bool = False

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def to_invite(self) -> int:
        return self.count("invite")

    @property
    def skipped(self) -> int:
        return self.count("skip")

    @property
    def failed(self) -> int:
        return self.count("error")


def roster_text_decode(data: bytes) -> str:
    """Bytes of a CSV file as text: UTF-8 (with or without a byte-order mark), else Windows-1252, else Latin-1."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # every byte is a Latin-1 character: never fails


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    if "\t" in first:
        return "\t"  # lines pasted from a spreadsheet
    return ";" if first.count(";") > first.count(",") else ","


def _heading(cell: str) -> str | None:
    word = " ".join(cell.strip().lower().replace("*", "").split())
    return next((key for key, words in HEADINGS.items() if word in words), None)


def _cell(cells: list[str], i: int) -> str:
    return " ".join(cells[i].split()) if i < len(cells) else ""


def roster_parse(text: str) -> list[RosterRow]:
    """The lines of a roster as rows (a first line of column headings is recognised and used); raises ValidationError."""
    if len(text.encode()) > max_bytes():
        raise ValidationError(_("The roster is larger than %(size)s KB: split it into several imports.")
                              % {"size": max_bytes() // 1024}, code="too_big")
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=_delimiter(text))
    columns, rows = None, []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        if columns is None:
            found = {i: _heading(c) for i, c in enumerate(cells)}
            if "email" in found.values():
                columns = {key: i for i, key in found.items() if key}
                continue
            columns = {key: i for i, key in enumerate(POSITIONAL)}
        if len(rows) >= max_rows():
            raise ValidationError(_("The roster has more than %(rows)s lines: split it into several imports.")
                                  % {"rows": max_rows()}, code="too_many")
        values = {key: _cell(cells, i) for key, i in columns.items()}
        rows.append(RosterRow(line=reader.line_num, name=values.get("name", ""), email=values.get("email", "").lower(),
                              classification_text=values.get("classification", ""), role_text=values.get("role", "")))
    if not rows:
        raise ValidationError(_("No lines to import: give one member per line (name, email, classification, role)."),
                              code="empty")
    return rows


def _role_words() -> dict[str, str]:
    """Role names as people write them: the values, usual spellings, and the labels in every language."""
    words = dict(ROLE_WORDS)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            words.update({str(role.label).lower(): role.value for role in Role})
    return words


def _facts(chapter, rows: list[RosterRow]) -> dict:
    """What the lines are checked against, in a handful of queries whatever their number."""
    emails = {r.email for r in rows if r.email}
    now = timezone.now()
    seated = Membership.objects.filter(chapter=chapter, status__in=Membership.SEATED_STATUSES)
    open_invitations = Invitation.objects.filter(
        chapter=chapter, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).select_related("classification")
    return {
        "members": set(seated.filter(user__email__in=emails).values_list("user__email", flat=True)),
        "invited": {i.email.lower(): i for i in open_invitations.filter(email__in=emails)},
        "held": {m.classification_id: m for m in seated.filter(classification__isnull=False).select_related("user")},
        "offered": {i.classification_id: i for i in open_invitations.filter(classification__isnull=False)},
        "classifications": {
            key: c for c in Classification.objects.all() for key in (c.name.lower(), c.slug)
        },
        "roles": _role_words(),
        "tz": chapter.tz,
    }


def _check(row: RosterRow, facts: dict, seen: dict, can_appoint: bool) -> None:
    """Decide one line's outcome, in the light of the chapter and of the lines before it."""
    errors = row.notes
    if not row.email:
        errors.append(_("The email is missing."))
    else:
        try:
            validate_email(row.email)
        except ValidationError:
            errors.append(_("“%(email)s” is not an email address.") % {"email": row.email})
    if row.email and row.email in seen["emails"]:
        errors.append(_("Line %(line)s already has this email.") % {"line": seen["emails"][row.email]})
    if len(row.name) > 150:
        errors.append(_("The name is longer than 150 characters."))
    role = facts["roles"].get(row.role_text.lower()) if row.role_text else Role.MEMBER
    if role is None:
        errors.append(_("Unknown role “%(role)s”: use member, president, vice-president or secretary-treasurer.")
                      % {"role": row.role_text})
    else:
        row.role = role
        if role != Role.MEMBER and not can_appoint:
            errors.append(_("Only the president or an admin invites officers."))
        if role == Role.PRESIDENT and seen["president"]:
            errors.append(_("Line %(line)s already invites a president.") % {"line": seen["president"]})
    if row.classification_text:
        row.classification = facts["classifications"].get(row.classification_text.lower())
        if row.classification is None:
            errors.append(_("Unknown classification “%(name)s”: leave it empty or ask an admin to add it.")
                          % {"name": row.classification_text})
    if not errors and row.email in facts["members"]:
        row.outcome, row.notes = "skip", [_("Already a member of the chapter: nothing to do.")]
        return
    if not errors and row.email in facts["invited"]:
        until = format_date(timezone.localtime(facts["invited"][row.email].expires_at, facts["tz"]).date())
        row.outcome, row.notes = "skip", [_("Already invited: the invitation is open until %(date)s.") % {"date": until}]
        return
    c = row.classification
    if c is not None:
        holder, offer = facts["held"].get(c.pk), facts["offered"].get(c.pk)
        if holder is not None:
            errors.append(_("%(member)s holds the classification %(name)s in the chapter.")
                          % {"member": holder.display_name, "name": c.name})
        elif offer is not None and offer.email.lower() != row.email:
            errors.append(_("The open invitation to %(email)s offers the classification %(name)s.")
                          % {"email": offer.email, "name": c.name})
        elif c.pk in seen["classifications"]:
            errors.append(_("Line %(line)s already takes the classification %(name)s.")
                          % {"line": seen["classifications"][c.pk], "name": c.name})
    row.outcome = "error" if errors else "invite"


def roster_check(*, chapter, rows: list[RosterRow], can_appoint: bool) -> RosterResult:
    """Each line's outcome, as confirming would have it now; writes nothing."""
    facts = _facts(chapter, rows)
    seen = {"emails": {}, "classifications": {}, "president": None}
    for row in rows:
        row.outcome, row.notes = "", []
        _check(row, facts, seen, can_appoint)
        if row.email and row.email not in seen["emails"]:
            seen["emails"][row.email] = row.line
        if row.outcome == "invite":
            if row.classification is not None:
                seen["classifications"][row.classification.pk] = row.line
            if row.role == Role.PRESIDENT:
                seen["president"] = row.line
    return RosterResult(rows=rows)


def roster_preview(*, chapter, text: str, can_appoint: bool) -> RosterResult:
    return roster_check(chapter=chapter, rows=roster_parse(text), can_appoint=can_appoint)


def roster_token(*, chapter, text: str) -> str:
    """The previewed text, signed for this chapter: what the confirmation imports."""
    return signing.dumps({"chapter": chapter.pk, "text": text}, salt=SIGNING_SALT, compress=True)


def roster_token_text(*, chapter, token: str) -> str:
    try:
        data = signing.loads(token, salt=SIGNING_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature as exc:
        raise ValidationError(_("This preview is too old or was changed: preview the roster again."),
                              code="token") from exc
    if data.get("chapter") != chapter.pk:
        raise ValidationError(_("This preview is for another chapter: preview the roster again."), code="token")
    return data["text"]


def roster_import(*, chapter, text: str, by, can_appoint: bool) -> RosterResult:
    """Invite every line that is still fine; each invitation is its own transaction (a later failure keeps it)."""
    result = roster_check(chapter=chapter, rows=roster_parse(text), can_appoint=can_appoint)
    for row in result.rows:
        if row.outcome != "invite":
            continue
        try:
            invitation_create(chapter=chapter, email=row.email, full_name=row.name, role=row.role,
                              classification=row.classification, invited_by=by)
        except ValidationError as exc:  # someone else invited or seated them a moment ago
            row.outcome, row.notes = "error", list(exc.messages)
    result.imported = True
    with transaction.atomic():
        audit_record(
            actor=by, action="roster.imported", target=chapter, chapter=chapter,
            summary=AuditText(gettext_noop("Roster import: %(invited)s invited, %(skipped)s skipped, %(errors)s not imported"),
                              invited=result.count("invite"), skipped=result.count("skip"),
                              errors=result.count("error")),
            after={"invited": result.count("invite"), "skipped": result.count("skip"), "errors": result.count("error")},
        )
    return result
