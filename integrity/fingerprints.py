"""Keyed hashes of prospects' emails and phones: the same prospect found again without keeping a second copy.

The hash is an HMAC-SHA256 whose key is derived from SECRET_KEY (Django's `salted_hmac`, with a salt of its
own), so the stored value cannot be reversed or checked against a guessed address by anyone without the
key. Contacts are normalised first, so that the same person typed two ways still matches:

- email: trimmed, lower case, a "+tag" after the local part dropped (jo+quota@x.com is jo@x.com);
- phone: its digits only, and of them the last nine: "+44 7700 900123" and "07700 900123" are one number,
  as are "+33 6 12 34 56 78" and "06 12 34 56 78" (a national prefix and country code differ in front,
  never in the last nine digits). Fewer than seven digits is no usable number.

After SECRET_KEY changes, the fingerprints made with the old key are made again by the next check
(`key_id` tells them apart). An erased prospect's fingerprint is deleted with their data.
"""

from __future__ import annotations

import re

from django.db.models import Q
from django.utils.crypto import salted_hmac

from integrity.models import ProspectFingerprint
from referrals.models import Referral

SALT = "leadsgroups.integrity.prospect-fingerprint"
PHONE_DIGITS = 9
PHONE_MIN_DIGITS = 7


def _digest(value: str) -> str:
    return salted_hmac(SALT, value, algorithm="sha256").hexdigest()


def key_id() -> str:
    """A short name of the current key (not the key): fingerprints of another one are made again."""
    return _digest("key-id")[:16]


def email_normal(email: str) -> str:
    email = (email or "").strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or not domain:
        return ""
    return f"{local.split('+', 1)[0]}@{domain}"


def phone_normal(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return digits[-PHONE_DIGITS:] if len(digits) >= PHONE_MIN_DIGITS else ""


def email_hash(email: str) -> str:
    normal = email_normal(email)
    return _digest(f"email:{normal}") if normal else ""


def phone_hash(phone: str) -> str:
    normal = phone_normal(phone)
    return _digest(f"phone:{normal}") if normal else ""


def fingerprints_sync(*, chapter, since) -> int:
    """Make the missing (or old-key) fingerprints of the chapter's referrals given since `since`; drop erased ones.

    A fixed number of queries: one read, one upsert, one delete, whatever the number of referrals.
    """
    current = key_id()
    wanted = list(
        Referral.objects.filter(chapter=chapter, created_at__gte=since, prospect_erased_at__isnull=True)
        .exclude(prospect_email="", prospect_phone="")
        .exclude(fingerprint__key_id=current)
        .values_list("pk", "prospect_email", "prospect_phone")
    )
    rows = [
        ProspectFingerprint(referral_id=pk, email_hash=email_hash(email), phone_hash=phone_hash(phone), key_id=current)
        for pk, email, phone in wanted
    ]
    if rows:
        ProspectFingerprint.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["referral"], update_fields=["email_hash", "phone_hash", "key_id"],
        )
    ProspectFingerprint.objects.filter(referral__chapter=chapter).filter(
        Q(referral__prospect_erased_at__isnull=False) | Q(referral__prospect_email="", referral__prospect_phone="")
    ).delete()
    return len(rows)


def fingerprint_forget(sender, instance: Referral, **kwargs) -> None:
    """post_save of a referral: once its prospect is erased, their fingerprint goes at once, not at night."""
    if instance.prospect_erased_at is not None:
        ProspectFingerprint.objects.filter(referral_id=instance.pk).delete()
