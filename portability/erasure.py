"""Deleting one's account: the person's data goes, the chapters' figures stay, under a pseudonym.

At once, in one transaction (`account_erase`): the account becomes a husk named "Former member #N"
(N is the erasure's number, not the account's id) with an address that cannot receive mail, no
password and no rights; the directory card and photo, verified addresses, calendar feed, API tokens,
region roles and the person's own notifications are deleted; emails to them are emptied; seats are
given up (resigned, the office vacant) without touching the history that hangs on them, so
memberships, marks, referrals, thank-yous, one-to-ones and fines keep counting for their chapters
under the pseudonym. Audit events they made keep a pseudonymised actor ("Former member #N").

Then, in a task (`erasure_scrub`, minutes later; the portability sweep finishes any whose task was
lost): every text and JSON column of every table is searched for the person's name, email, phone and
business name, and each occurrence (in others' notices, audit summaries, fines' explanations, notes…)
is replaced by the pseudonym (whole words, any case). The terms searched for are kept on the erasure's
row only until then.

A name can belong to two people. Email and phone are the person's own and are replaced wherever they
occur; so is a name or business name nobody else in the database carries. When a namesake exists
(another account of the same name or business, or a visitor or invitation of that name not linked to
the person), that name is replaced only in the rows that are the person's: rows pointing at their
account, one of their seats or one of their referrals, audit events about those or made by them, rows
holding their email or phone, and inside JSON, objects carrying one of their seat or account ids (a
webhook payload's `{"membership_id": …, "name": …}`). Elsewhere (another member's notice or email, a
free-text note) the words cannot be told apart from the namesake's and are left as they are.

PostgreSQL's audit trigger lets this rewrite through inside the scrub's transaction only
(`leadsgroups.erasure` set locally; migration portability 0002), and only of who acted and the words of
an event, never its action, target, chapter or time.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, models, transaction
from django.utils import timezone

from members.models import AuditEvent, Membership, Notification, OutboundEmail, Profile, User
from members.outbox import emails_erase
from portability.api_tokens import token_model
from portability.models import Erasure

log = logging.getLogger(__name__)
MIN_TERM = 3  # a shorter name or business ("Al") would rewrite every text it happens to be a word of
SKIPPED_MODELS = {"portability.erasure", "sessions.session", "contenttypes.contenttype", "auth.permission"}


def _terms(user: User) -> list[dict]:
    """What to search for, and what each becomes; longest first, so a name inside a business name goes with it."""
    terms = []
    seats = Membership.objects.filter(user=user).exclude(business_name="").values_list("business_name", flat=True)
    businesses = {b.strip() for b in [user.business_name, *seats] if b.strip()}
    candidates = [("email", user.email.strip()), ("name", user.full_name.strip()), ("phone", user.phone.strip())]
    candidates += [("business", b) for b in businesses]
    for kind, text in candidates:
        if len(text) >= MIN_TERM and (kind != "phone" or sum(c.isdigit() for c in text) >= 6):
            terms.append({"kind": kind, "text": text})
    return sorted(terms, key=lambda t: -len(t["text"]))


@contextmanager
def audit_rewrite_allowed():
    """Inside this block (and a transaction), PostgreSQL's audit trigger lets an erasure pseudonymise events.

    The setting is local to the transaction, and switched off again when the block ends, so nothing else
    in a caller's longer transaction inherits it. Use it inside the `transaction.atomic` it belongs to.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('leadsgroups.erasure', 'on', true)")
    yield  # an error rolls the transaction (or savepoint) back, and the setting with it
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('leadsgroups.erasure', 'off', true)")


@transaction.atomic
def account_erase(*, user: User) -> Erasure:
    """Delete the person's data and keep their chapters' figures under a pseudonym; the scrub is queued on commit."""
    from enforcement.leave import leave_follow_status
    from members.services import membership_change

    user = User.objects.select_for_update().get(pk=user.pk)
    erasure = Erasure.objects.create(user=user, terms=_terms(user))
    old_email = user.email
    _account_empty(user, erasure)
    for seat in Membership.objects.filter(user=user).select_related("chapter"):
        was = seat.status
        if seat.is_seated or seat.status == Membership.Status.APPLICANT:
            membership_change(membership=seat, by=None, status=Membership.Status.RESIGNED, notify=False,
                              reason="The member deleted their account.")
            leave_follow_status(membership=seat, by=None, was=was, reason="The member deleted their account.")
        Membership.objects.filter(pk=seat.pk).update(business_name="")
    _audit_actor_pseudonymise(user, erasure)
    _personal_rows_delete(user, old_email)
    transaction.on_commit(lambda: erasure_scrub_queue(erasure_id=erasure.pk))
    return erasure


def _account_empty(user: User, erasure: Erasure) -> None:
    user.full_name = erasure.pseudonym
    user.email = erasure.pseudonym_email
    user.phone = user.business_name = user.language = ""
    user.notification_delivery = {}
    user.is_active = user.is_staff = user.is_superuser = user.is_org_admin = False
    user.set_unusable_password()  # every session of the account ends with its password hash
    user.save()
    user.groups.clear()
    user.user_permissions.clear()


def _audit_actor_pseudonymise(user: User, erasure: Erasure) -> None:
    """Events the person made keep who acted as "Former member #N", with no link to the account."""
    with audit_rewrite_allowed():
        AuditEvent._base_manager.filter(actor=user).update(actor=None, actor_name=erasure.pseudonym, actor_email="")


def _personal_rows_delete(user: User, old_email: str) -> None:
    from allauth.account.models import EmailAddress

    from chapters.models import RegionStaff
    from meetings.models import CalendarFeed
    from members.models import Invitation

    for profile in Profile.objects.filter(user=user):
        profile.delete()  # its photo's file goes once this commits (members.photos.photo_file_forget)
    EmailAddress.objects.filter(user=user).delete()
    CalendarFeed.objects.filter(user=user).delete()
    RegionStaff.objects.filter(user=user).delete()
    tokens = token_model()
    if tokens is not None:
        tokens.objects.filter(user=user).delete()
    Notification.objects.filter(user=user).delete()  # their emails (outbox rows) go with them
    emails_erase(emails=OutboundEmail.objects.filter(to__iexact=old_email))
    Invitation.objects.filter(email__iexact=old_email, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def erasure_scrub_queue(*, erasure_id: int) -> None:
    from portability.tasks import erasure_scrub_task

    try:
        erasure_scrub_task.delay(erasure_id)
    except Exception:  # noqa: BLE001 - a broker outage must never fail the deletion; the sweep finishes it
        log.warning("Broker unavailable; erasure %s will be finished by the next portability sweep", erasure_id)


# The scrub ---------------------------------------------------------------------------------------


def _pattern(term: str) -> re.Pattern:
    return re.compile(r"(?<!\w)" + re.escape(term) + r"(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Replacement:
    kind: str  # name, email, phone or business
    term: str
    pattern: re.Pattern
    into: str
    everywhere: bool  # False: a namesake exists, so only in the person's own rows (see the module's docstring)


@dataclass(frozen=True)
class Person:
    """The erased account's ids, which tell their rows from a namesake's, and what to replace where."""

    user_id: int | None
    seat_ids: frozenset[int]
    referral_ids: frozenset[int]
    pseudonym: str
    replacements: tuple[Replacement, ...] = ()

    @property
    def everywhere(self) -> tuple[Replacement, ...]:
        return tuple(r for r in self.replacements if r.everywhere)

    @property
    def identifying(self) -> tuple[Replacement, ...]:
        """The person's own email and phone: a row holding one is about them."""
        return tuple(r for r in self.replacements if r.kind in ("email", "phone"))

    def owns(self, obj: dict) -> bool:
        """A JSON object about the person: it carries one of their seat or account ids."""
        return obj.get("membership_id") in self.seat_ids or (
            self.user_id is not None and obj.get("user_id") == self.user_id)


def _person(erasure: Erasure) -> Person:
    from referrals.models import Referral

    seats = frozenset(Membership.objects.filter(user_id=erasure.user_id).values_list("pk", flat=True))
    referrals = frozenset(Referral.objects.filter(models.Q(giver_id__in=seats) | models.Q(receiver_id__in=seats))
                          .values_list("pk", flat=True)) if seats else frozenset()
    person = Person(user_id=erasure.user_id, seat_ids=seats, referral_ids=referrals, pseudonym=erasure.pseudonym)
    into = {"name": erasure.pseudonym, "email": erasure.pseudonym_email, "phone": "(erased)", "business": "(erased)"}
    own = [t["text"] for t in erasure.terms if t["kind"] in ("email", "phone")]
    replacements = tuple(
        Replacement(t["kind"], t["text"], _pattern(t["text"]), into[t["kind"]],
                    everywhere=t["kind"] in ("email", "phone") or not _namesake_exists(t["kind"], t["text"], person, own))
        for t in erasure.terms
    )
    return dataclasses.replace(person, replacements=replacements)


def _namesake_exists(kind: str, text: str, person: Person, own: list[str]) -> bool:
    """Someone else in the database goes by this name or business (erased accounts carry only pseudonyms)."""
    from meetings.models import Visitor
    from members.models import Invitation

    others = User.objects.exclude(pk=person.user_id)
    if kind == "business":
        return (others.filter(business_name__iexact=text).exists()
                or Membership.objects.exclude(pk__in=person.seat_ids).filter(business_name__iexact=text).exists())
    not_hers = models.Q()
    for term in own:  # a visit or an invitation under the person's own email is the person, not a namesake
        not_hers &= ~models.Q(email__iexact=term)
    return (others.filter(full_name__iexact=text).exists()
            or Visitor.objects.filter(not_hers, name__iexact=text).exclude(applicant_membership_id__in=person.seat_ids)
            .exists()
            or Invitation.objects.filter(not_hers, full_name__iexact=text).exclude(membership_id__in=person.seat_ids)
            .exists())


def _replace_text(value: str, replacements) -> str:
    for r in replacements:
        value = r.pattern.sub(r.into, value)
    return value


def _replace_json(value, replacements, person: Person | None = None):
    """Replace in every string; with `person`, an object that is theirs (by id) gets all their replacements."""
    if isinstance(value, str):
        return _replace_text(value, replacements)
    if isinstance(value, list):
        return [_replace_json(v, replacements, person) for v in value]
    if isinstance(value, dict):
        if person is not None and person.owns(value):
            replacements, person = person.replacements, None
        return {_replace_text(k, replacements): _replace_json(v, replacements, person) for k, v in value.items()}
    return value


def text_columns(model) -> list[models.Field]:
    """The columns of a model that hold words a person could be named in."""
    return [
        f for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField) and not f.primary_key
    ]


def _matching(model, fields, terms: list[str]):
    """Rows of `model` whose text holds any term: one query (JSON also as stored escaped, as SQLite keeps it)."""
    q = models.Q()
    for f in fields:
        for term in terms:
            q |= models.Q(**{f"{f.attname}__icontains": term})
            if isinstance(f, models.JSONField):
                escaped = json.dumps(term)[1:-1]
                if escaped != term:
                    q |= models.Q(**{f"{f.attname}__icontains": escaped})
    return model._base_manager.filter(q).values_list("pk", *[f.attname for f in fields])


def _linked(model, person: Person) -> models.Q | None:
    """The rows of `model` that are the person's: by a foreign key to their account, a seat or a referral of
    theirs; for audit events, by their target or as acts of theirs (the actor already pseudonymised)."""
    from referrals.models import Referral

    ids = {User: [person.user_id], Membership: person.seat_ids, Referral: person.referral_ids}
    q, any_link = models.Q(), False
    for f in model._meta.concrete_fields:
        if isinstance(f, models.ForeignKey) and f.related_model in ids:
            q |= models.Q(**{f"{f.attname}__in": ids[f.related_model]})
            any_link = True
    if model is AuditEvent:
        q |= models.Q(target_type="members.membership", target_id__in=[str(pk) for pk in person.seat_ids])
        q |= models.Q(target_type="members.user", target_id=str(person.user_id))
        q |= models.Q(actor_name=person.pseudonym)
        any_link = True
    return q if any_link else None


def erasure_scrub(*, erasure_id: int) -> int:
    """Replace the erased person's name, email, phone and business everywhere; returns the rows changed. Idempotent."""
    with transaction.atomic():
        erasure = Erasure.objects.select_for_update().filter(pk=erasure_id, scrubbed_at__isnull=True).first()
        if erasure is None:
            return 0
        person = _person(erasure)
        changed = 0
        with audit_rewrite_allowed():
            for model in apps.get_models():
                if model._meta.label_lower in SKIPPED_MODELS or model._meta.proxy or not model._meta.managed:
                    continue
                fields = text_columns(model)
                if fields and person.replacements:
                    changed += _scrub_model(model, fields, person)
        erasure.terms, erasure.scrubbed_at = [], timezone.now()
        erasure.save(update_fields=["terms", "scrubbed_at"])
    log.info("Erasure %s: %s rows rewritten", erasure_id, changed)
    return changed


def _scrub_model(model, fields, person: Person) -> int:
    rows = list(_matching(model, fields, [r.term for r in person.replacements]))
    if not rows:
        return 0
    narrow = len(person.everywhere) < len(person.replacements)  # a namesake: some words only in the person's rows
    linked = set()
    if narrow and (link := _linked(model, person)) is not None:
        linked = set(model._base_manager.filter(link, pk__in=[row[0] for row in rows]).values_list("pk", flat=True))
    changed = 0
    for pk, *values in rows:
        texts = [json.dumps(v, ensure_ascii=False) if isinstance(f, models.JSONField) else v
                 for f, v in zip(fields, values, strict=True) if v is not None]
        # A row holding the person's own email or phone is about them, whatever else it names.
        theirs = not narrow or pk in linked or any(r.pattern.search(t) for r in person.identifying for t in texts)
        replacements = person.replacements if theirs else person.everywhere
        update = {}
        for f, value in zip(fields, values, strict=True):
            if value is None:
                continue
            if isinstance(f, models.JSONField):
                new = _replace_json(value, replacements, None if theirs else person)
            else:
                new = _replace_text(value, replacements)
            if new != value:
                update[f.attname] = new[: f.max_length] if isinstance(new, str) and f.max_length else new
        if update:
            model._base_manager.filter(pk=pk).update(**update)
            changed += 1
    return changed


def erasures_pending_ids() -> list[int]:
    return list(Erasure.objects.filter(scrubbed_at__isnull=True).values_list("pk", flat=True)[:20])
