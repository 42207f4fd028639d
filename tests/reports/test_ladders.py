"""A scorecard ladder: read from the settings form, applied exactly, and put in the words the scorecard shows."""

from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError

from reports.ladders import (
    Direction,
    Step,
    ladder_from_json,
    ladder_parse,
    ladder_points,
    ladder_text,
    ladder_to_json,
    ladder_words,
)

ABSENCES = ladder_from_json([["0", 15], ["1", 10], ["2", 5]])
REFERRALS = ladder_from_json([["0.5", 5], ["0.75", 10], ["1", 15], ["1.2", 20]])


@pytest.mark.parametrize("absences,points", [(0, 15), (1, 10), (2, 5), (3, 0), (9, 0)])
def test_absences_earn_the_points_of_the_lowest_threshold_they_stay_within(absences, points):
    assert ladder_points(ABSENCES, absences, Direction.AT_MOST) == points


@pytest.mark.parametrize("rate,points", [
    (Fraction(0), 0), (Fraction(12, 26), 0), (Fraction(13, 26), 5), (Fraction(19, 26), 5), (Fraction(20, 26), 10),
    (Fraction(26, 26), 15), (Fraction(31, 26), 15), (Fraction(6, 5), 20), (Fraction(40, 26), 20),
])
def test_a_rate_earns_the_points_of_the_highest_threshold_it_reaches_compared_exactly(rate, points):
    assert ladder_points(REFERRALS, rate, Direction.AT_LEAST) == points


def test_the_words_are_those_the_scorecard_prints():
    assert ladder_words(ABSENCES, Direction.AT_MOST) == "0 → 15, 1 → 10, 2 → 5, more → 0"
    assert ladder_words(REFERRALS, Direction.AT_LEAST) == "< 0.5 → 0, ≥ 0.5 → 5, ≥ 0.75 → 10, ≥ 1 → 15, ≥ 1.2 → 20"
    gappy = ladder_from_json([["0", 15], ["2", 5]])
    assert ladder_words(gappy, Direction.AT_MOST) == "0 → 15, 1–2 → 5, more → 0"
    assert ladder_words((), Direction.AT_LEAST) == "not scored"


def test_the_form_text_reads_back_into_the_same_ladder():
    assert ladder_text(REFERRALS) == "0.5=5, 0.75=10, 1=15, 1.2=20"
    assert ladder_parse(ladder_text(REFERRALS), direction=Direction.AT_LEAST) == REFERRALS
    assert ladder_parse("0 → 15; 1 -> 10, 2:5", direction=Direction.AT_MOST, whole=True) == ABSENCES
    assert ladder_from_json(ladder_to_json(REFERRALS)) == REFERRALS
    assert ladder_parse("  ", direction=Direction.AT_LEAST) == ()


@pytest.mark.parametrize("text,direction,whole,message", [
    ("1=5, 0.5=10", Direction.AT_LEAST, False, "smallest to largest"),
    ("0.5=10, 1=5", Direction.AT_LEAST, False, "more points"),
    ("0=5, 1=10", Direction.AT_MOST, True, "points fall"),
    ("1.5=5", Direction.AT_MOST, True, "whole number"),
    ("ten=5", Direction.AT_LEAST, False, "is not a step"),
    ("1=0", Direction.AT_LEAST, False, "leave the field empty"),
    ("1=1, 2=2, 3=3, 4=4, 5=5, 6=6, 7=7", Direction.AT_LEAST, False, "At most 6 steps"),
])
def test_a_ladder_that_makes_no_sense_is_refused_in_words(text, direction, whole, message):
    with pytest.raises(ValidationError) as exc:
        ladder_parse(text, direction=direction, whole=whole)
    assert message in " ".join(exc.value.messages)


def test_steps_keep_decimal_thresholds_exactly():
    assert ladder_from_json([["0.1", 5]]) == (Step(Decimal("0.1"), 5),)
    assert ladder_points(ladder_from_json([["0.1", 5]]), Fraction(1, 10), Direction.AT_LEAST) == 5
