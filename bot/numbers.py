"""Numbers people type: pain scores ("7/10", "seven out of ten") and durations ("3 weeks")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Optional

from bot.number_words import NUMBER_PATTERN, word_value
from bot.triage.numbers import parse_pain_score as find_pain_score

_NUMBER = f"({NUMBER_PATTERN})"

# A bare answer to "how bad is it, 0 to 10?": "7", "maybe a six", "7-8". Scores inside sentences
# ("about 4/10", "the pain is a 9") are found by the triage engine's parser, so both agree.
_HEDGES_BEFORE = (
    r"somewhere around|somewhere about|somewhere|about|around|maybe|roughly|like|a|an|it's|its|it is|it'?s about|probably|i'd say|id say|i would say|"
    r"say|prob|probs|i guess|i think|i reckon|score|score of|pain|pain is|honestly|hmm|um|erm|ok|okay|so"
)
_HEDGES_AFTER = (
    r"i think|i thnk|i'd say|id say|i reckon|i guess|maybe|probably|roughly|or so|ish|-ish|at the moment|"
    r"at the minute|right now|now|rn|atm|today|out of 10|/10|at most|tops|max|or less|"
    r"on a good day|on a bad day|give or take|barely anything|i suppose"
)
_BARE_SCORE = re.compile(
    rf"^\W*(?:(?:{_HEDGES_BEFORE})\W+)*{_NUMBER}(?:\s*(?:-|to|or)\s*{_NUMBER})?(?:-?ish)?" rf"(?:\W+(?:{_HEDGES_AFTER}))*\W*$",
    re.I,
)

_UNITS_IN_DAYS = {
    "minute": 1 / 1440,
    "min": 1 / 1440,
    "hour": 1 / 24,
    "hr": 1 / 24,
    "day": 1,
    "night": 1,
    "week": 7,
    "wk": 7,
    "fortnight": 14,
    "month": 30,
    "mo": 30,
    "year": 365,
    "yr": 365,
}
_RELATIVE_DAYS = {
    "today": 0.5,
    "this morning": 0.5,
    "this afternoon": 0.25,
    "this evening": 0.25,
    "earlier today": 0.25,
    "lunchtime": 0.25,
    "tonight": 0.5,
    "yesterday": 1,
    "last night": 1,
    "the weekend": 3,
    "last weekend": 5,
    "last week": 7,
    "last month": 30,
    "last year": 365,
}
# Read back as said ("this afternoon"), the others as "since ..." ("since yesterday").
_SAID_AS_IS = ("today", "this morning", "this afternoon", "this evening", "earlier today", "tonight")


def _to_number(token: str) -> float:
    return word_value(token)


# An answer that starts with the number and goes on ("4, but it's worse at night").
_LEADING_SCORE = re.compile(
    rf"^\W*(?:(?:{_HEDGES_BEFORE})\W+)*{_NUMBER}(?:-?ish|\s+or\s+so)?\s*(?:,|;|\.|!|\band\b|\bbut\b|$)(?!\s*(?:days?|weeks?|months?|years?|hours?))",
    re.I,
)


# A correction names the number meant: "oops, I meant 5 not 6", "6, no wait, 5", "not 6, 5", "make it 5".
_MEANT = re.compile(
    rf"\b(?:i\s+meant|meant|i\s+mean|make\s+(?:it|that)|no\s+wait|wait|actually|correction)\W+(?:(?:a|an|like|more\s+like)\s+)?{_NUMBER}\b",
    re.I,
)
# "the pain is more like 9": a score said again in the middle of another answer.
_SAID_AGAIN = re.compile(
    rf"\bpain\s+(?:is|'s|s)\s+(?:now\s+)?(?:more\s+like|nearer|closer\s+to|really)\s+(?:a\s+)?{_NUMBER}\b", re.I
)
_NOT_THE_OTHER = re.compile(rf"\bnot\s+(?:a\s+)?{_NUMBER}\W+(?:(?:but|more\s+like|it'?s|its|a)\s+)*{_NUMBER}\b", re.I)
# Two numbers joined as a range, in any of the ways people join them: "5-6", "five or six", "five,
# maybe six", "4 to 5", "3/4", "5, possibly even 6". The higher one is kept.
_RANGE_JOIN = r"(?:\s*[,/-]\s*|\s+)(?:(?:or|maybe|to|possibly|perhaps|probably|prob|even|sometimes|up\s+to|more\s+like|nearer|closer\s+to)\s+){0,3}"
_NOT_AN_ARTICLE = r"(?!(?:a|an)\b)"
_UNIT = r"\s*(?:days?|nights?|weeks?|wks?|months?|mths?|years?|yrs?|hours?|hrs?|mins?|minutes?|times?|%)"
_UNIT_AFTER = rf"(?!{_UNIT})"
_AFTER_A_UNIT = re.compile(rf"\b{_NUMBER}\s*{_UNIT[3:]}\W*(?:no+\W+|sorry\W+|oops\W+)*$", re.I)
_RANGE = re.compile(rf"\b{_NOT_AN_ARTICLE}{_NUMBER}(?:-?ish)?{_RANGE_JOIN}{_NOT_AN_ARTICLE}{_NUMBER}\b{_UNIT_AFTER}", re.I)
_OUT_OF_TEN = re.compile(r"\s*(?:/|out\s+of|outta)\s*(?:10|ten)\b", re.I)


def corrected_score(text: str) -> Optional[float]:
    """The score a correction names, wherever it is said ("sorry I meant 4 not 7", "actually the pain
    is more like 9"); None when there is no correction to a score."""
    for pattern in (_MEANT, _NOT_THE_OTHER, _SAID_AGAIN):
        match = pattern.search(text)
        # "I meant 3 weeks" and "3 weeks, I mean 2" correct a duration, not a score
        if match and not re.match(_UNIT, text[match.end() :], re.I) and not _AFTER_A_UNIT.search(text[: match.start()]):
            score = _to_number(match.groups()[-1])
            return score if 0 <= score <= 10 else None
    return None


def _corrected_or_range(text: str) -> Optional[float]:
    for pattern in (_MEANT, _NOT_THE_OTHER, _SAID_AGAIN):
        match = pattern.search(text)
        if match:
            return _to_number(match.groups()[-1])
    match = _RANGE.search(_OUT_OF_TEN.sub("", text))
    return max(_to_number(group) for group in match.groups()) if match else None


def parse_pain_score(text: str) -> Optional[float]:
    """The answer to "how bad is it, 0 to 10?": the number a correction names ("I meant 5 not 6"),
    a score anywhere in the text (the triage engine's parser), the higher end of a range in any form
    ("five, maybe six", "7-8"), a bare answer ("maybe a six"), or a number the answer starts with
    before going on; None otherwise."""
    meant = _corrected_or_range(text)
    if meant is not None and 0 <= meant <= 10:
        return meant
    in_sentence = find_pain_score(text)
    if in_sentence is not None:
        return in_sentence
    match = _BARE_SCORE.search(text) or _LEADING_SCORE.search(text)
    if not match or match.group(1).lower() in ("a", "an"):
        return _lone_number(text)
    score = max(_to_number(group) for group in match.groups() if group)
    return score if 0 <= score <= 10 else None


# The only figure of an answer to the score question, when it counts nothing else ("like a 5 by end
# of shift"; not "twice a day", "3 kg", "at 6pm").
_FIGURE = re.compile(r"(?<![\d.:/])\b\d+(?:\.\d+)?\b(?![.:/]\d)")
_COUNTS_SOMETHING = re.compile(
    rf"^(?:{_UNIT}|\s*(?:am|pm|kg|kgs|lbs?|st|stone|x|k|km|miles?|yo|y/o|steps?|kids?|o'?clock)\b)", re.I
)


def _lone_number(text: str) -> Optional[float]:
    figures = list(_FIGURE.finditer(text))
    if len(figures) != 1 or _COUNTS_SOMETHING.match(text[figures[0].end() :]):
        return None
    score = float(figures[0].group())
    return score if 0 <= score <= 10 else None


@dataclass(frozen=True)
class Duration:
    """How long the pain has lasted: roughly in days (None when the words give no length, like
    "for ages"), and a phrase to read back that never cuts the person's words short."""

    days: Optional[float]
    phrase: str


_HEDGE = r"(?:about|bout|abt|around|roughly|approximately|approx|maybe|nearly|almost|over|more than|less than|under|just over|at least|like|probably)"
_DURATION_PHRASE = re.compile(
    rf"(?:\b(?:{_HEDGE})\s+)?(?:\b(?:the\s+)?(?:last|past)\s+)?\b(?P<count>{_NUMBER[1:-1]})\s*"
    rf"(?P<unit>minute|min|hour|hr|day|dy|night|week|wek|wk|fortnight|month|mnth|mth|mo|year|yr)s?\b"
    rf"(?P<half>\s+and\s+a\s+half)?",
    re.I,
)
# A duration corrected at once by a bare number: "3 wks no sorry 2", "2 weeks, I mean 3", "a month, actually 6".
_BARE_CORRECTION = re.compile(
    rf"\W*(?:(?:no+|nope|sorry|oops|wait|i\s+mean|i\s+meant|meant|actually|make\s+(?:it|that)|or\s+rather|correction)\W+)+"
    rf"(?:(?:more\s+like|like|about|maybe)\s+)?(?P<count>{_NUMBER[1:-1]})\b(?!{_UNIT})\W*$",
    re.I,
)
# "for the last fortnight": one of the unit, no number written
_LAST_UNIT = re.compile(r"\b(?:the\s+)?(?:last|past)\s+(?P<unit>fortnight|week|month|year)\b")
_UNIT_SPELLINGS = {"dy": "day", "wek": "week", "mnth": "month", "mth": "month"}
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_SINCE_WEEKDAY = re.compile(r"\bsince\s+(?P<last>last\s+)?(?P<day>" + "|".join(_WEEKDAYS) + r")\b", re.I)
_SINCE_HOLIDAY = {"christmas": (12, 25), "xmas": (12, 25), "new year": (1, 1), "new year's": (1, 1)}
_SINCE_PHRASE = re.compile(r"\bsince\s+(?P<what>(?:the\s+)?[a-z' ]{3,30}?)(?=[,.!?;]|$|\s+(?:and|n|but|when|it|i|my|me)\b)", re.I)
_VAGUE = re.compile(
    r"\b(?:for\s+)?(?P<what>ages|a while|a long time|a long while|quite a while|a good while|forever|"
    r"years and years|donkey's years|weeks|months|years|days)\b",
    re.I,
)


def _since_date(start: date, today: date) -> float:
    return float(max((today - start).days, 1))


def _duration_phrase(matched: str) -> str:
    """The words as the person wrote them, less "the last"/"the past" ("over the last 3 weeks" is
    "3 weeks")."""
    words = " ".join(matched.split())
    within = re.sub(r"^(?:over|in|for)?\s*(?:the\s+)?(?:last|past)\s+", "", words, flags=re.I)
    if within != words:
        return within
    return re.sub(r"^(?:the|for)\s+", "", words, flags=re.I)


# Words that date the start of the pain ("since yesterday", "I hurt my knee yesterday").
_STARTED_BEFORE = re.compile(
    r"\b(?:since|started|start|began|begin|from|came on|kicked off|hurt|injured|twisted|tweaked|banged|knocked|"
    r"fell|fallen|landed|happened|did it)\s+(?:\w+\s+){0,3}$"
)


def durations_in(text: str, today: Optional[date] = None) -> list[tuple[int, int, Duration]]:
    """Every duration a message gives, with where it starts and ends: "3 weeks", "about two months", "a couple
    of days", "since last Tuesday", "since Christmas", "yesterday"; "for ages" is kept as said with
    no days."""
    today = today or date.today()
    lowered = text.lower()
    found: list[tuple[int, int, Duration]] = []
    for match in _DURATION_PHRASE.finditer(lowered):
        count = _to_number(match.group("count")) + (0.5 if match.group("half") else 0)
        unit = match.group("unit").lower()
        in_days = _UNITS_IN_DAYS[_UNIT_SPELLINGS.get(unit, unit)]
        phrase = _duration_phrase(text[match.start() : match.end()])
        end = match.end()
        correction = _BARE_CORRECTION.match(lowered, end)
        if correction:  # "3 wks no sorry 2": the number meant, in the unit just said
            count, end = _to_number(correction.group("count")), correction.end()
            phrase = f"{correction.group('count')} {_UNIT_SPELLINGS.get(unit, unit)}{'s' if count != 1 else ''}"
        found.append((match.start(), end, Duration(count * in_days, phrase)))
    for match in _LAST_UNIT.finditer(lowered):
        unit = match.group("unit")
        found.append((match.start(), match.end(), Duration(_UNITS_IN_DAYS[unit], f"a {unit}")))
    for weekday in _SINCE_WEEKDAY.finditer(lowered):
        day = weekday.group("day").lower()
        back = (today.weekday() - _WEEKDAYS.index(day)) % 7 or 7
        found.append(
            (
                weekday.start(),
                weekday.end(),
                Duration(float(back), f"since {'last ' if weekday.group('last') else ''}{day.capitalize()}"),
            )
        )
    for holiday, (month, day_of_month) in _SINCE_HOLIDAY.items():
        for match in re.finditer(rf"\bsince\s+{re.escape(holiday)}\b", lowered):
            start = date(today.year, month, day_of_month)
            if start >= today:
                start = date(today.year - 1, month, day_of_month)
            found.append((match.start(), match.end(), Duration(_since_date(start, today), f"since {holiday.capitalize()}")))
    short_answer = len(lowered.split()) <= 5
    for phrase, days in _RELATIVE_DAYS.items():
        for match in re.finditer(rf"\b{re.escape(phrase)}\b", lowered):
            # "I ran yesterday" dates a run; "since yesterday" or a bare "yesterday" dates the pain.
            if not short_answer and not _STARTED_BEFORE.search(lowered[: match.start()]):
                continue
            found.append(
                (
                    match.start(),
                    match.end(),
                    Duration(days, phrase if phrase in _SAID_AS_IS else f"since {phrase}"),
                )
            )
    if not found:
        for match in _VAGUE.finditer(lowered):
            found.append((match.start(), match.end(), Duration(None, f"for {match.group('what')}")))
        for match in _SINCE_PHRASE.finditer(lowered):
            found.append((match.start(), match.end(), Duration(None, f"since {match.group('what').strip()}")))
    return sorted(found, key=lambda item: item[0])


def parse_duration(text: str, today: Optional[date] = None) -> Optional[Duration]:
    """The first duration in the text (see durations_in), or None."""
    found = durations_in(text, today)
    return found[0][2] if found else None
