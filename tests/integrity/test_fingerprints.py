"""Prospects compared by a keyed hash: the same contact typed two ways matches, the clear value is never stored
for the check, another key makes other hashes (remade by the next check), and an erased prospect keeps none."""

import pytest
from django.test import override_settings

from integrity import fingerprints
from integrity.models import IntegrityFlag, ProspectFingerprint
from integrity.services import chapter_integrity_check
from referrals.services import referral_prospect_erase

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("one,other", [
    ("rose@example.com", " Rose@EXAMPLE.com "),
    ("rose@example.com", "rose+quota@example.com"),
])
def test_the_same_email_typed_two_ways_has_one_hash(one, other):
    assert fingerprints.email_hash(one) == fingerprints.email_hash(other) != ""


@pytest.mark.parametrize("one,other", [
    ("07700 900555", "+44 7700 900555"),
    ("+44 (0)7700 900555", "07700-900-555"),
    ("06 12 34 56 78", "+33 6 12 34 56 78"),
    ("(415) 555-0100", "+1 415 555 0100"),
])
def test_the_same_phone_typed_two_ways_has_one_hash(one, other):
    assert fingerprints.phone_hash(one) == fingerprints.phone_hash(other) != ""


def test_different_contacts_and_unusable_ones():
    assert fingerprints.email_hash("sam@acme.example") != fingerprints.email_hash("sam@acme-ltd.example")
    assert fingerprints.phone_hash("07700 900555") != fingerprints.phone_hash("07700 900556")
    assert fingerprints.email_hash("not an address") == fingerprints.phone_hash("12 34") == ""


def test_a_hash_and_the_key_id_depend_on_the_secret_key():
    first, first_key = fingerprints.email_hash("rose@example.com"), fingerprints.key_id()
    with override_settings(SECRET_KEY="another-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"):
        assert fingerprints.email_hash("rose@example.com") != first
        assert fingerprints.key_id() != first_key


def test_the_check_stores_hashes_never_the_contact(activity):
    referral = activity.referral("Hal", "Ivy", email="rose@example.com", phone="07700 900555")
    chapter_integrity_check(chapter=activity.chapter)
    row = ProspectFingerprint.objects.get(referral=referral)
    stored = " ".join(str(v) for v in ProspectFingerprint.objects.filter(pk=row.pk).values_list(
        "email_hash", "phone_hash", "key_id").get())
    assert "rose" not in stored and "900555" not in stored and "example" not in stored
    assert len(row.email_hash) == len(row.phone_hash) == 64


def test_fingerprints_of_another_key_are_made_again(activity):
    referral = activity.referral("Hal", "Ivy", email="rose@example.com", phone="")
    chapter_integrity_check(chapter=activity.chapter)
    old = ProspectFingerprint.objects.get(referral=referral)
    with override_settings(SECRET_KEY="another-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"):
        chapter_integrity_check(chapter=activity.chapter)
        new = ProspectFingerprint.objects.get(referral=referral)
        assert (new.key_id, new.email_hash) == (fingerprints.key_id(), fingerprints.email_hash("rose@example.com"))
    assert (new.key_id, new.email_hash) != (old.key_id, old.email_hash)


def test_an_erased_prospect_loses_the_fingerprint_at_once_and_the_flag_closes(activity, overseer):
    first = activity.referral("Hal", "Ivy", email="rose@example.com", phone="")
    activity.referral("Hal", "Ivy", days=20, email="rose@example.com", phone="")
    chapter_integrity_check(chapter=activity.chapter)
    assert IntegrityFlag.objects.get(chapter=activity.chapter, kind="repeat_prospect").status == "open"
    referral_prospect_erase(referral=first, access=overseer.access(activity.chapter), reason="Asked by phone.",
                            actor=overseer.user)
    assert not ProspectFingerprint.objects.filter(referral=first).exists()
    chapter_integrity_check(chapter=activity.chapter)
    assert IntegrityFlag.objects.get(chapter=activity.chapter, kind="repeat_prospect").status == "closed"
    assert ProspectFingerprint.objects.filter(referral__chapter=activity.chapter).count() == 1
