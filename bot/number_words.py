"""Numbers written as words: the one table for every reader of numbers (pain scores, ages, steps,
durations). No other module keeps its own list, and this one imports nothing of the project."""

from __future__ import annotations

import re

UNITS = {
    "zero": 0,
    "nil": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
# A decade of life ("in my fifties"); the digit form ("50s") is read from its digits.
DECADES = {
    "twenties": 20,
    "thirties": 30,
    "forties": 40,
    "fifties": 50,
    "sixties": 60,
    "seventies": 70,
    "eighties": 80,
    "nineties": 90,
}
# Words that stand for a rough amount ("a couple of weeks", "a few days").
QUANTITIES = {
    "a": 1,
    "an": 1,
    "a couple of": 2,
    "a couple": 2,
    "couple of": 2,
    "couple": 2,
    "a few": 3,
    "few": 3,
    "several": 4,
    "half a": 0.5,
    "half an": 0.5,
}

_COMPOUND = rf"(?:{'|'.join(TENS)})(?:[\s-](?:{'|'.join(w for w in UNITS if 0 < UNITS[w] < 10)}))?"
# A number as digits or words, longest alternatives first so "twenty one" wins over "twenty".
NUMBER_PATTERN = (
    r"(?:\d+(?:\.\d+)?|"
    + _COMPOUND
    + "|"
    + "|".join(sorted((re.escape(word) for word in [*UNITS, *QUANTITIES]), key=len, reverse=True))
    + ")"
)


def word_value(token: str) -> float:
    """The value of a number written in digits or words ("7", "seven", "twenty-one", "a couple of")."""
    lowered = " ".join(token.lower().replace("-", " ").split())
    if lowered in UNITS:
        return float(UNITS[lowered])
    if lowered in QUANTITIES:
        return float(QUANTITIES[lowered])
    parts = lowered.split()
    if parts and parts[0] in TENS:
        return float(TENS[parts[0]] + (UNITS[parts[1]] if len(parts) > 1 else 0))
    return float(lowered)
