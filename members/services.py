"""Writes about people and their seats: invitations, roles, statuses."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from leadsgroups.i18n import for_chapter, for_user
from members import notices
from members.audit import AuditText, Fields, Label, audit_record
from members.models import Invitation, Membership, Notification, OutboundEmail, Profile, User
from members.notice_texts import worded
from members.notifications import notification_send
from members.outbox import email_queue, emails_cancel, emails_retry


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def classification_is_free(*, chapter, classification, exclude_membership_id=None) -> bool:
    if classification is None:
        return True
    qs = Membership.objects.filter(
        chapter=chapter, classification=classification, status__in=Membership.SEATED_STATUSES
    )
    if exclude_membership_id:
        qs = qs.exclude(pk=exclude_membership_id)
    return not qs.exists()


@transaction.atomic
def invitation_create(*, chapter, email: str, full_name: str, role: str, classification, invited_by) -> tuple[Invitation, str]:
    """Invite an address into the chapter; returns the invitation and its one-time link."""
    email = email.strip().lower()
    if Membership.objects.filter(chapter=chapter, user__email__iexact=email, status__in=Membership.SEATED_STATUSES).exists():
        raise ValidationError({"email": _("This person is already a member of the chapter.")})
    if not classification_is_free(chapter=chapter, classification=classification):
        raise ValidationError({"classification": _("Another member already holds this classification in the chapter.")})
    now = timezone.now()
    unanswered = Invitation.objects.filter(chapter=chapter, accepted_at__isnull=True, revoked_at__isnull=True)
    if classification is not None:
        # Two open invitations for one classification: whoever accepts second would be refused.
        pending = unanswered.filter(classification=classification, expires_at__gt=now).exclude(email__iexact=email).first()
        if pending is not None:
            raise ValidationError({"classification": _(
                "The open invitation to %(email)s already offers this classification: "
                "withdraw it first, or choose another."
            ) % {"email": pending.email}})
    # An expired invitation is over; the one-open-invitation-per-address constraint only knows
    # accepted and withdrawn ones, so an expired one is closed here to let the address be invited again.
    unanswered.filter(email__iexact=email, expires_at__lte=now).update(revoked_at=now)
    # So is one whose email failed for good: the person never got the link, so inviting them
    # again replaces it (with a new link) instead of being refused as a duplicate.
    undelivered = unanswered.filter(email__iexact=email, emails__status=OutboundEmail.Status.FAILED).exclude(
        emails__status__in=[*OutboundEmail.PENDING, OutboundEmail.Status.SENT]
    )
    for old in Invitation.objects.filter(pk__in=set(undelivered.values_list("pk", flat=True))):
        Invitation.objects.filter(pk=old.pk).update(revoked_at=now)
        audit_record(actor=invited_by, action="invitation.revoked", target=old, chapter=chapter,
                     summary=AuditText(gettext_noop("Replaced the invitation of %(email)s: its email could not be "
                                                    "delivered"), email=old.email))
    token = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                chapter=chapter, email=email, full_name=full_name.strip(), role=role, classification=classification,
                token_hash=_token_hash(token), invited_by=invited_by,
                expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
            )
    except IntegrityError as exc:
        raise ValidationError({"email": _("This address already has an open invitation to the chapter.")}) from exc
    link = settings.SITE_URL + reverse("invitation-accept", args=[token])
    summary = AuditText(gettext_noop("Invited %(email)s as %(role)s"), email=email,
                        role=Label("members.invitation.role", invitation.role))
    audit_record(
        actor=invited_by, action="invitation.created", target=invitation, chapter=chapter, summary=summary,
        after={"email": email, "role": role, "classification": classification},
    )
    _invitation_email(invitation=invitation, link=link)
    return invitation, link


@transaction.atomic
def invitation_for_applicant(*, membership: Membership, by) -> tuple[Invitation, bool]:
    """Invite an applicant seated without a password (a converted visitor) to set one and see the chapter.

    Returns the invitation and whether a new one (and its email) was made: an open invitation of the
    address in the chapter already carries a link, so it is reused and nothing is sent twice.
    """
    chapter, email = membership.chapter, membership.user.email.strip().lower()
    now = timezone.now()
    unanswered = Invitation.objects.filter(chapter=chapter, email__iexact=email, accepted_at__isnull=True,
                                           revoked_at__isnull=True)
    open_one = unanswered.filter(expires_at__gt=now).first()
    if open_one is not None:
        return open_one, False
    unanswered.update(revoked_at=now)  # expired ones only: the one-open-per-address constraint knows no expiry
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        chapter=chapter, email=email, full_name=membership.user.full_name, role=Membership.Role.MEMBER,
        classification=membership.classification, token_hash=_token_hash(token), invited_by=by,
        expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    summary = AuditText(gettext_noop("Invited %(email)s to set a password after becoming an applicant"), email=email)
    audit_record(actor=by, action="invitation.created", target=invitation, chapter=chapter, summary=summary,
                 after={"email": email, "role": invitation.role, "classification": invitation.classification})
    _invitation_email(invitation=invitation, link=settings.SITE_URL + reverse("invitation-accept", args=[token]))
    return invitation, True


def _invitation_email(*, invitation: Invitation, link: str) -> None:
    """The invitation's email, as an outbox row written with the invitation; a task sends it.

    The invitee has no account yet, so no language of their own: it is in the chapter's.
    """
    from django.template.loader import render_to_string

    context = {"invitation": invitation, "link": link, "org": settings.ORGANISATION_NAME}
    with for_chapter(invitation.chapter):
        email_queue(
            kind=OutboundEmail.Kind.INVITATION,
            to=invitation.email,
            subject=_("You are invited to join %(chapter)s") % {"chapter": invitation.chapter},
            body=render_to_string("emails/invitation.txt", context),
            html=render_to_string("emails/invitation.html", context),
            chapter=invitation.chapter,
            invitation=invitation,
        )


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by) -> int:
    """Send an open invitation's failed email again (the same link); returns how many were queued."""
    if not invitation.is_open:
        raise ValidationError(_("This invitation has expired, was withdrawn or was already used."))
    failed = list(invitation.emails.filter(status=OutboundEmail.Status.FAILED).values_list("pk", flat=True))
    if not failed:
        raise ValidationError(_("Its email has not failed: it is queued or was sent."))
    queued = emails_retry(email_ids=failed)
    audit_record(actor=by, action="invitation.resent", target=invitation, chapter=invitation.chapter,
                 summary=AuditText(gettext_noop("Sent the invitation of %(email)s again after its email failed"),
                                   email=invitation.email))
    return queued


def invitation_for_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("chapter", "classification", "invited_by")
        .filter(token_hash=_token_hash(token))
        .first()
    )


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, user: User | None, full_name: str = "", password: str = "", language: str = "",
) -> Membership:
    """Turn an open invitation into a seat; creates the account when `user` is None.

    `language`: a new account's language, the one its invitation was read in (the chapter's, unless
    the person chose another on the page); the profile changes it.
    """
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise ValidationError(_("This invitation has expired, was withdrawn or was already used."))
    if user is None:
        existing = User.objects.filter(email__iexact=invitation.email).first()
        if existing is not None and existing.has_usable_password():
            raise ValidationError(_("An account with this email exists: sign in first, then open the link again."))
        if existing is not None:
            # An account made for them without a password (a visitor made an applicant): the link that
            # reached the address proves it theirs, as a password reset would, so they set its password.
            user = existing
            user.set_password(password)
            user.full_name = full_name or user.full_name
            if not user.language and language in dict(settings.LANGUAGES):
                user.language = language
            user.save(update_fields=["password", "full_name", "language"])
        else:
            user = User.objects.create_user(email=invitation.email, password=password, full_name=full_name,
                                            language=language if language in dict(settings.LANGUAGES) else "")
        _mark_email_verified(user)
    elif user.email.lower() != invitation.email.lower():
        raise ValidationError(_("This invitation is for %(invited)s; you are signed in as %(email)s.")
                              % {"invited": invitation.email, "email": user.email})
    if not classification_is_free(chapter=invitation.chapter, classification=invitation.classification):
        raise ValidationError(
            _("The classification of this invitation has been taken meanwhile; ask the chapter for a new one.")
        )
    membership = Membership.objects.filter(user=user, chapter=invitation.chapter).first()
    before = {"status": membership.status, "role": membership.role} if membership else {}
    if invitation.role == Membership.Role.PRESIDENT:
        _presidency_hand_over(chapter=invitation.chapter, to=membership, by=invitation.invited_by)
    if membership is None:
        membership = Membership(user=user, chapter=invitation.chapter)
    membership.role = invitation.role
    membership.status = Membership.Status.ACTIVE
    membership.classification = invitation.classification
    today = timezone.localdate(timezone=invitation.chapter.tz)  # dates of a seat are the chapter's dates
    membership.joined_on = today
    membership.renewal_due = today + timedelta(days=365)
    membership.left_on = None
    membership.save()
    invitation.accepted_at = timezone.now()
    invitation.membership = membership
    invitation.save(update_fields=["accepted_at", "membership"])
    audit_record(
        actor=user, action="membership.joined", target=membership, chapter=invitation.chapter,
        summary=AuditText(gettext_noop("%(member)s joined %(chapter)s by invitation"), member=user,
                          chapter=invitation.chapter),
        before=before, after={"status": membership.status, "role": membership.role,
                              "classification": membership.classification},
    )
    if invitation.invited_by:
        with for_user(invitation.invited_by):
            notification_send(
                user=invitation.invited_by, chapter=invitation.chapter, kind=Notification.Kind.INVITATION,
                **worded(notices.INVITATION_ACCEPTED, notices.invitation_accepted_params(invitation, user)),
                url=reverse("chapters:roster", args=[invitation.chapter.slug]),
            )
    return membership


def _presidency_hand_over(*, chapter, to: Membership | None, by) -> None:
    """A chapter has one president: the sitting one becomes a member when another is appointed."""
    sitting = (
        Membership.objects.select_for_update()
        .filter(chapter=chapter, role=Membership.Role.PRESIDENT, status__in=Membership.SEATED_STATUSES)
        .exclude(pk=getattr(to, "pk", None))
        .select_related("user")
    )
    for old in sitting:
        old.role = Membership.Role.MEMBER
        old.save(update_fields=["role"])
        audit_record(
            actor=by, action="membership.changed", target=old, chapter=chapter,
            summary=AuditText(gettext_noop("%(member)s: role: %(before)s → %(after)s (presidency handed over)"),
                              member=old.user, before=Label("members.membership.role", Membership.Role.PRESIDENT),
                              after=Label("members.membership.role", Membership.Role.MEMBER)),
            before={"role": Membership.Role.PRESIDENT}, after={"role": Membership.Role.MEMBER},
        )
        with for_user(old.user):
            notification_send(
                user=old.user, chapter=chapter, kind=Notification.Kind.MEMBERSHIP,
                **worded(notices.PRESIDENCY_HANDED_OVER, notices.presidency_handed_over_params(chapter)),
                url=reverse("chapters:home", args=[chapter.slug]),
            )


def _mark_email_verified(user: User) -> None:
    from allauth.account.models import EmailAddress

    # The invitation link reached this address, which proves it.
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by) -> None:
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(revoked_at=timezone.now())
    emails_cancel(emails=invitation.emails.all())  # a withdrawn invitation's email is not sent after all
    audit_record(actor=by, action="invitation.revoked", target=invitation, chapter=invitation.chapter,
                 summary=AuditText(gettext_noop("Withdrew the invitation of %(email)s"), email=invitation.email))


def _change_fact(key: str, value):
    """A role or status by its code (worded for each reader), a classification by its name as it was."""
    return Label(f"members.membership.{key}", value) if key in ("role", "status") else value


def _changes_told(before: dict, after: dict) -> str:
    """What changed, for the member, in the active language: "Role: Member → President"."""
    labels = {"role": _("Role"), "status": _("Status"), "classification": _("Classification")}

    def word(key, value):
        if value is None:
            return _("none")
        if key == "role":
            return str(Membership.Role(value).label)
        if key == "status":
            return str(Membership.Status(value).label)
        return str(value)

    return ", ".join(
        _("%(what)s: %(before)s → %(after)s") % {"what": labels[k], "before": word(k, before[k]),
                                                 "after": word(k, after[k])}
        for k in after if after[k] != before[k]
    )


@transaction.atomic
def membership_change(
    *, membership: Membership, by, role: str | None = None, status: str | None = None,
    classification=..., reason: str = "", notify: bool = True,
) -> Membership:
    """Change a seat's role, status or classification; a status change needs a reason.

    `notify=False` when the caller tells the member itself (an expulsion decision says more).
    """
    membership = Membership.objects.select_for_update().select_related("chapter", "user").get(pk=membership.pk)
    before = {"role": membership.role, "status": membership.status, "classification": membership.classification}
    classification_before, seated_before = membership.classification_id, membership.is_seated
    if status is not None and status != membership.status and not reason.strip():
        raise ValidationError({"reason": _("Say why the status changes; the member and the audit trail see it.")})
    if role is not None:
        if role == Membership.Role.PRESIDENT and membership.role != role:
            _presidency_hand_over(chapter=membership.chapter, to=membership, by=by)
        membership.role = role
    if status is not None and status != membership.status:
        membership.status = status
        membership.status_note = reason.strip()[:300]
        if status in (Membership.Status.EXPELLED, Membership.Status.RESIGNED):
            membership.left_on = timezone.localdate(timezone=membership.chapter.tz)
            membership.role = Membership.Role.MEMBER  # a departing officer's office falls vacant
    if classification is not ...:
        membership.classification = classification
    if membership.is_seated and not classification_is_free(
        chapter=membership.chapter, classification=membership.classification, exclude_membership_id=membership.pk
    ):
        raise ValidationError({"classification": _("Another member already holds this classification in the chapter.")})
    if membership.classification_id and (
        membership.classification_id != classification_before or (membership.is_seated and not seated_before)
    ):
        _refuse_reserved_classification(membership)  # given now: changed, or taken up with a seat
    membership.save()
    after = {"role": membership.role, "status": membership.status, "classification": membership.classification}
    if after != before:
        changed = [
            AuditText(gettext_noop("%(what)s: %(before)s → %(after)s"), what=Fields("members.membership", [k]),
                      before=_change_fact(k, before[k]), after=_change_fact(k, after[k]))
            for k in after if after[k] != before[k]
        ]
        audit_record(
            actor=by, action="membership.changed", target=membership, chapter=membership.chapter,
            summary=AuditText(gettext_noop("%(member)s: %(changes)s"), member=membership.user, changes=changed),
            before=before, after=after, reason=reason.strip(),
        )
        if notify:
            _membership_change_tell(membership=membership, before=before, after=after, reason=reason.strip())
    return membership


def _membership_change_tell(*, membership: Membership, before: dict, after: dict, reason: str) -> None:
    """The member's notice of a change to their seat, in their language."""
    with for_user(membership.user):
        notification_send(
            user=membership.user, chapter=membership.chapter, kind=Notification.Kind.MEMBERSHIP,
            **worded(notices.MEMBERSHIP_CHANGED, notices.membership_changed_params(membership, before, after, reason)),
            url=reverse("chapters:home", args=[membership.chapter.slug]),
        )


def _refuse_reserved_classification(membership: Membership) -> None:
    """A classification an open invitation offers someone else is not given away meanwhile."""
    from chapters.selectors import classification_reservation, classification_reserved_message

    pending = classification_reservation(
        chapter=membership.chapter, classification=membership.classification, except_email=membership.user.email
    )
    if pending is not None:
        raise ValidationError({"classification": classification_reserved_message(pending)})


@transaction.atomic
def user_profile_update(
    *, user: User, full_name: str, business_name: str, phone: str,
    directory: dict | None = None, language: str | None = None,
) -> User:
    """Save the person's account details; `directory` (see `profile_directory_update`) their directory card too.

    `language`: their pages' and emails' language ("" follows the browser); None leaves it as it is.
    """
    user.full_name = full_name.strip()
    user.business_name = business_name.strip()
    user.phone = phone.strip()
    fields = ["full_name", "business_name", "phone"]
    if language is not None:
        if language and language not in dict(settings.LANGUAGES):
            raise ValidationError(_("Unknown language: %(code)s.") % {"code": language})
        user.language = language
        fields.append("language")
    user.save(update_fields=fields)
    if directory is not None:
        profile_directory_update(user=user, **directory)
    return user


def profile_directory_update(
    *, user: User, website: str, ideal_referral: str, visibility: dict[str, str], photo=None,
    remove_photo: bool = False,
) -> Profile:
    """Save what the person's chapters see of them: website, ideal referral, each field's visibility, photo.

    `photo` is a file already checked and re-encoded (members.photos.photo_prepare); the one it replaces
    is deleted once the change is committed, so a rolled-back save never loses the photo shown.
    """
    profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
    profile.website = website.strip()
    profile.ideal_referral = ideal_referral.strip()
    for field in ("phone", "email", "website", "photo"):
        value = visibility.get(field, getattr(profile, f"{field}_visibility"))
        if value not in Profile.Visibility.values:
            raise ValidationError(_("Unknown visibility for %(field)s: “%(value)s”.") % {"field": field, "value": value})
        setattr(profile, f"{field}_visibility", value)
    old = profile.photo.name if profile.photo else ""
    if photo is not None:
        profile.photo.save(photo.name, photo, save=False)  # a fresh random name: old links stop matching
    elif remove_photo:
        profile.photo = ""
    profile.save()
    if old and old != (profile.photo.name or ""):
        storage = profile.photo.storage
        transaction.on_commit(lambda: storage.delete(old))
    return profile
