"""Each pattern found, and its near miss not: the flags of a built chapter against a list written by hand."""

from decimal import Decimal

import pytest

from integrity.models import IntegrityFlag, IntegrityRules
from integrity.services import chapter_integrity_check
from tests.integrity.patterns import EXPECTED, flags_as_names

pytestmark = pytest.mark.django_db


def _flag(chapter, kind, **figures):
    flags = [f for f in IntegrityFlag.objects.filter(chapter=chapter, kind=kind)
             if all(f.figures.get(k) == v for k, v in figures.items())]
    assert len(flags) == 1, [f.figures for f in IntegrityFlag.objects.filter(chapter=chapter, kind=kind)]
    return flags[0]


def test_the_flags_of_the_pattern_chapter_are_the_hand_list(pattern_chapter):
    chapter_integrity_check(chapter=pattern_chapter.chapter)
    assert flags_as_names(pattern_chapter.chapter) == EXPECTED


def test_a_ring_pair_carries_each_ones_share_and_the_referrals_between_them(pattern_chapter):
    a = pattern_chapter
    chapter_integrity_check(chapter=a.chapter)
    ann, ben = a.member("Ann Ring"), a.member("Ben Ring")
    flag = IntegrityFlag.objects.get(chapter=a.chapter, kind="ring", key=f"{min(ann.pk, ben.pk)}-{max(ann.pk, ben.pk)}")
    by_member = {m["id"]: (m["inside"], m["given"]) for m in flag.figures["members"]}
    assert by_member == {ann.pk: (4, 5), ben.pk: (3, 4)}
    assert flag.figures["total"] == 7
    passed = {(r.giver_id, r.receiver_id) for r in (e.referral for e in flag.evidence.select_related("referral"))}
    assert passed == {(ann.pk, ben.pk), (ben.pk, ann.pk)}
    assert flag.evidence.count() == 7


def test_a_ring_of_three_is_found_with_what_each_gave_inside(pattern_chapter):
    a = pattern_chapter
    chapter_integrity_check(chapter=a.chapter)
    cat, dan, eve = a.people("Cat Three", "Dan Three", "Eve Three")
    flag = IntegrityFlag.objects.get(chapter=a.chapter, kind="ring", key="-".join(str(m.pk) for m in (cat, dan, eve)))
    assert {m["id"]: (m["inside"], m["given"]) for m in flag.figures["members"]} == {
        cat.pk: (3, 3), dan.pk: (2, 2), eve.pk: (2, 2),
    }


def test_the_same_prospect_is_matched_by_email_typed_two_ways_and_by_phone(pattern_chapter):
    a = pattern_chapter
    chapter_integrity_check(chapter=a.chapter)
    flag = _flag(a.chapter, "repeat_prospect", giver=a.member("Hal Repeat").pk)
    assert flag.figures["count"] == 3
    assert flag.figures["by"] == ["email", "phone"]


def test_tyfcb_closed_before_or_right_after_its_referral(pattern_chapter):
    a = pattern_chapter
    chapter_integrity_check(chapter=a.chapter)
    flag = _flag(a.chapter, "tyfcb_unearned", giver=a.member("Kim Giver").pk)
    assert (flag.figures["count"], flag.figures["before"]) == (2, 1)
    rows = flag.evidence.all()
    assert sum(1 for r in rows if r.thank_you_id) == 2 and sum(1 for r in rows if r.referral_id) == 2


def test_round_and_repeated_amounts(pattern_chapter):
    a = pattern_chapter
    chapter_integrity_check(chapter=a.chapter)
    round_flag = _flag(a.chapter, "tyfcb_round", receiver=a.member("Oli Round").pk)
    assert (round_flag.figures["round"], round_flag.figures["recorded"]) == (3, 3)
    repeated = _flag(a.chapter, "tyfcb_repeated", receiver=a.member("Quin Same").pk)
    assert (repeated.figures["value"], repeated.figures["count"]) == ("750.00", 3)


def test_a_substitute_is_counted_in_other_chapters_but_never_shown_from_them(pattern_chapter):
    a = pattern_chapter
    chapter_integrity_check(chapter=a.chapter)
    vera = _flag(a.chapter, "substitute", name="Vera Visitor")
    assert (vera.figures["members"], vera.figures["other_chapters"]) == (1, 1)
    assert [e.attendance.membership for e in vera.evidence.select_related("attendance__membership")] == [
        a.member("Fay Busy")
    ]
    sam = _flag(a.chapter, "substitute", name="Sam Standin")
    assert (sam.figures["members"], sam.figures["marks"]) == (3, 3)


def test_one_to_ones_recorded_in_one_evening(pattern_chapter):
    a = pattern_chapter
    chapter_integrity_check(chapter=a.chapter)
    flag = _flag(a.chapter, "one_to_one_bulk", member=a.member("Uma Bulk").pk)
    assert (flag.figures["count"], flag.figures["met_days"], flag.figures["day"]) == (5, 5, "2026-06-12")


def test_an_inside_referral_logged_again(pattern_chapter):
    a = pattern_chapter
    chapter_integrity_check(chapter=a.chapter)
    flag = _flag(a.chapter, "internal_relogged", giver=a.member("Wes Inside").pk)
    assert flag.figures["count"] == 2 and flag.figures["receiver"] == a.member("Xan Seller").pk


def test_the_chapters_thresholds_decide(pattern_chapter):
    """Stricter thresholds turn near misses into flags; the hand list grows by exactly those."""
    a = pattern_chapter
    IntegrityRules.objects.create(
        chapter=a.chapter, ring_min_referrals=5, tyfcb_min_days=3, internal_relog_days=21, one_to_one_bulk_min=4,
        round_min_share=50, round_min_count=2, substitute_min_members=2, round_unit=Decimal("1000"),
    )
    chapter_integrity_check(chapter=a.chapter)
    got = flags_as_names(a.chapter)
    assert got - EXPECTED == {
        ("ring", frozenset({"Joy Loyal", "Jim Loyal"})),
        ("tyfcb_unearned", frozenset({"Max Giver", "Ned Closer"})),
        ("internal_relogged", frozenset({"Wes Inside", "Yas Seller"})),
        ("one_to_one_bulk", frozenset({"Vic Backfill", "Zed 1", "Zed 2", "Zed 3", "Zed 4"})),
        ("tyfcb_round", frozenset({"Pam Mixed", "Zed 6", "Zed 7"})),
        ("substitute", frozenset({"Dan Three", "Eve Three"})),
    }
    assert EXPECTED <= got
