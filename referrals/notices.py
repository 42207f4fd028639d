"""Referral notices as data, and their words in the reader's language (registered in members/notice_texts.py).

Each notice keeps its facts (ids, names as they were, ISO dates, amounts and currency, status codes)
so that it reads in whichever language its reader uses when it is opened.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from leadsgroups.formats import format_date, format_money
from referrals.models import Referral

RECEIVED = "referrals.received"
STATUS = "referrals.status"
THANK_YOU = "referrals.thank_you"
STALE = "referrals.stale"
CONSENT = "referrals.consent"
ONE_TO_ONE = "referrals.one_to_one"


def received_params(referral: Referral) -> dict:
    return {"referral": referral.pk, "giver": referral.giver.display_name, "kind": referral.kind,
            "temperature": referral.temperature}


def received_text(p: dict) -> tuple[str, str]:
    kind = dict(Referral.Kind.choices).get(p["kind"], p["kind"])
    return (_("%(name)s passed you a referral") % {"name": p["giver"]},
            _("%(kind)s, temperature %(temperature)s/5. Accept or decline it.")
            % {"kind": kind, "temperature": p["temperature"]})


def status_params(referral: Referral, to: str) -> dict:
    return {"referral": referral.pk, "receiver": referral.receiver.display_name, "status": to,
            "reason": referral.decline_reason if to == Referral.Status.DECLINED else ""}


def status_text(p: dict) -> tuple[str, str]:
    from referrals.services import STATUS_NEWS

    body = _("Reason: %(reason)s") % {"reason": p["reason"]} if p["status"] == Referral.Status.DECLINED else ""
    return STATUS_NEWS[p["status"]] % {"name": p["receiver"]}, body


def thank_you_params(referral: Referral, note: str) -> dict:
    return {"referral": referral.pk, "receiver": referral.receiver.display_name,
            "value": str(referral.closed_value), "currency": referral.chapter.currency,
            "business_type": referral.business_type, "note": note}


def thank_you_text(p: dict) -> tuple[str, str]:
    from referrals.services import THANK_YOU_NEWS

    value = format_money(Decimal(p["value"]), p["currency"])
    said = THANK_YOU_NEWS[p["business_type"]] % {"name": p["receiver"], "value": value}
    note = p.get("note")
    title = _("Thank you for closed business: %(value)s") % {"value": value}
    if "note" not in p:  # told before notices were data: the member's note is in the stored words only
        return title, None
    return (title,
            said + (" " + _("“%(note)s”") % {"note": note} if note else ""))


def stale_params(referral: Referral) -> dict:
    return {"referral": referral.pk, "giver": referral.giver.display_name, "status": referral.status,
            "prospect_declined": bool(referral.prospect_declined), "days": settings.STALE_REFERRAL_DAYS}


def stale_text(p: dict) -> tuple[str, str]:
    from referrals.services import stale_next_step

    title = _("Referral #%(id)s from %(name)s is waiting for an update") % {"id": p["referral"], "name": p["giver"]}
    if "status" not in p:  # told before notices were data: where it stood then is in the stored words only
        return title, None
    status = dict(Referral.Status.choices).get(p["status"], p["status"])
    still = ngettext(
        "No update for %(days)s day: it is still “%(status)s”.",
        "No update for %(days)s days: it is still “%(status)s”.",
        p["days"],
    ) % {"days": p["days"], "status": status}
    step = stale_next_step(SimpleNamespace(prospect_declined=p["prospect_declined"], status=p["status"]))
    return title, f"{still} {step}"


def consent_params(referral: Referral, answer: str) -> dict:
    return {"referral": referral.pk, "answer": answer}


def consent_text(p: dict) -> tuple[str, str]:
    from referrals.services import CONSENT_NEWS

    return (CONSENT_NEWS[p["answer"]] % {"id": p["referral"]},
            _("Do not contact the prospect.") if p["answer"] != "confirm" else "")


def one_to_one_params(one, by_name: str) -> dict:
    return {"one_to_one": one.pk, "name": by_name, "met_on": one.met_on.isoformat()}


def one_to_one_text(p: dict) -> tuple[str, str]:
    return (_("%(name)s recorded a one-to-one with you on %(date)s")
            % {"name": p["name"], "date": format_date(date.fromisoformat(p["met_on"]))},
            _("Confirm it so it counts for both of you."))
