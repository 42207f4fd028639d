"""A scorecard component's ladder: thresholds and the points each earns, read, written, applied and put in words.

A ladder is a few steps `(threshold, points)`. For a figure where more is better (referrals a week)
the figure earns the points of the highest threshold it reaches ("≥ 1.2 → 20"); for one where less
is better (absences) it earns the points of the lowest threshold it stays within ("2 → 5", more → 0).
An empty ladder scores nothing: the figure is shown, not scored.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.core.exceptions import ValidationError

from enforcement.formatting import num

MAX_STEPS = 6


class Direction(enum.Enum):
    AT_LEAST = "at_least"  # more is better: the highest threshold reached
    AT_MOST = "at_most"  # less is better: the lowest threshold not exceeded


@dataclass(frozen=True)
class Step:
    threshold: Decimal
    points: int


Ladder = tuple[Step, ...]


def ladder_from_json(value) -> Ladder:
    """[["0.5", 5], ["1", 15]] (as stored) → steps."""
    return tuple(Step(Decimal(str(threshold)), int(points)) for threshold, points in (value or []))


def ladder_to_json(steps: Ladder) -> list[list]:
    return [[format(s.threshold.normalize(), "f"), s.points] for s in steps]


def ladder_max(steps: Ladder) -> int:
    return max((s.points for s in steps), default=0)


def ladder_points(steps: Ladder, value, direction: Direction) -> int:
    """The points `value` (int, Decimal or Fraction, compared exactly) earns on the ladder."""
    value = Fraction(value)
    if direction is Direction.AT_LEAST:
        return max((s.points for s in steps if value >= Fraction(s.threshold)), default=0)
    return next((s.points for s in steps if value <= Fraction(s.threshold)), 0)


def ladder_text(steps: Ladder) -> str:
    """The form's way of writing a ladder: "0=15, 1=10, 2=5"."""
    return ", ".join(f"{num(s.threshold)}={s.points}" for s in steps)


_ITEM = re.compile(r"^\s*(?:≥|>=|<=|≤)?\s*([0-9]+(?:\.[0-9]+)?)\s*(?:=|→|->|:)\s*([0-9]+)\s*$")


def ladder_parse(text: str, *, direction: Direction, whole: bool = False) -> Ladder:
    """Read "0.5=5, 1=15" into steps, or raise ValidationError saying what is wrong in words."""
    text = (text or "").strip()
    if not text:
        return ()
    steps = []
    for item in re.split(r"[;,\n]", text):
        if not item.strip():
            continue
        match = _ITEM.match(item)
        if match is None:
            raise ValidationError(
                f"“{item.strip()}” is not a step: write threshold=points, e.g. 1=10, and separate steps with commas."
            )
        try:
            threshold = Decimal(match[1])
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
            raise ValidationError(f"“{match[1]}” is not a number.") from exc
        if whole and threshold != threshold.to_integral_value():
            raise ValidationError(f"{match[1]} is not a whole number: this figure is a count.")
        steps.append(Step(threshold, int(match[2])))
    if len(steps) > MAX_STEPS:
        raise ValidationError(f"At most {MAX_STEPS} steps.")
    thresholds = [s.threshold for s in steps]
    if thresholds != sorted(set(thresholds)):
        raise ValidationError("List the thresholds from smallest to largest, each once.")
    points = [s.points for s in steps]
    if direction is Direction.AT_LEAST and points != sorted(set(points)):
        raise ValidationError("A higher threshold must earn more points than a lower one.")
    if direction is Direction.AT_MOST and points != sorted(set(points), reverse=True):
        raise ValidationError("Fewer must earn more points: the points fall as the threshold rises.")
    if max(points) == 0:
        raise ValidationError("No step earns a point: leave the field empty to leave this figure unscored.")
    return tuple(steps)


def ladder_words(steps: Ladder, direction: Direction, fmt: Callable[[Decimal], str] = num) -> str:
    """The ladder as the scorecard explains it: "0 → 15, 1 → 10, 2 → 5, more → 0" or "< 0.5 → 0, ≥ 0.5 → 5, …"."""
    if not steps:
        return "not scored"
    if direction is Direction.AT_LEAST:
        words = [] if steps[0].threshold == 0 else [f"< {fmt(steps[0].threshold)} → 0"]
        words += [f"≥ {fmt(s.threshold)} → {s.points}" for s in steps]
        return ", ".join(words)
    words, low = [], Decimal(0)
    for s in steps:
        whole = s.threshold == s.threshold.to_integral_value() and low == low.to_integral_value()
        if whole and s.threshold > low:
            span = f"{fmt(low)}–{fmt(s.threshold)}"
        elif whole:
            span = fmt(s.threshold)
        else:
            span = f"up to {fmt(s.threshold)}"
        words.append(f"{span} → {s.points}")
        low = s.threshold + 1
    return ", ".join([*words, "more → 0"])
