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
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from leadsgroups.formats import format_number, plain_number

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


@lru_cache(maxsize=256)
def _exact(threshold: Decimal) -> Fraction:
    return Fraction(threshold)


def ladder_points(steps: Ladder, value, direction: Direction) -> int:
    """The points `value` (int, Decimal or Fraction, compared exactly) earns on the ladder."""
    if not isinstance(value, int | Fraction):
        value = Fraction(value)
    if direction is Direction.AT_LEAST:
        return max((s.points for s in steps if value >= _exact(s.threshold)), default=0)
    return next((s.points for s in steps if value <= _exact(s.threshold)), 0)


def ladder_text(steps: Ladder) -> str:
    """The form's way of writing a ladder: "0=15, 1=10, 2=5"."""
    return ", ".join(f"{plain_number(s.threshold)}={s.points}" for s in steps)


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
                _("“%(item)s” is not a step: write threshold=points, e.g. 1=10, and separate steps with commas.")
                % {"item": item.strip()}, code="step",
            )
        try:
            threshold = Decimal(match[1])
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
            raise ValidationError(_("“%(item)s” is not a number.") % {"item": match[1]}, code="number") from exc
        if whole and threshold != threshold.to_integral_value():
            raise ValidationError(_("%(item)s is not a whole number: this figure is a count.") % {"item": match[1]},
                                  code="whole")
        steps.append(Step(threshold, int(match[2])))
    if len(steps) > MAX_STEPS:
        raise ValidationError(_("At most %(most)s steps.") % {"most": MAX_STEPS}, code="steps")
    thresholds = [s.threshold for s in steps]
    if thresholds != sorted(set(thresholds)):
        raise ValidationError(_("List the thresholds from smallest to largest, each once."), code="order")
    points = [s.points for s in steps]
    if direction is Direction.AT_LEAST and points != sorted(set(points)):
        raise ValidationError(_("A higher threshold must earn more points than a lower one."), code="points")
    if direction is Direction.AT_MOST and points != sorted(set(points), reverse=True):
        raise ValidationError(_("Fewer must earn more points: the points fall as the threshold rises."),
                              code="points")
    if max(points) == 0:
        raise ValidationError(_("No step earns a point: leave the field empty to leave this figure unscored."),
                              code="no_points")
    return tuple(steps)


def ladder_words(steps: Ladder, direction: Direction, fmt: Callable[[Decimal], str] = format_number) -> str:
    """The ladder as the scorecard explains it: "0 → 15, 1 → 10, 2 → 5, more → 0" or "< 0.5 → 0, ≥ 0.5 → 5, …"."""
    if not steps:
        return _("not scored")
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
            span = _("up to %(value)s") % {"value": fmt(s.threshold)}
        words.append(f"{span} → {s.points}")
        low = s.threshold + 1
    return ", ".join([*words, _("more → 0")])
