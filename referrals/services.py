"""Writes about referrals: giving, the lifecycle, consent, erasure, TYFCB, one-to-ones, education."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from members.audit import audit_record
from members.models import Membership, Notification, OutboundEmail
from members.notifications import notification_send
from members.outbox import email_queue, emails_erase
from members.signals import notifications_read
from referrals import selectors
from referrals.models import (
    MAX_CLOSED_VALUE,
    ConsentRequest,
    EducationCredit,
    OneToOne,
    Referral,
    ReferralEvent,
    ThankYou,
)
from webhooks.events import emit as webhook_emit

Status = Referral.Status
Consent = Referral.Consent

# How long a prospect's consent link can be answered (confirm or decline).
CONSENT_LINK_VALID_DAYS = getattr(settings, "CONSENT_LINK_VALID_DAYS", 30)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _local_today(chapter) -> date:
    return timezone.localdate(timezone=chapter.tz)


def _url(referral: Referral) -> str:
    return reverse("referrals:detail", args=[referral.chapter.slug, referral.pk])


# A member on leave is not passing or taking business meanwhile; probation still does.
RECEIVING_STATUSES = (Membership.Status.ACTIVE, Membership.Status.PROBATION)
CONSENT_REQUESTS_MAX = 3
CONSENT_REQUEST_INTERVAL = timedelta(days=1)


def receiver_candidates(*, chapter, giver: Membership):
    """Who may receive a referral from `giver`: active members of the same chapter (not on leave), never the giver."""
    return (
        Membership.objects.filter(chapter=chapter, status__in=RECEIVING_STATUSES)
        .exclude(pk=giver.pk)
        .select_related("user", "classification")
        .order_by("user__full_name", "user__email")
    )


def _check_receiver(*, chapter, giver: Membership, receiver: Membership) -> None:
    if receiver.pk == giver.pk:
        raise ValidationError({"receiver": "You cannot pass a referral to yourself."})
    if receiver.chapter_id != chapter.pk:
        raise ValidationError({"receiver": "The receiver must be a member of this chapter."})
    if receiver.status == Membership.Status.ON_LEAVE:
        raise ValidationError({"receiver": "The receiver is on leave: pass the referral when they are back."})
    if receiver.status not in RECEIVING_STATUSES:
        raise ValidationError({"receiver": "The receiver is no longer an active member of the chapter."})


@transaction.atomic
def referral_give(
    *,
    chapter,
    giver: Membership,
    receiver: Membership,
    kind: str,
    prospect_name: str = "",
    prospect_email: str = "",
    prospect_phone: str = "",
    consent: str = Consent.NOT_ASKED,
    temperature: int = 3,
    notes: str = "",
) -> Referral:
    """Record a referral from `giver` to `receiver` and tell the receiver."""
    if giver.chapter_id != chapter.pk or giver.status not in Membership.SEATED_STATUSES:
        raise PermissionDenied("Only a seated member of the chapter can give a referral in it.")
    _check_receiver(chapter=chapter, giver=giver, receiver=receiver)
    prospect_email = prospect_email.strip().lower()
    if kind == Referral.Kind.OUTSIDE:
        if not prospect_name.strip():
            raise ValidationError({"prospect_name": "Who is the prospect?"})
        if not (prospect_email or prospect_phone.strip()):
            raise ValidationError(
                {"prospect_phone": "Give a phone number or an email address for the prospect."}
            )
    else:
        consent = Consent.STATED  # inside business: the giver is the customer and agrees by giving it
    if consent not in (Consent.STATED, Consent.NOT_ASKED):
        raise ValidationError({"consent": "The giver can state consent or say it was not asked."})
    if not 1 <= int(temperature) <= 5:
        raise ValidationError({"temperature": "Temperature is 1 to 5."})
    referral = Referral.objects.create(
        chapter=chapter,
        giver=giver,
        receiver=receiver,
        kind=kind,
        prospect_name=prospect_name.strip(),
        prospect_email=prospect_email,
        prospect_phone=prospect_phone.strip(),
        consent=consent,
        temperature=int(temperature),
        notes=notes.strip(),
    )
    ReferralEvent.objects.create(
        referral=referral, action=ReferralEvent.Action.CREATED, actor=giver.user, to_status=Status.GIVEN
    )
    webhook_emit("referral.given", [referral])  # rows now, sent once this commits
    notification_send(
        user=receiver.user,
        chapter=chapter,
        kind=Notification.Kind.REFERRAL_RECEIVED,
        title=f"{giver.display_name} passed you a referral",
        body=f"{referral.get_kind_display()}, temperature {referral.temperature}/5. Accept or decline it.",
        url=_url(referral),
        dedupe_key=f"referral-received:{referral.pk}",
    )
    return referral


def _locked(referral: Referral) -> Referral:
    return (
        Referral.objects.select_for_update()
        .select_related("chapter", "giver__user", "receiver__user")
        .get(pk=referral.pk)
    )


@transaction.atomic
def referral_move(
    *,
    referral: Referral,
    by: Membership,
    to: str,
    note: str = "",
    reason: str = "",
    value: Decimal | None = None,
    closed_on: date | None = None,
    business_type: str = "",
) -> Referral:
    """Move a referral along its lifecycle; only the receiver may, and only along TRANSITIONS."""
    referral = _locked(referral)  # two taps at once: the second sees the first's status
    if by.pk != referral.receiver_id:
        raise PermissionDenied("Only the member who received this referral can change its status.")
    if to not in Status.values:
        raise ValidationError({"to": "Unknown status."})
    if referral.prospect_declined and to != Status.PROSPECT_DECLINED and referral.is_open:
        raise ValidationError({"to": (
            "The prospect declined to be contacted, so this referral goes no further: "
            f"it can only be closed ({Status.PROSPECT_DECLINED.label.lower()})."
        )})
    if to not in referral.next_statuses:
        allowed = (
            ", ".join(Status(s).label.lower() for s in referral.next_statuses) or "nothing (it is closed)"
        )
        raise ValidationError(
            {
                "to": f"A referral that is {referral.get_status_display().lower()} cannot become "
                f"{Status(to).label.lower()}; it can become: {allowed}."
            }
        )
    old = referral.status
    if to == Status.DECLINED:
        reason = reason.strip()
        if not reason:
            raise ValidationError({"reason": "Say why you decline this referral."})
        referral.decline_reason = reason[:300]
    if to == Status.WON:
        _check_won(referral=referral, value=value, closed_on=closed_on, business_type=business_type)
        referral.closed_value, referral.closed_on, referral.business_type = value, closed_on, business_type
    referral.status = to
    referral.status_changed_at = timezone.now()
    referral.stale_since = None
    referral.save(
        update_fields=[
            "status",
            "status_changed_at",
            "stale_since",
            "decline_reason",
            "closed_value",
            "closed_on",
            "business_type",
        ]
    )
    ReferralEvent.objects.create(
        referral=referral,
        action=ReferralEvent.Action.STATUS,
        actor=by.user,
        from_status=old,
        to_status=to,
        note=(reason or note).strip()[:300],
    )
    _quota_evidence_changed(referral=referral, old=old)
    if to == Status.WON:
        _thank_you_record(referral=referral, note=note.strip()[:300])
        webhook_emit("referral.won", [referral])  # rows now, sent once this commits
    else:
        notification_send(
            user=referral.giver.user,
            chapter=referral.chapter,
            kind=Notification.Kind.REFERRAL_UPDATED,
            title=f"{referral.receiver.display_name} {STATUS_NEWS[to]}",
            body=f"Reason: {referral.decline_reason}" if to == Status.DECLINED else "",
            url=_url(referral),
            dedupe_key=f"referral-status:{referral.pk}:{to}",
        )
    return referral


def _quota_evidence_changed(*, referral: Referral, old: str) -> None:
    """Re-judge the chapter when the move changes whether the referral counts toward a quota.

    Only chapters whose quota counts referrals that reached a meeting (or were won) are affected;
    for the others a status change is no evidence, and marking them would have the sweep judge
    every chapter in full every day.
    """
    from enforcement.models import ChapterRules

    by_status = {ChapterRules.QuotaCounts.MEETING: (Status.MEETING, Status.WON), ChapterRules.QuotaCounts.WON: (Status.WON,)}
    modes = set(
        ChapterRules.objects.filter(chapter_id=referral.chapter_id, quota_counts__in=list(by_status))
        .values_list("quota_counts", flat=True)
    )
    if any((old in by_status[mode]) != (referral.status in by_status[mode]) for mode in modes):
        from enforcement.services import chapter_enforce_soon

        chapter_enforce_soon(chapter_id=referral.chapter_id)


# What the giver is told when the receiver moves their referral on (won has its own thank-you).
STATUS_NEWS = {
    Status.ACCEPTED: "accepted your referral",
    Status.CONTACTED: "contacted the prospect you referred",
    Status.MEETING: "met the prospect you referred",
    Status.LOST: "lost the business you referred",
    Status.DECLINED: "declined your referral",
    Status.PROSPECT_DECLINED: "closed your referral: the prospect declined to be contacted",
}


def _check_won(*, referral: Referral, value, closed_on, business_type) -> None:
    errors = {}
    if value is None:
        errors["value"] = "Enter the value of the business closed."
    elif value < 0:
        errors["value"] = "The value cannot be negative."
    elif value > MAX_CLOSED_VALUE:
        errors["value"] = f"That is more than {MAX_CLOSED_VALUE:,.0f}: check the figure."
    if closed_on is None:
        errors["closed_on"] = "Enter the date the business closed."
    elif closed_on > _local_today(referral.chapter):
        errors["closed_on"] = "The date cannot be in the future."
    elif closed_on < timezone.localtime(referral.created_at, referral.chapter.tz).date():
        errors["closed_on"] = "The business cannot close before the referral was given."
    if business_type not in Referral.BusinessType.values:
        errors["business_type"] = "Say whether this is new or repeat business."
    if errors:
        raise ValidationError(errors)


def _thank_you_record(*, referral: Referral, note: str = "") -> ThankYou:
    thank_you = ThankYou.objects.create(
        chapter=referral.chapter,
        referral=referral,
        giver=referral.giver,
        receiver=referral.receiver,
        value=referral.closed_value,
        closed_on=referral.closed_on,
        business_type=referral.business_type,
    )
    notification_send(
        user=referral.giver.user,
        chapter=referral.chapter,
        kind=Notification.Kind.THANK_YOU,
        title=f"Thank you for closed business: {referral.closed_value:,.2f} {referral.chapter.currency}",
        body=f"{referral.receiver.display_name} closed {referral.get_business_type_display().lower()} "
        f"worth {referral.closed_value:,.2f} {referral.chapter.currency} from your referral."
        + (f" “{note}”" if note else ""),
        url=_url(referral),
        dedupe_key=f"thank-you:{referral.pk}",
    )
    return thank_you


# Stale referrals -----------------------------------------------------------------------------


def referrals_stale_due(*, now=None):
    """Open referrals with no update for STALE_REFERRAL_DAYS that are not yet marked stale."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.STALE_REFERRAL_DAYS)
    return Referral.objects.filter(
        status__in=Referral.OPEN_STATUSES, status_changed_at__lt=cutoff, stale_since__isnull=True
    )


def referrals_mark_stale(*, chapter_id: int, now=None) -> int:
    """Mark the chapter's overdue referrals stale and remind each receiver once per stale spell."""
    now = now or timezone.now()
    marked = 0
    for pk in referrals_stale_due(now=now).filter(chapter_id=chapter_id).values_list("pk", flat=True):
        with transaction.atomic():
            # Claim with a conditional update: a second worker (or a rerun) finds nothing to claim.
            if not Referral.objects.filter(pk=pk, stale_since__isnull=True).update(stale_since=now):
                continue
            referral = Referral.objects.select_related("chapter", "giver__user", "receiver__user").get(pk=pk)
            ReferralEvent.objects.create(referral=referral, action=ReferralEvent.Action.STALE, created_at=now)
            marked += 1
            if referral.receiver.status not in Membership.SEATED_STATUSES:
                continue  # marked for the chapter to see, but a member who left is not chased
            notification_send(
                user=referral.receiver.user,
                chapter=referral.chapter,
                kind=Notification.Kind.STALE_REFERRAL,
                title=f"Referral #{referral.pk} from {referral.giver.display_name} is waiting for an update",
                body=f"No update for {settings.STALE_REFERRAL_DAYS} days: it is still "
                f"“{referral.get_status_display()}”. {stale_next_step(referral)}",
                url=_url(referral),
                dedupe_key=f"referral-stale:{pk}:{int(referral.stale_since.timestamp())}",
            )
    return marked


def stale_next_step(referral: Referral) -> str:
    """What the receiver can do with a stale referral, from where it stands (not a step it cannot take)."""
    if referral.prospect_declined:
        return "The prospect declined to be contacted: close it (closed: prospect declined)."
    steps = {
        Status.GIVEN: "Accept it, or decline it with a reason.",
        Status.ACCEPTED: "Say you contacted the prospect, mark it lost, or decline it with a reason.",
        Status.CONTACTED: "Say the meeting was held, record it won with its value, or mark it lost.",
        Status.MEETING: "Record it won with its value, or mark it lost.",
    }
    return steps.get(referral.status, "")


# Consent --------------------------------------------------------------------------------------


def consent_request_wait(referral: Referral, *, now=None) -> str:
    """Why the prospect cannot be asked again yet ("" if they can): never flood a non-member's inbox."""
    now = now or timezone.now()
    # A link whose email failed never reached the prospect: it does not count, so the giver can ask again.
    sent = list(
        referral.consent_requests.exclude(emails__status=OutboundEmail.Status.FAILED)
        .order_by("-created_at").values_list("created_at", flat=True)
    )
    if len(sent) >= CONSENT_REQUESTS_MAX:
        return f"The prospect has been asked {len(sent)} times already; ask them in person instead."
    if sent and sent[0] > now - CONSENT_REQUEST_INTERVAL:
        return "The prospect was asked less than a day ago: give them time to answer."
    return ""


@transaction.atomic
def consent_request_send(*, referral: Referral, by: Membership) -> tuple[ConsentRequest, str]:
    """Email the prospect a link to confirm or decline; returns the request and its link."""
    referral = _locked(referral)
    if by.pk != referral.giver_id:
        raise PermissionDenied("Only the giver can ask the prospect for consent.")
    if referral.kind != Referral.Kind.OUTSIDE or not referral.prospect_email or referral.is_erased:
        raise ValidationError(
            "A consent request needs an outside referral with the prospect's email address."
        )
    if referral.consent in (Consent.CONFIRMED, Consent.DECLINED):
        raise ValidationError("The prospect has already answered.")
    now = timezone.now()
    refusal = consent_request_wait(referral, now=now)
    if refusal:
        raise ValidationError(refusal)
    referral.consent_requests.filter(closed_at__isnull=True).update(
        closed_at=now, outcome=ConsentRequest.Outcome.REPLACED
    )
    token = secrets.token_urlsafe(32)
    consent_request = ConsentRequest.objects.create(
        referral=referral,
        token_hash=_token_hash(token),
        sent_by=by.user,
        created_at=now,
        expires_at=now + timedelta(days=CONSENT_LINK_VALID_DAYS),
    )
    link = settings.SITE_URL + reverse("referral-consent", args=[token])
    context = {
        "referral": referral,
        "link": link,
        "org": settings.ORGANISATION_NAME,
        "expires_at": consent_request.expires_at,
        "giver": referral.giver.display_name,
        "receiver": referral.receiver.display_name,
        "receiver_business": referral.receiver.business_name or referral.receiver.user.business_name,
    }
    # An outbox row, written with the request: a task sends it, retries it, and the referral page
    # shows whether it went.
    email_queue(
        kind=OutboundEmail.Kind.CONSENT,
        to=referral.prospect_email,
        subject=f"{referral.giver.display_name} would like to put you in touch with "
        f"{referral.receiver.display_name}",
        body=render_to_string("referrals/emails/consent_request.txt", context),
        html=render_to_string("referrals/emails/consent_request.html", context),
        chapter=referral.chapter,
        consent_request=consent_request,
    )
    ReferralEvent.objects.create(
        referral=referral,
        action=ReferralEvent.Action.CONSENT,
        actor=by.user,
        note="Consent request queued to be emailed to the prospect",
    )
    return consent_request, link


def consent_request_for_token(token: str) -> ConsentRequest | None:
    """The consent request a link belongs to, if the link can still be used."""
    consent_request = (
        ConsentRequest.objects.select_related(
            "referral__chapter", "referral__giver__user", "referral__receiver__user"
        )
        .filter(token_hash=_token_hash(token), closed_at__isnull=True)
        .first()
    )
    if consent_request is None:
        return None
    # An unanswered link expires; a confirmed one keeps working so the prospect can always withdraw.
    if consent_request.answered_at is None and consent_request.is_expired:
        return None
    return consent_request


@transaction.atomic
def consent_answer(*, token: str, answer: str) -> ConsentRequest:
    """The prospect confirms, declines or withdraws through their link."""
    found = consent_request_for_token(token)
    if found is None:
        raise ValidationError("This link is no longer valid.")
    consent_request = ConsentRequest.objects.select_for_update().get(pk=found.pk)
    referral = _locked(consent_request.referral)
    now = timezone.now()
    if answer == "confirm":
        if consent_request.answered_at is not None:
            raise ValidationError("You have already confirmed.")
        consent_request.answered_at, consent_request.outcome = now, ConsentRequest.Outcome.CONFIRMED
        consent_request.save(update_fields=["answered_at", "outcome"])
        referral.consent = Consent.CONFIRMED
        referral.save(update_fields=["consent"])
        note, title = "The prospect confirmed they may be contacted", "The prospect confirmed the referral"
    elif answer in ("decline", "withdraw"):
        if answer == "withdraw" and consent_request.answered_at is None:
            answer = "decline"
        outcome = (
            ConsentRequest.Outcome.WITHDRAWN if answer == "withdraw" else ConsentRequest.Outcome.DECLINED
        )
        consent_request.answered_at = consent_request.answered_at or now
        consent_request.closed_at, consent_request.outcome = now, outcome
        consent_request.save(update_fields=["answered_at", "closed_at", "outcome"])
        referral.consent = Consent.DECLINED
        referral.save(update_fields=["consent"])
        verb = "withdrew their consent" if answer == "withdraw" else "declined to be contacted"
        _erase(referral=referral, actor=None, reason=f"The prospect {verb} through the consent link.")
        note, title = f"The prospect {verb}; their details were erased", f"The prospect {verb}"
    else:
        raise ValidationError("Unknown answer.")
    ReferralEvent.objects.create(referral=referral, action=ReferralEvent.Action.CONSENT, note=note)
    from enforcement.services import chapter_enforce_soon

    chapter_enforce_soon(chapter_id=referral.chapter_id)  # a consent-only quota may count it now (after commit)
    for membership in (referral.giver, referral.receiver):
        notification_send(
            user=membership.user,
            chapter=referral.chapter,
            kind=Notification.Kind.CONSENT_ANSWERED,
            title=f"{title} (referral #{referral.pk})",
            body="Do not contact the prospect." if answer != "confirm" else "",
            url=_url(referral),
            dedupe_key=f"consent:{consent_request.pk}:{answer}",
        )
    return consent_request


# Erasure --------------------------------------------------------------------------------------


def _erase(*, referral: Referral, actor, reason: str) -> None:
    before = {
        "prospect_name": bool(referral.prospect_name),
        "prospect_email": bool(referral.prospect_email),
        "prospect_phone": bool(referral.prospect_phone),
        "notes": bool(referral.notes),
    }  # whether data was held, never the data itself
    # The notes are the giver's free text about the prospect ("call her mobile after 5"): they go too.
    referral.prospect_name = referral.prospect_email = referral.prospect_phone = referral.notes = ""
    referral.prospect_erased_at = timezone.now()
    referral.save(
        update_fields=["prospect_name", "prospect_email", "prospect_phone", "notes", "prospect_erased_at"]
    )
    referral.consent_requests.filter(closed_at__isnull=True).update(
        closed_at=referral.prospect_erased_at, outcome=ConsentRequest.Outcome.ERASED
    )
    # The consent emails held the prospect's address and name: they go too (unsent ones are cancelled).
    emails_erase(emails=OutboundEmail.objects.filter(consent_request__referral=referral))
    ReferralEvent.objects.create(
        referral=referral, action=ReferralEvent.Action.ERASED, actor=actor, note=reason[:300]
    )
    audit_record(
        actor=actor,
        action="referral.prospect_erased",
        target=referral,
        chapter=referral.chapter,
        summary=f"Prospect data of referral #{referral.pk} erased",
        before=before,
        after={"prospect_erased_at": referral.prospect_erased_at},
        reason=reason,
    )


@transaction.atomic
def referral_prospect_erase(*, referral: Referral, access, reason: str, actor=None) -> Referral:
    """Leadership or an admin erases a prospect's name and contact on request; counts and values stay.

    `actor` is the person erasing: an admin or region staff has no seat to name them by, and an
    erasure must say who made it.
    """
    if not access.is_leadership:
        raise PermissionDenied("Only chapter leadership or an admin can erase a prospect's data.")
    if not reason.strip():
        raise ValidationError({"reason": "Say who asked for the erasure and how."})
    referral = _locked(referral)
    if referral.is_erased:
        raise ValidationError("This prospect's data is already erased.")
    if actor is None and access.membership is not None:
        actor = access.membership.user
    _erase(referral=referral, actor=actor, reason=reason.strip())
    return referral


def _erasure_access(access, reference: str) -> str:
    if not access.is_leadership:
        raise PermissionDenied("Only chapter leadership or an admin can handle an erasure request.")
    reference = reference.strip()
    if not reference:
        raise ValidationError({"reference": "Give the erasure request's reference."})
    return reference


@transaction.atomic
def erasure_request_count(*, chapter, contact: str, reference: str, access, actor) -> int:
    """How many of the chapter's referrals hold the contact an erasure request gave; the look-up is audited.

    Only the number comes back: the person handling the request (often an admin, who sees no
    prospects) learns nothing about who referred the prospect, to whom, or how it went.
    """
    reference = _erasure_access(access, reference)
    count = len(selectors.referrals_for_erasure_request(chapter=chapter, contact=contact))
    audit_record(
        actor=actor,
        action="referral.erasure_request_counted",
        target=chapter,
        chapter=chapter,
        summary=f"Erasure request: {count} referral{'s' if count != 1 else ''} hold the contact given",
        after={"referrals_matched": count},  # the contact itself is never kept
        reason=f"Erasure request {reference}",
    )
    return count


@transaction.atomic
def erasure_request_erase(*, chapter, contact: str, reference: str, access, actor) -> int:
    """Erase the prospect data of every referral of the chapter holding the contact; returns how many.

    Each referral's erasure is audited as one erased by hand is, with the request's reference as
    its reason, and one more event records the request as a whole.
    """
    reference = _erasure_access(access, reference)
    reason = f"Erasure request {reference}"
    erased = []
    for found in selectors.referrals_for_erasure_request(chapter=chapter, contact=contact):
        referral = _locked(found)
        if referral.is_erased:  # erased by someone else since it was found
            continue
        _erase(referral=referral, actor=actor, reason=reason)
        erased.append(referral.pk)
    audit_record(
        actor=actor,
        action="referral.erasure_request_erased",
        target=chapter,
        chapter=chapter,
        summary=f"Erasure request: prospect data of {len(erased)} referral{'s' if len(erased) != 1 else ''} erased",
        after={"referrals_erased": erased},
        reason=reason,
    )
    return len(erased)


# One-to-ones and education --------------------------------------------------------------------


@transaction.atomic
def one_to_one_record(
    *, chapter, by: Membership, other: Membership, met_on: date, notes: str = ""
) -> OneToOne:
    """Record a one-to-one with another member; it counts once they confirm."""
    if other.pk == by.pk:
        raise ValidationError({"other": "A one-to-one is with another member."})
    if other.chapter_id != chapter.pk or other.status not in Membership.SEATED_STATUSES:
        raise ValidationError({"other": "Choose an active member of this chapter."})
    if met_on > _local_today(chapter):
        raise ValidationError({"met_on": "The date cannot be in the future."})
    # The other member may have recorded the same meeting already: it counts once, so their record
    # stands, and recording it from this side is the confirmation it was waiting for.
    theirs = (
        OneToOne.objects.select_for_update()
        .filter(chapter=chapter, initiator=other, other=by, met_on=met_on)
        .exclude(status=OneToOne.Status.DECLINED)
        .first()
    )
    if theirs is not None:
        if theirs.status == OneToOne.Status.CONFIRMED:
            raise ValidationError(
                {"met_on": f"{other.display_name} already recorded this one-to-one and you confirmed it."}
            )
        return one_to_one_answer(one_to_one=theirs, by=by, confirm=True)
    try:
        with transaction.atomic():
            one = OneToOne.objects.create(
                chapter=chapter, initiator=by, other=other, met_on=met_on, notes=notes.strip()
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"met_on": "You already recorded a one-to-one with this member on that day."}
        ) from exc
    notification_send(
        user=other.user,
        chapter=chapter,
        kind=Notification.Kind.ONE_TO_ONE,
        title=f"{by.display_name} recorded a one-to-one with you on {met_on:%d %b %Y}",
        body="Confirm it so it counts for both of you.",
        url=reverse("referrals:one-to-ones", args=[chapter.slug]),
        dedupe_key=f"one-to-one:{one.pk}",
    )
    return one


@transaction.atomic
def one_to_one_answer(*, one_to_one: OneToOne, by: Membership, confirm: bool) -> OneToOne:
    """The other member confirms or declines a one-to-one recorded with them."""
    one = OneToOne.objects.select_for_update().get(pk=one_to_one.pk)
    if by.pk != one.other_id:
        raise PermissionDenied("Only the other member of the one-to-one can confirm it.")
    if one.status != OneToOne.Status.PENDING:
        raise ValidationError("This one-to-one has already been answered.")
    one.status = OneToOne.Status.CONFIRMED if confirm else OneToOne.Status.DECLINED
    one.answered_at = timezone.now()
    one.save(update_fields=["status", "answered_at"])
    return one


@transaction.atomic
def one_to_one_withdraw(*, one_to_one: OneToOne, by: Membership) -> None:
    """The initiator takes back a one-to-one recorded by mistake, while the other has not answered.

    It never counted (only a confirmed one does), so it goes; the other member's unread request
    to confirm it is marked read, and the dashboard's "to confirm" count drops with the record.
    """
    one = OneToOne.objects.select_for_update().get(pk=one_to_one.pk)
    if by.pk != one.initiator_id:
        raise PermissionDenied("Only the member who recorded this one-to-one can withdraw it.")
    if one.status != OneToOne.Status.PENDING:
        raise ValidationError(
            "This one-to-one has already been answered, so it can no longer be withdrawn."
        )
    if Notification.objects.filter(
        user_id=one.other.user_id, dedupe_key=f"one-to-one:{one.pk}", read_at__isnull=True
    ).update(read_at=timezone.now()):
        notifications_read.send(sender=Notification, user_ids=[one.other.user_id])
    one.delete()


def _check_education(*, chapter, completed_on: date, title: str, hours: Decimal) -> None:
    if completed_on > _local_today(chapter):
        raise ValidationError({"completed_on": "The date cannot be in the future."})
    if not Decimal("0.25") <= hours <= Decimal("40"):
        raise ValidationError({"hours": "Hours are between 0.25 and 40."})
    if not title.strip():
        raise ValidationError({"title": "What was the training?"})


def education_credit_record(
    *, chapter, by: Membership, completed_on: date, title: str, hours: Decimal
) -> EducationCredit:
    """Record training a member did."""
    _check_education(chapter=chapter, completed_on=completed_on, title=title, hours=hours)
    return EducationCredit.objects.create(
        chapter=chapter, membership=by, completed_on=completed_on, title=title.strip(), hours=hours
    )


def _own_credit(credit: EducationCredit, by: Membership) -> None:
    if by.pk != credit.membership_id:
        raise PermissionDenied("Only the member who recorded this education credit can change it.")


def education_credit_update(
    *, credit: EducationCredit, by: Membership, completed_on: date, title: str, hours: Decimal
) -> EducationCredit:
    """A member corrects an education credit of their own (like recording it, not audited)."""
    _own_credit(credit, by)
    _check_education(chapter=credit.chapter, completed_on=completed_on, title=title, hours=hours)
    credit.completed_on, credit.title, credit.hours = completed_on, title.strip(), hours
    credit.save(update_fields=["completed_on", "title", "hours"])
    return credit


def education_credit_delete(*, credit: EducationCredit, by: Membership) -> None:
    """A member deletes an education credit of their own recorded by mistake."""
    _own_credit(credit, by)
    credit.delete()
