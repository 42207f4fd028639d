"""A person's own data: everything the app holds about them, as one JSON document they download.

Their account, directory card, seats, marks, referrals given and received (with the prospect's
details, which they may see as giver or receiver), thank-yous, one-to-ones, education, testimonials,
presentations, leave, fines, cases, notifications, the emails sent to them, invitations to their
address, audit events they made or that are about them, and their API tokens' metadata (never a
token's secret or hash). One query per kind of record, whatever their number; secrets (password
hash, calendar token, invitation and consent tokens) are left out.
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone

from chapters.models import RegionStaff
from enforcement.models import ExpulsionCase, Fine, Leave
from meetings.models import Attendance, CalendarFeed, Presentation, Testimonial
from members.models import AuditEvent, Invitation, Membership, Notification, OutboundEmail, Profile
from portability.api_tokens import tokens_of
from referrals.models import EducationCredit, OneToOne, Referral, ThankYou

FORMAT = "leadsgroups-personal-data"
VERSION = 1


def _chapter(obj) -> dict:
    return {"slug": obj.chapter.slug, "name": obj.chapter.name}


def _account(user) -> dict:
    from allauth.account.models import EmailAddress

    return {
        "id": user.pk, "email": user.email, "full_name": user.full_name, "business_name": user.business_name,
        "phone": user.phone, "language": user.language, "date_joined": user.date_joined,
        "last_login": user.last_login, "notification_delivery": user.notification_delivery,
        "is_org_admin": user.is_org_admin, "is_staff": user.is_staff,
        "email_addresses": list(EmailAddress.objects.filter(user=user).values("email", "verified", "primary")),
        "region_staff_of": list(RegionStaff.objects.filter(user=user).values_list("region__name", flat=True)),
        "calendar_feed_since": CalendarFeed.objects.filter(user=user).values_list("created_at", flat=True).first(),
    }


def _profile(user) -> dict | None:
    profile = Profile.objects.filter(user=user).first()
    if profile is None:
        return None
    return {
        "website": profile.website, "ideal_referral": profile.ideal_referral, "has_photo": bool(profile.photo),
        "phone_visibility": profile.phone_visibility, "email_visibility": profile.email_visibility,
        "website_visibility": profile.website_visibility, "photo_visibility": profile.photo_visibility,
        "updated_at": profile.updated_at,
    }


def _memberships(seats) -> list[dict]:
    return [{
        "membership_id": m.pk, "chapter": _chapter(m), "role": m.role, "status": m.status,
        "classification": m.classification.name if m.classification else "", "business_name": m.business_name,
        "joined_on": m.joined_on, "renewal_due": m.renewal_due, "left_on": m.left_on, "status_note": m.status_note,
    } for m in seats]


def _referral(r: Referral) -> dict:
    return {
        "referral_id": r.pk, "chapter": _chapter(r), "created_at": r.created_at,
        "giver": r.giver.display_name, "receiver": r.receiver.display_name, "kind": r.kind, "status": r.status,
        "temperature": r.temperature, "consent": r.consent, "prospect_name": r.prospect_name,
        "prospect_email": r.prospect_email, "prospect_phone": r.prospect_phone, "prospect_erased_at": r.prospect_erased_at,
        "notes": r.notes, "closed_value": r.closed_value, "closed_on": r.closed_on, "business_type": r.business_type,
        "decline_reason": r.decline_reason,
    }


def _referrals(ids) -> dict:
    qs = Referral.objects.select_related("chapter", "giver__user", "receiver__user").order_by("created_at", "pk")
    return {
        "given": [_referral(r) for r in qs.filter(giver__in=ids)],
        "received": [_referral(r) for r in qs.filter(receiver__in=ids)],
    }


def _activity(ids) -> dict:
    """Marks, slips and meetings' parts, each kind in one query."""
    return {
        "attendance": list(Attendance.objects.filter(membership__in=ids).order_by("meeting__starts_at").values(
            "meeting_id", "meeting__chapter__slug", "meeting__local_date", "status", "substitute_name",
            "substitute_business", "recorded_at")),
        "thank_yous": list(ThankYou.objects.filter(Q(giver__in=ids) | Q(receiver__in=ids)).order_by("closed_on").values(
            "pk", "referral_id", "chapter__slug", "giver_id", "receiver_id", "value", "closed_on", "business_type")),
        "one_to_ones": [{
            "one_to_one_id": o.pk, "chapter": _chapter(o), "met_on": o.met_on, "initiator": o.initiator.display_name,
            "other": o.other.display_name, "status": o.status, "notes": o.notes, "answered_at": o.answered_at,
        } for o in OneToOne.objects.filter(Q(initiator__in=ids) | Q(other__in=ids))
            .select_related("chapter", "initiator__user", "other__user").order_by("met_on", "pk")],
        "education_credits": list(EducationCredit.objects.filter(membership__in=ids).order_by("completed_on").values(
            "pk", "chapter__slug", "completed_on", "title", "hours")),
        "testimonials": [{
            "meeting_id": t.meeting_id, "date": t.meeting.local_date, "given_by": t.given_by.display_name,
            "about": t.about.display_name, "text": t.text,
        } for t in Testimonial.objects.filter(Q(given_by__in=ids) | Q(about__in=ids))
            .select_related("meeting", "given_by__user", "about__user").order_by("meeting__starts_at", "pk")],
        "presentations": list(Presentation.objects.filter(presenter__in=ids).order_by("meeting__starts_at").values(
            "meeting_id", "meeting__local_date", "kind", "topic")),
        "leave": list(Leave.objects.filter(membership__in=ids).order_by("starts_on").values(
            "pk", "chapter__slug", "starts_on", "ends_on", "reason")),
    }


def _enforcement(ids) -> dict:
    return {
        "fines": list(Fine.objects.filter(membership__in=ids).order_by("period_start", "pk").values(
            "pk", "chapter__slug", "kind", "period_start", "period_end", "meeting_id", "amount", "currency", "status",
            "explanation", "evidence", "created_at", "resolved_at", "resolution_reason", "withdrawn_at",
            "withdrawn_reason", "refund_decision", "refund_decision_reason")),
        "cases": list(ExpulsionCase.objects.filter(membership__in=ids).order_by("opened_at", "pk").values(
            "pk", "chapter__slug", "status", "opened_at", "explanation", "evidence", "appeal_deadline", "appeal_text",
            "appealed_at", "decision", "decision_reason", "decided_at", "probation_until", "probation_conditions")),
    }


def _audit(user, ids) -> list[dict]:
    """Audit events the person made, and those about their account, seats, fines and cases."""
    about = (
        Q(actor=user)
        | Q(target_type="members.user", target_id=str(user.pk))
        | Q(target_type="members.membership", target_id__in=[str(i) for i in ids])
        | Q(target_type="enforcement.fine", target_id__in=[str(i) for i in Fine.objects.filter(membership__in=ids)
                                                            .values_list("pk", flat=True)])
        | Q(target_type="enforcement.expulsioncase",
            target_id__in=[str(i) for i in ExpulsionCase.objects.filter(membership__in=ids).values_list("pk", flat=True)])
    )
    return [{
        "created_at": e.created_at, "chapter": e.chapter.slug if e.chapter else None, "action": e.action,
        "actor": e.actor_label, "summary": e.summary,
        # the words as written (site's language), and the key and facts the pages word in the reader's language
        "summary_key": e.summary_key, "summary_params": e.summary_params,
        "before": e.before, "after": e.after, "reason": e.reason,
    } for e in AuditEvent.objects.filter(about).select_related("chapter").order_by("created_at", "pk")]


def personal_data(user) -> dict:
    """Everything the app holds about `user`, ready for JSON."""
    seats = list(Membership.objects.filter(user=user).select_related("chapter", "classification").order_by("pk"))
    ids = [m.pk for m in seats]
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now(),
        "account": _account(user),
        "profile": _profile(user),
        "memberships": _memberships(seats),
        "referrals": _referrals(ids),
        **_activity(ids),
        **_enforcement(ids),
        "notifications": list(Notification.objects.filter(user=user).order_by("created_at", "pk").values(
            "chapter__slug", "kind", "title", "body", "url", "created_at", "read_at", "email_sent_at")),
        "emails": list(OutboundEmail.objects.filter(to__iexact=user.email).order_by("created_at", "pk").values(
            "kind", "subject", "body", "status", "created_at", "sent_at")),
        "invitations": list(Invitation.objects.filter(email__iexact=user.email).order_by("created_at").values(
            "chapter__slug", "role", "classification__name", "created_at", "expires_at", "accepted_at", "revoked_at")),
        "audit_events": _audit(user, ids),
        "api_tokens": tokens_of(user),
    }


def personal_data_json(user) -> str:
    return json.dumps(personal_data(user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
