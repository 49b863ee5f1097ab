"""Numbers in free text that triage needs: pain scores out of ten and the person's age.

Regular expressions over the raw text, returning character spans, so the scope rules (negation,
someone else, the past) can treat a number like any other finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORD_NUMBERS = {
    "zero": 0,
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
}
_TENS = {"fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_DECADES = {
    "fifties": 50,
    "50s": 50,
    "sixties": 60,
    "60s": 60,
    "seventies": 70,
    "70s": 70,
    "eighties": 80,
    "80s": 80,
    "nineties": 90,
    "90s": 90,
}

_NUM = r"(\d{1,3}(?:\.\d)?|" + "|".join(WORD_NUMBERS) + r")"
_RANGE = rf"{_NUM}(?:\s*(?:-|–|to|or)\s*{_NUM})?"
# Words after a number that make it a quantity rather than a score ("a 10 minute walk").
_NOT_A_SCORE = (
    r"(?!\s*(?:%|percent|/\s*(?!10\b|ten\b)|years?|yrs?|y/?o|mi\b|miles?|km|k\b|days?|weeks?|"
    r"months?|hours?|hrs?|minutes?|mins?|seconds?|secs?|am\b|pm\b|kg|lbs?|stone|times?|steps?|"
    r"x\b|degrees?|°|reps?|sets?|flights?|floors?|o'?clock|th\b|st\b|nd\b|rd\b|\.\d))"
)

# "9/10", "nine out of ten", "7-8 out of 10"; anything over ten means "as bad as it gets".
_OUT_OF_TEN = re.compile(rf"\b{_RANGE}\s*(?:/|out of|outta|over)\s*(?:10|ten)\b", re.IGNORECASE)
# "the pain is a 9", "I'd rate it a 7-8", "pain level 8": needs a pain word in the same sentence.
_AFTER_WORD = re.compile(
    rf"\b(?:pain|it|score|rate|rated|rating|level|scale)\b[^.?!\d]{{0,25}}?\b(?:is|at|of|as|about|around|a|an|like|"
    rf"level|score)\s+(?:(?:an?|solid|good|strong|easy|easily|definite|definitely|maybe|probably|roughly|about|"
    rf"around|like|nearly|almost|over|at least)\s+){{0,3}}{_RANGE}\b{_NOT_A_SCORE}",
    re.IGNORECASE,
)
# "yesterday a 2, today easily an 8", "now it's an 8": "a"/"an" and a bare number that ends its
# phrase (a quantity goes on with its unit: "a 2 hour drive"), so no pain word is needed.
_RATED_ALONE = re.compile(
    rf"\ban?\s+(?:(?:solid|good|strong|easy|easily|definite|maybe|probably|roughly|about|around|like|nearly|"
    rf"almost|at least)\s+){{0,2}}{_RANGE}(?=\s*(?:[.,;:!?)]|$|(?:now|today|tonight|yesterday|currently|again|"
    rf"at the moment|right now|most days|this|last|but|then|when|after|before)\b))",
    re.IGNORECASE,
)
# "a 9 on the pain scale"
_ON_SCALE = re.compile(rf"\b{_RANGE}\s+on\s+(?:the|a)\s+(?:pain\s+)?scale", re.IGNORECASE)
# "on a scale of 1-10", "0 to 10": the scale itself, not a score.
_SCALE_ENDS = ({0.0, 1.0}, 10.0)
_PAIN_CONTEXT = re.compile(r"\b(?:pain\w*|hurt\w*|ach\w*|sore\w*|rate|rated|rating|score|scale|level)\b|/\s*10", re.IGNORECASE)

_AGE_PATTERNS = (
    re.compile(
        r"\b(?:i'?m|i am|aged?:?|age is)\s+(?:a\s+)?(\d{2,3})\b(?!\s*(?:%|kg|lbs?|cm|mm|km|miles?|mins?|minutes?|"
        r"hours?|hrs?|days?|weeks?|months?|/|out of|k\b|x\b|stone|percent|ft|feet|inch))",
        re.IGNORECASE,
    ),
    re.compile(r"\b(\d{2,3})\s*-?\s*(?:years?|yrs?|yr)\s*-?\s*old\b", re.IGNORECASE),
    re.compile(r"\b(\d{2,3})\s*(?:y/o|yo|y\.o\.)(?=\W|$)", re.IGNORECASE),
    re.compile(
        r"\b(?:i'?m|i am|aged?)\s+((?:fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|six|"
        r"seven|eight|nine))?)\b",
        re.IGNORECASE,
    ),
    re.compile(r"\bin my\s+(late\s+|mid\s+|early\s+)?(fifties|sixties|seventies|eighties|nineties|[5-9]0'?s)\b", re.IGNORECASE),
    re.compile(r"\b(?:i'?m|i am|aged)\s+(?:over|older than)\s+(5[5-9]|[6-9]\d)\b", re.IGNORECASE),
)


@dataclass(frozen=True)
class NumberSpan:
    start: int
    end: int
    value: float


def _to_number(token: str) -> float:
    lowered = token.lower()
    return float(WORD_NUMBERS[lowered]) if lowered in WORD_NUMBERS else float(lowered)


def _sentence_around(text: str, start: int, end: int) -> str:
    left = max(text.rfind(mark, 0, start) for mark in ".?!\n")
    rights = [i for i in (text.find(mark, end) for mark in ".?!\n") if i != -1]
    return text[left + 1 : min(rights) if rights else len(text)]


def find_pain_scores(text: str) -> list[NumberSpan]:
    """Every pain score out of ten in the text; a range counts as its top end, over ten as ten."""
    found: list[NumberSpan] = []
    for pattern in (_OUT_OF_TEN, _ON_SCALE, _AFTER_WORD, _RATED_ALONE):
        for match in pattern.finditer(text):
            start, end = match.start(1), match.end()
            if any(start < other.end and other.start < end for other in found):
                continue
            numbers = [_to_number(group) for group in match.groups() if group]
            if len(numbers) == 2 and numbers[0] in _SCALE_ENDS[0] and numbers[1] == _SCALE_ENDS[1]:
                continue
            if pattern is _AFTER_WORD and not _PAIN_CONTEXT.search(_sentence_around(text, start, end)):
                continue
            score = max(numbers)
            if pattern is _OUT_OF_TEN:
                score = min(score, 10.0)
            elif score > 10:
                continue
            found.append(NumberSpan(start, end, score))
    return sorted(found, key=lambda span: span.start)


def parse_pain_score(text: str) -> float | None:
    """The highest pain score in the text, or None."""
    scores = find_pain_scores(text)
    return max(span.value for span in scores) if scores else None


def _age_value(match: re.Match[str]) -> float:
    groups = [group.strip().lower() for group in match.groups() if group]
    last = groups[-1].replace("'", "")
    if last in _DECADES:
        modifier = groups[0] if len(groups) > 1 else ""
        return float(_DECADES[last] + {"late": 7, "mid": 5, "early": 1}.get(modifier, 0))
    if last[0].isdigit():
        return float(last)
    tens, _, unit = last.replace("-", " ").partition(" ")
    return float(_TENS[tens] + _UNITS.get(unit, 0))


def find_ages(text: str) -> list[NumberSpan]:
    """Ages the text states ("I'm 62", "58 years old", "in my late fifties"), 0-120 only."""
    found: list[NumberSpan] = []
    for pattern in _AGE_PATTERNS:
        for match in pattern.finditer(text):
            value = _age_value(match)
            if not 0 < value <= 120:
                continue
            if any(match.start() < other.end and other.start < match.end() for other in found):
                continue
            found.append(NumberSpan(match.start(), match.end(), value))
    return sorted(found, key=lambda span: span.start)
