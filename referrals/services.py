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
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from leadsgroups.formats import format_number
from leadsgroups.i18n import for_chapter, for_user
from members.audit import AuditText, Label, audit_record
from members.models import Membership, Notification, OutboundEmail
from members.notice_texts import worded as _worded
from members.notifications import notification_send
from members.outbox import email_queue, emails_erase
from members.signals import notifications_read
from referrals import notices, selectors
from referrals.models import (
    MAX_CLOSED_VALUE,
    NOTE_CONFIRMED,
    NOTE_CONSENT_QUEUED,
    NOTE_DECLINED,
    NOTE_WITHDRAWN,
    REASON_DECLINED,
    REASON_WITHDRAWN,
    ConsentRequest,
    EducationCredit,
    OneToOne,
    Referral,
    ReferralEvent,
    ThankYou,
    erasure_request_note,
    status_phrase,
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
        raise ValidationError({"receiver": _("You cannot pass a referral to yourself.")})
    if receiver.chapter_id != chapter.pk:
        raise ValidationError({"receiver": _("The receiver must be a member of this chapter.")})
    if receiver.status == Membership.Status.ON_LEAVE:
        raise ValidationError({"receiver": _("The receiver is on leave: pass the referral when they are back.")})
    if receiver.status not in RECEIVING_STATUSES:
        raise ValidationError({"receiver": _("The receiver is no longer an active member of the chapter.")})


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
        raise PermissionDenied(_("Only a seated member of the chapter can give a referral in it."))
    _check_receiver(chapter=chapter, giver=giver, receiver=receiver)
    prospect_email = prospect_email.strip().lower()
    if kind == Referral.Kind.OUTSIDE:
        if not prospect_name.strip():
            raise ValidationError({"prospect_name": _("Who is the prospect?")})
        if not (prospect_email or prospect_phone.strip()):
            raise ValidationError(
                {"prospect_phone": _("Give a phone number or an email address for the prospect.")}
            )
    else:
        consent = Consent.STATED  # inside business: the giver is the customer and agrees by giving it
    if consent not in (Consent.STATED, Consent.NOT_ASKED):
        raise ValidationError({"consent": _("The giver can state consent or say it was not asked.")})
    if not 1 <= int(temperature) <= 5:
        raise ValidationError({"temperature": _("Temperature is 1 to 5.")})
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
    with for_user(receiver.user):  # the receiver's language, whatever the giver's
        notification_send(
            user=receiver.user,
            chapter=chapter,
            kind=Notification.Kind.REFERRAL_RECEIVED,
            **_worded(notices.RECEIVED, notices.received_params(referral)),
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
        raise PermissionDenied(_("Only the member who received this referral can change its status."))
    if to not in Status.values:
        raise ValidationError({"to": _("Unknown status.")})
    if referral.prospect_declined and to != Status.PROSPECT_DECLINED and referral.is_open:
        raise ValidationError({"to": _(
            "The prospect declined to be contacted, so this referral goes no further: "
            "it can only be closed (%(status)s)."
        ) % {"status": status_phrase(Status.PROSPECT_DECLINED)}})
    if to not in referral.next_statuses:
        allowed = ", ".join(status_phrase(s) for s in referral.next_statuses) or _("nothing (it is closed)")
        raise ValidationError(
            {
                "to": _("A referral that is %(status)s cannot become %(to)s; it can become: %(allowed)s.")
                % {"status": referral.status_phrase, "to": status_phrase(to), "allowed": allowed}
            }
        )
    old = referral.status
    if to == Status.DECLINED:
        reason = reason.strip()
        if not reason:
            raise ValidationError({"reason": _("Say why you decline this referral.")})
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
        with for_user(referral.giver.user):  # the giver's language, whatever the receiver's
            notification_send(
                user=referral.giver.user,
                chapter=referral.chapter,
                kind=Notification.Kind.REFERRAL_UPDATED,
                **_worded(notices.STATUS, notices.status_params(referral, to)),
                url=_url(referral),
                dedupe_key=f"referral-status:{referral.pk}:{to}",
            )
    return referral


def _quota_evidence_changed(*, referral: Referral, old: str) -> None:
    """Re-judge the chapter when the move changes whether the referral counts toward a quota.

    Only chapters whose quota counts referrals that reached a meeting (or were won), or weighs them by
    outcome, are affected;
    for the others a status change is no evidence, and marking them would have the sweep judge
    every chapter in full every day.
    """
    from enforcement.models import ChapterRules

    by_status = {ChapterRules.QuotaCounts.MEETING: (Status.MEETING, Status.WON), ChapterRules.QuotaCounts.WON: (Status.WON,)}
    from enforcement.evaluation import OUTCOME_WEIGHTS

    modes = set(
        ChapterRules.objects.filter(
            chapter_id=referral.chapter_id, quota_counts__in=[*by_status, ChapterRules.QuotaCounts.WEIGHTED]
        ).values_list("quota_counts", flat=True)
    )
    weighted = ChapterRules.QuotaCounts.WEIGHTED in modes
    modes.discard(ChapterRules.QuotaCounts.WEIGHTED)
    if any((old in by_status[mode]) != (referral.status in by_status[mode]) for mode in modes) or (
        weighted and OUTCOME_WEIGHTS.get(old) != OUTCOME_WEIGHTS.get(referral.status)
    ):
        from enforcement.services import chapter_enforce_soon

        chapter_enforce_soon(chapter_id=referral.chapter_id)


@transaction.atomic
def referral_rate(*, referral: Referral, by: Membership, rating: str, usefulness: int | None = None) -> Referral:
    """The receiver's judgement of a referral they acted on: a real lead, not a lead, or a duplicate,
    and optionally how useful (1–5). They may change it; each change is in the history and the audit
    trail, and a chapter whose quota weighs ratings is judged again (the fine follows the evidence)."""
    referral = _locked(referral)
    if by.pk != referral.receiver_id:
        raise PermissionDenied(_("Only the member who received this referral can rate it."))
    if not referral.can_be_rated:
        raise ValidationError({"rating": _("Rate a referral once you have contacted the prospect.")})
    if rating not in Referral.Rating.values:
        raise ValidationError({"rating": _("Choose whether it was a real lead, not a lead, or a duplicate.")})
    if usefulness is not None and usefulness not in Referral.USEFULNESS_CHOICES:
        raise ValidationError({"usefulness": _("Usefulness is from 1 to 5.")})
    before = {"rating": referral.rating, "usefulness": referral.usefulness}
    after = {"rating": rating, "usefulness": usefulness}
    if before == after:
        return referral
    referral.rating, referral.usefulness, referral.rated_at = rating, usefulness, timezone.now()
    referral.save(update_fields=["rating", "usefulness", "rated_at"])
    ReferralEvent.objects.create(
        referral=referral, action=ReferralEvent.Action.RATED, actor=by.user,
        note=f"{rating}:{usefulness or ''}".rstrip(":"),
    )
    audit_record(
        actor=by.user, action="referral.rated", target=referral, chapter=referral.chapter,
        summary=AuditText(gettext_noop("Referral #%(id)s rated %(rating)s, usefulness %(usefulness)s") if usefulness
                          else gettext_noop("Referral #%(id)s rated %(rating)s"), id=referral.pk,
                          rating=Label("referrals.referral.rating", rating), usefulness=usefulness),
        before=before, after=after,
    )
    _rating_evidence_changed(referral=referral, old=before["rating"])
    return referral


def _rating_evidence_changed(*, referral: Referral, old: str) -> None:
    """Re-judge the chapter when a rating changes what the referral is worth toward a weighted quota."""
    from enforcement.evaluation import WORTHLESS
    from enforcement.models import ChapterRules

    if (old in WORTHLESS) == (referral.rating in WORTHLESS):
        return  # a real lead rated again, or a duplicate called not a lead: worth the same
    weighted = ChapterRules.QuotaCounts.WEIGHTED
    if ChapterRules.objects.filter(chapter_id=referral.chapter_id, quota_counts=weighted).exists():
        from enforcement.services import chapter_enforce_soon

        chapter_enforce_soon(chapter_id=referral.chapter_id)


# What the giver is told when the receiver moves their referral on (won has its own thank-you).
# Whole sentences with the receiver's name in them: languages put the name and the verb in other orders.
STATUS_NEWS = {
    Status.ACCEPTED: gettext_lazy("%(name)s accepted your referral"),
    Status.CONTACTED: gettext_lazy("%(name)s contacted the prospect you referred"),
    Status.MEETING: gettext_lazy("%(name)s met the prospect you referred"),
    Status.LOST: gettext_lazy("%(name)s lost the business you referred"),
    Status.DECLINED: gettext_lazy("%(name)s declined your referral"),
    Status.PROSPECT_DECLINED: gettext_lazy(
        "%(name)s closed your referral: the prospect declined to be contacted"
    ),
}


def _check_won(*, referral: Referral, value, closed_on, business_type) -> None:
    errors = {}
    if value is None:
        errors["value"] = _("Enter the value of the business closed.")
    elif value < 0:
        errors["value"] = _("The value cannot be negative.")
    elif value > MAX_CLOSED_VALUE:
        errors["value"] = _("That is more than %(max)s: check the figure.") % {
            "max": format_number(MAX_CLOSED_VALUE, 0)
        }
    if closed_on is None:
        errors["closed_on"] = _("Enter the date the business closed.")
    elif closed_on > _local_today(referral.chapter):
        errors["closed_on"] = _("The date cannot be in the future.")
    elif closed_on < timezone.localtime(referral.created_at, referral.chapter.tz).date():
        errors["closed_on"] = _("The business cannot close before the referral was given.")
    if business_type not in Referral.BusinessType.values:
        errors["business_type"] = _("Say whether this is new or repeat business.")
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
    with for_user(referral.giver.user):  # the giver's language and money format, whatever the receiver's
        notification_send(
            user=referral.giver.user,
            chapter=referral.chapter,
            kind=Notification.Kind.THANK_YOU,
            **_worded(notices.THANK_YOU, notices.thank_you_params(referral, note)),
            url=_url(referral),
            dedupe_key=f"thank-you:{referral.pk}",
        )
    return thank_you


THANK_YOU_NEWS = {
    Referral.BusinessType.NEW: gettext_lazy("%(name)s closed new business worth %(value)s from your referral."),
    Referral.BusinessType.REPEAT: gettext_lazy(
        "%(name)s closed repeat business worth %(value)s from your referral."
    ),
}


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
            with for_user(referral.receiver.user):
                notification_send(
                    user=referral.receiver.user,
                    chapter=referral.chapter,
                    kind=Notification.Kind.STALE_REFERRAL,
                    **_worded(notices.STALE, notices.stale_params(referral)),
                    url=_url(referral),
                    dedupe_key=f"referral-stale:{pk}:{int(referral.stale_since.timestamp())}",
                )
    return marked


def stale_next_step(referral: Referral) -> str:
    """What the receiver can do with a stale referral, from where it stands (not a step it cannot take)."""
    if referral.prospect_declined:
        return _("The prospect declined to be contacted: close it (closed: prospect declined).")
    steps = {
        Status.GIVEN: gettext_lazy("Accept it, or decline it with a reason."),
        Status.ACCEPTED: gettext_lazy("Say you contacted the prospect, mark it lost, or decline it with a reason."),
        Status.CONTACTED: gettext_lazy("Say the meeting was held, record it won with its value, or mark it lost."),
        Status.MEETING: gettext_lazy("Record it won with its value, or mark it lost."),
    }
    return str(steps.get(referral.status, ""))


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
        return ngettext(
            "The prospect has been asked %(count)s time already; ask them in person instead.",
            "The prospect has been asked %(count)s times already; ask them in person instead.",
            len(sent),
        ) % {"count": len(sent)}
    if sent and sent[0] > now - CONSENT_REQUEST_INTERVAL:
        return _("The prospect was asked less than a day ago: give them time to answer.")
    return ""


@transaction.atomic
def consent_request_send(*, referral: Referral, by: Membership) -> tuple[ConsentRequest, str]:
    """Email the prospect a link to confirm or decline; returns the request and its link."""
    referral = _locked(referral)
    if by.pk != referral.giver_id:
        raise PermissionDenied(_("Only the giver can ask the prospect for consent."))
    if referral.kind != Referral.Kind.OUTSIDE or not referral.prospect_email or referral.is_erased:
        raise ValidationError(
            _("A consent request needs an outside referral with the prospect's email address.")
        )
    if referral.consent in (Consent.CONFIRMED, Consent.DECLINED):
        raise ValidationError(_("The prospect has already answered."))
    if not referral.is_open:
        raise ValidationError(_("The referral is closed: there is nothing left to ask the prospect."))
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
    with for_chapter(referral.chapter):
        _consent_email_queue(referral=referral, consent_request=consent_request, link=link)
    ReferralEvent.objects.create(
        referral=referral,
        action=ReferralEvent.Action.CONSENT,
        actor=by.user,
        note=NOTE_CONSENT_QUEUED,
    )
    return consent_request, link


def _consent_email_queue(*, referral: Referral, consent_request: ConsentRequest, link: str) -> None:
    """The prospect's email, in the language active (the chapter's: the prospect has no account).

    Its validity as consent rests on the prospect understanding it, so subject, text and HTML are all
    in that language, and its date in that locale and the chapter's timezone.
    """
    context = {
        "LANGUAGE_CODE": translation.get_language(),
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
        subject=_("%(giver)s would like to put you in touch with %(receiver)s")
        % {"giver": referral.giver.display_name, "receiver": referral.receiver.display_name},
        body=render_to_string("referrals/emails/consent_request.txt", context),
        html=render_to_string("referrals/emails/consent_request.html", context),
        chapter=referral.chapter,
        consent_request=consent_request,
    )


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


def consent_chapter_for_token(token: str):
    """The chapter a consent link was sent for, whatever became of the link (None if it never existed).

    Only to speak the chapter's language when the link no longer works; it shows nothing else.
    """
    found = ConsentRequest.objects.select_related("referral__chapter").filter(token_hash=_token_hash(token)).first()
    return found.referral.chapter if found is not None else None


@transaction.atomic
def consent_answer(*, token: str, answer: str) -> ConsentRequest:
    """The prospect confirms, declines or withdraws through their link."""
    found = consent_request_for_token(token)
    if found is None:
        raise ValidationError(_("This link is no longer valid."))
    consent_request = ConsentRequest.objects.select_for_update().get(pk=found.pk)
    referral = _locked(consent_request.referral)
    now = timezone.now()
    if answer == "confirm":
        if consent_request.answered_at is not None:
            raise ValidationError(_("You have already confirmed."))
        consent_request.answered_at, consent_request.outcome = now, ConsentRequest.Outcome.CONFIRMED
        consent_request.save(update_fields=["answered_at", "outcome"])
        referral.consent = Consent.CONFIRMED
        referral.save(update_fields=["consent"])
        note = NOTE_CONFIRMED
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
        withdrew = answer == "withdraw"
        _erase(referral=referral, actor=None, reason=REASON_WITHDRAWN if withdrew else REASON_DECLINED)
        note = NOTE_WITHDRAWN if withdrew else NOTE_DECLINED
    else:
        raise ValidationError(_("Unknown answer."))
    ReferralEvent.objects.create(referral=referral, action=ReferralEvent.Action.CONSENT, note=note)
    from enforcement.services import chapter_enforce_soon

    chapter_enforce_soon(chapter_id=referral.chapter_id)  # a consent-only quota may count it now (after commit)
    for membership in (referral.giver, referral.receiver):
        with for_user(membership.user):  # each in their own language (the prospect's page is the chapter's)
            notification_send(
                user=membership.user,
                chapter=referral.chapter,
                kind=Notification.Kind.CONSENT_ANSWERED,
                **_worded(notices.CONSENT, notices.consent_params(referral, answer)),
                url=_url(referral),
                dedupe_key=f"consent:{consent_request.pk}:{answer}",
            )
    return consent_request


CONSENT_NEWS = {
    "confirm": gettext_lazy("The prospect confirmed the referral (referral #%(id)s)"),
    "decline": gettext_lazy("The prospect declined to be contacted (referral #%(id)s)"),
    "withdraw": gettext_lazy("The prospect withdrew their consent (referral #%(id)s)"),
}


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
        summary=AuditText(gettext_noop("Prospect data of referral #%(id)s erased"), id=referral.pk),
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
        raise PermissionDenied(_("Only chapter leadership or an admin can erase a prospect's data."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say who asked for the erasure and how.")})
    referral = _locked(referral)
    if referral.is_erased:
        raise ValidationError(_("This prospect's data is already erased."))
    if actor is None and access.membership is not None:
        actor = access.membership.user
    _erase(referral=referral, actor=actor, reason=reason.strip())
    return referral


def _erasure_access(access, reference: str) -> str:
    if not access.is_leadership:
        raise PermissionDenied(_("Only chapter leadership or an admin can handle an erasure request."))
    reference = reference.strip()
    if not reference:
        raise ValidationError({"reference": _("Give the erasure request's reference.")})
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
        summary=AuditText(gettext_noop("Erasure request: referrals holding the contact given: %(count)s"), count=count),
        after={"referrals_matched": count},  # the contact itself is never kept
        reason=erasure_request_note(reference),
    )
    return count


@transaction.atomic
def erasure_request_erase(*, chapter, contact: str, reference: str, access, actor) -> int:
    """Erase the prospect data of every referral of the chapter holding the contact; returns how many.

    Each referral's erasure is audited as one erased by hand is, with the request's reference as
    its reason, and one more event records the request as a whole.
    """
    reference = _erasure_access(access, reference)
    reason = erasure_request_note(reference)
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
        summary=AuditText(gettext_noop("Erasure request: referrals whose prospect data was erased: %(count)s"),
                          count=len(erased)),
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
        raise ValidationError({"other": _("A one-to-one is with another member.")})
    if other.chapter_id != chapter.pk or other.status not in Membership.SEATED_STATUSES:
        raise ValidationError({"other": _("Choose an active member of this chapter.")})
    if met_on > _local_today(chapter):
        raise ValidationError({"met_on": _("The date cannot be in the future.")})
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
                {"met_on": _("%(name)s already recorded this one-to-one and you confirmed it.")
                 % {"name": other.display_name}}
            )
        return one_to_one_answer(one_to_one=theirs, by=by, confirm=True)
    try:
        with transaction.atomic():
            one = OneToOne.objects.create(
                chapter=chapter, initiator=by, other=other, met_on=met_on, notes=notes.strip()
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"met_on": _("You already recorded a one-to-one with this member on that day.")}
        ) from exc
    with for_user(other.user):  # the other member's language and date format
        notification_send(
            user=other.user,
            chapter=chapter,
            kind=Notification.Kind.ONE_TO_ONE,
            **_worded(notices.ONE_TO_ONE, notices.one_to_one_params(one, by.display_name)),
            url=reverse("referrals:one-to-ones", args=[chapter.slug]),
            dedupe_key=f"one-to-one:{one.pk}",
        )
    return one


@transaction.atomic
def one_to_one_answer(*, one_to_one: OneToOne, by: Membership, confirm: bool) -> OneToOne:
    """The other member confirms or declines a one-to-one recorded with them."""
    one = OneToOne.objects.select_for_update().get(pk=one_to_one.pk)
    if by.pk != one.other_id:
        raise PermissionDenied(_("Only the other member of the one-to-one can confirm it."))
    if one.status != OneToOne.Status.PENDING:
        raise ValidationError(_("This one-to-one has already been answered."))
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
        raise PermissionDenied(_("Only the member who recorded this one-to-one can withdraw it."))
    if one.status != OneToOne.Status.PENDING:
        raise ValidationError(
            _("This one-to-one has already been answered, so it can no longer be withdrawn.")
        )
    if Notification.objects.filter(
        user_id=one.other.user_id, dedupe_key=f"one-to-one:{one.pk}", read_at__isnull=True
    ).update(read_at=timezone.now()):
        notifications_read.send(sender=Notification, user_ids=[one.other.user_id])
    one.delete()


def _check_education(*, chapter, completed_on: date, title: str, hours: Decimal) -> None:
    if completed_on > _local_today(chapter):
        raise ValidationError({"completed_on": _("The date cannot be in the future.")})
    if not Decimal("0.25") <= hours <= Decimal("40"):
        raise ValidationError({"hours": _("Hours are between %(min)s and %(max)s.") % {
            "min": format_number(Decimal("0.25")), "max": format_number(40)}})
    if not title.strip():
        raise ValidationError({"title": _("What was the training?")})


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
        raise PermissionDenied(_("Only the member who recorded this education credit can change it."))


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
