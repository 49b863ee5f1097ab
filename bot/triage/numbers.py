"""Numbers in free text that triage needs: pain scores out of ten and the person's age.

Regular expressions over the raw text, returning character spans, so the scope rules (negation,
someone else, the past) can treat a number like any other finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.number_words import DECADES, TENS, UNITS, word_value

# Scores are read as digits or as one word ("zero" ... "nineteen": over ten only "out of ten"); ages
# also as tens ("sixty-two") and decades ("in my fifties"), all from the project's one table.
_SCORE_WORDS = sorted(UNITS, key=len, reverse=True)
_UNIT_WORDS = "|".join(word for word in UNITS if 0 < UNITS[word] < 10)
_TENS_WORDS = "|".join(TENS)
_DECADE_WORDS = "|".join(DECADES)

_NUM = r"(\d{1,3}(?:\.\d)?|" + "|".join(_SCORE_WORDS) + r")"
# "7-8", "7 to 8", "3 or 4", "3 maybe 4": a range counts as its top end.
_RANGE = rf"{_NUM}(?:\s*(?:-|–|to|or maybe|or even|or|maybe)\s*{_NUM})?"
# Words after a number that make it a quantity rather than a score ("a 10 minute walk", "one of them").
_NOT_A_SCORE = (
    r"(?!\s*(?:%|percent|/\s*(?!10\b|ten\b)|years?|yrs?|y/?o|mi\b|miles?|km|k\b|days?|weeks?|"
    r"months?|hours?|hrs?|minutes?|mins?|seconds?|secs?|am\b|pm\b|kg|lbs?|stone|times?|steps?|"
    r"x\b|degrees?|°|reps?|sets?|flights?|floors?|o'?clock|th\b|st\b|nd\b|rd\b|\.\d|of\b(?!\s*(?:10|ten)\b)))"
)
# Words between a connector and the number ("a solid 8", "about a four").
_HEDGES_BEFORE = (
    r"(?:(?:an?|solid|good|strong|easy|easily|definite|definitely|maybe|probably|roughly|about|around|like|nearly|"
    r"almost|over|at least)\s+)"
)
# What may follow a number that ends its phrase: punctuation, a time or a new clause ("a 3 now",
# "an 8, can't sleep"), where a quantity goes on with its unit ("a 2 hour drive").
_PHRASE_END = (
    r"(?:[.,;:!?)]|$|(?:now|today|tonight|yesterday|currently|again|at the moment|right now|most days|this|last|"
    r"but|though|then|when|after|before)\b)"
)
# A hedge after the number ("a 3 maybe", "4-ish, I'd say"), not one that leads to another number ("a 2
# maybe 3 hour drive" is a range of hours).
_HEDGE_AFTER = (
    r"(?:maybe|probably|perhaps|i think|i'd say|id say|i guess|i reckon|or so|-?ish|tops|max|at most|at a guess)\b"
    r"(?!\s*(?:-|to|or)?\s*\d)"
)

# "9/10", "nine out of ten", "7-8 out of 10"; anything over ten means "as bad as it gets".
_OUT_OF_TEN = re.compile(rf"\b{_RANGE}\s*(?:/|out of|outta|over)\s*(?:10|ten)\b", re.IGNORECASE)
# "the pain is a 9", "I'd rate it a 7-8", "pain level 8": needs a pain word in the same sentence.
_AFTER_WORD = re.compile(
    rf"\b(?:pain|it|score|rate|rated|rating|level|scale)\b[^.?!\d]{{0,25}}?\b(?:is|at|of|as|about|around|a|an|like|"
    rf"level|score)\s+{_HEDGES_BEFORE}{{0,3}}{_RANGE}\b{_NOT_A_SCORE}",
    re.IGNORECASE,
)
# "score 3", "pain about 3", "pain: 8", "rated it 6, maybe": a score named and a number that ends its
# phrase ("pain 3 days ago" is a time).
_LABELLED = re.compile(
    rf"\b(?:pain score|pain level|pain rating|pain|score|rating|rated it|rate it|rated|rate)\s*(?:of|is|was|:|=|at|"
    rf"as|about|around|like)?\s*{_HEDGES_BEFORE}{{0,2}}{_RANGE}(?=\s*(?:{_PHRASE_END}|{_HEDGE_AFTER}))",
    re.IGNORECASE,
)
# "yesterday a 2, today easily an 8", "now it's an 8": "a"/"an" and a bare number that ends its
# phrase, so no pain word is needed.
_RATED_ALONE = re.compile(rf"\ban?\s+{_HEDGES_BEFORE}{{0,2}}{_RANGE}(?=\s*{_PHRASE_END})", re.IGNORECASE)
# "the ache is there, a 3 maybe": a hedged rating; needs a pain word in the same sentence.
_RATED_HEDGED = re.compile(rf"\ban?\s+{_HEDGES_BEFORE}{{0,2}}{_RANGE}(?=\s*{_HEDGE_AFTER})", re.IGNORECASE)
# "right now it's zero, it flares up after football", "it's 3 today": how "it" is, with a number that
# ends its phrase; needs a pain word or the present ("now", "today") in the same sentence.
_IT_IS = re.compile(
    rf"\b(?:it|pain|the pain)(?:'s|s|\s+is|\s+sits at|\s+feels like)\s+{_HEDGES_BEFORE}{{0,3}}{_RANGE}"
    rf"(?=\s*(?:{_PHRASE_END}|{_HEDGE_AFTER}))",
    re.IGNORECASE,
)
# "a 9 on the pain scale"
_ON_SCALE = re.compile(rf"\b{_RANGE}\s+on\s+(?:the|a)\s+(?:pain\s+)?scale", re.IGNORECASE)
# "on a scale of 1-10", "0 to 10": the scale itself, not a score.
_SCALE_ENDS = ({0.0, 1.0}, 10.0)
_PAIN_CONTEXT = re.compile(
    r"\b(?:pain\w*|hurt\w*|ach\w*|sore\w*|rate|rated|rating|score|scale|level|flare\w*|throb\w*|twing\w*)\b|/\s*10",
    re.IGNORECASE,
)
_PRESENT = re.compile(r"\b(?:now|currently|today|tonight|at the moment|atm|these days)\b", re.IGNORECASE)
# Every score pattern, first ones first (a later one never reads a number an earlier one read), with
# what its sentence needs besides: a pain word, or for _IT_IS a pain word or the present.
_SCORE_PATTERNS: tuple[tuple[re.Pattern[str], tuple[re.Pattern[str], ...]], ...] = (
    (_OUT_OF_TEN, ()),
    (_ON_SCALE, ()),
    (_AFTER_WORD, (_PAIN_CONTEXT,)),
    (_LABELLED, ()),
    (_RATED_ALONE, ()),
    (_RATED_HEDGED, (_PAIN_CONTEXT,)),
    (_IT_IS, (_PAIN_CONTEXT, _PRESENT)),
)

_AGE_PATTERNS = (
    re.compile(
        r"\b(?:i'?m|i am|aged?:?|age is)\s+(?:a\s+)?(\d{2,3})\b(?!\s*(?:%|kg|lbs?|cm|mm|km|miles?|mins?|minutes?|"
        r"hours?|hrs?|days?|weeks?|months?|/|out of|k\b|x\b|stone|percent|ft|feet|inch))",
        re.IGNORECASE,
    ),
    re.compile(r"\b(\d{2,3})\s*-?\s*(?:years?|yrs?|yr)\s*-?\s*old\b", re.IGNORECASE),
    re.compile(r"\b(\d{2,3})\s*(?:y/o|yo|y\.o\.)(?=\W|$)", re.IGNORECASE),
    re.compile(rf"\b(?:i'?m|i am|aged?)\s+((?:{_TENS_WORDS})(?:[- ](?:{_UNIT_WORDS}))?)\b", re.IGNORECASE),
    re.compile(rf"\bin my\s+(late\s+|mid\s+|early\s+)?({_DECADE_WORDS}|[2-9]0'?s)\b", re.IGNORECASE),
    re.compile(r"\b(?:i'?m|i am|aged)\s+(?:over|older than)\s+(5[5-9]|[6-9]\d)\b", re.IGNORECASE),
)


@dataclass(frozen=True)
class NumberSpan:
    start: int
    end: int
    value: float


def _to_number(token: str) -> float:
    return word_value(token)


def _sentence_around(text: str, start: int, end: int) -> str:
    left = max(text.rfind(mark, 0, start) for mark in ".?!\n")
    rights = [i for i in (text.find(mark, end) for mark in ".?!\n") if i != -1]
    return text[left + 1 : min(rights) if rights else len(text)]


def find_pain_scores(text: str) -> list[NumberSpan]:
    """Every pain score out of ten in the text; a range counts as its top end, over ten as ten."""
    found: list[NumberSpan] = []
    for pattern, contexts in _SCORE_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.start(1), match.end()
            if any(start < other.end and other.start < end for other in found):
                continue
            numbers = [_to_number(group) for group in match.groups() if group]
            if len(numbers) == 2 and numbers[0] in _SCALE_ENDS[0] and numbers[1] == _SCALE_ENDS[1]:
                continue
            if pattern is _LABELLED and len(numbers) == 2 and numbers[0] > numbers[1]:
                continue  # "score 3-1": a result, not a range of pain
            if contexts and not any(context.search(_sentence_around(text, start, end)) for context in contexts):
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
    decade = DECADES.get(last) or (int(last[:-1]) if re.fullmatch(r"[2-9]0s", last) else None)
    if decade is not None:
        modifier = groups[0] if len(groups) > 1 else ""
        return float(decade + {"late": 7, "mid": 5, "early": 1}.get(modifier, 0))
    return word_value(last)


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
