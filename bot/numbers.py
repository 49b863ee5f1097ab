"""Numbers people type: pain scores ("7/10", "seven out of ten") and durations ("3 weeks")."""
from __future__ import annotations

import re
from typing import Optional

from bot.triage.numbers import parse_pain_score as find_pain_score

WORD_NUMBERS = {
    "zero": 0, "nil": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "a": 1, "an": 1, "a couple of": 2, "a couple": 2, "couple of": 2, "couple": 2,
    "a few": 3, "few": 3, "several": 4, "half a": 0.5, "half an": 0.5,
}
_NUMBER = r"(\d+(?:\.\d+)?|" + "|".join(
    sorted((re.escape(word) for word in WORD_NUMBERS), key=len, reverse=True)
) + r")"

# A bare answer to "how bad is it, 0 to 10?": "7", "maybe a six", "7-8". Scores inside sentences
# ("about 4/10", "the pain is a 9") are found by the triage engine's parser, so both agree.
_BARE_SCORE = re.compile(rf"^\s*(?:(?:about|around|maybe|roughly|like|a|an|it's|its|it is|probably|i'd say)\s+)*"
                         rf"{_NUMBER}(?:\s*(?:-|to)\s*{_NUMBER})?\s*[.!]?\s*$", re.I)

_UNITS_IN_DAYS = {
    "minute": 1 / 1440, "min": 1 / 1440, "hour": 1 / 24, "hr": 1 / 24, "day": 1, "night": 1,
    "week": 7, "wk": 7, "fortnight": 14, "month": 30, "mo": 30, "year": 365, "yr": 365,
}
_DURATION = re.compile(
    rf"\b{_NUMBER}?\s*(minute|min|hour|hr|day|night|week|wk|fortnight|month|mo|year|yr)s?\b", re.I
)
_RELATIVE_DAYS = {
    "today": 0.5, "this morning": 0.5, "tonight": 0.5, "yesterday": 1, "last night": 1,
    "the weekend": 3, "last weekend": 5, "last week": 7, "last month": 30, "last year": 365,
}


def _to_number(token: str) -> float:
    token = token.lower()
    if token in WORD_NUMBERS:
        return float(WORD_NUMBERS[token])
    return float(token)


def parse_pain_score(text: str) -> Optional[float]:
    """A 0-10 pain score in the text or a bare answer, or None; ranges give the higher end."""
    in_sentence = find_pain_score(text)
    if in_sentence is not None:
        return in_sentence
    match = _BARE_SCORE.search(text)
    if not match or match.group(1).lower() in ("a", "an"):
        return None
    score = max(_to_number(group) for group in match.groups() if group)
    return score if 0 <= score <= 10 else None


def parse_duration_days(text: str) -> Optional[float]:
    """Roughly how many days a duration phrase covers ("3 weeks" -> 21), or None."""
    lowered = text.lower()
    match = _DURATION.search(lowered)
    if match:
        count = _to_number(match.group(1)) if match.group(1) else 1.0
        unit = match.group(2).lower()
        return count * _UNITS_IN_DAYS[unit]
    for phrase, days in _RELATIVE_DAYS.items():
        if phrase in lowered:
            return days
    return None
