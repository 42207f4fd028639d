"""How enforcement writes numbers and money in explanations, emails and pages."""

from __future__ import annotations

from decimal import Decimal

SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€"}
CENT = Decimal("0.01")


def num(value: Decimal | int) -> str:
    """1 → "1", 0.50 → "0.5", 2.25 → "2.25"."""
    value = Decimal(value)
    text = format(value.quantize(CENT), "f").rstrip("0").rstrip(".")
    return text or "0"


def plural(count: Decimal | int, word: str, many: str | None = None) -> str:
    """1 → "1 absence", 2 → "2 absences", 0.5 → "0.5 absences" (`many` for irregular plurals)."""
    return f"{num(count)} {word if Decimal(count) == 1 else (many or word + 's')}"


def money(amount: Decimal | int | None, currency: str) -> str:
    amount = Decimal(amount or 0).quantize(CENT)
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{amount:,}" if symbol else f"{amount:,} {currency}"


def weight_words(weight: Decimal) -> str:
    if weight == 0:
        return "does not count"
    if weight == 1:
        return "counts as a full absence"
    return f"counts as {num(weight)} of an absence"
