"""The red-flag screening question: what an answer to it says, and when a message calls for it.

The question (screening.yml) asks about the signs that need emergency or same-day care in one go,
so the safety net does not depend on reading every free-text wording. An answer is read from the
message's normalised text and its mentions (the triage reader's, negation included), never by a
second reader. A named sign becomes a finding (`screen_<sign>`) that a rule in rules.yml turns into
a level, so a screening answer is assessed and audited like any other escalation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import yaml
from pydantic import BaseModel, Extra, validator

from bot.triage.findings import Finding, Mention, Status
from bot.triage.vocabulary import FINDINGS

if TYPE_CHECKING:  # the speller behind it is loaded only where messages are read
    from bot.triage.normalise import Normalised

SCREENING_PATH = Path(__file__).with_name("screening.yml")
FINDING_PREFIX = "screen_"
ANY_SIGN = "any_sign"  # a plain "yes": a sign is there, which one is not said
# Words before a sign in its clause that deny it ("no fever", "foot isn't cold"); "can't" is part of
# signs ("can't lift it"), so it is no denial here.
_DENIAL = re.compile(
    r"\b(?:no|not|never|without|none|nor|neither|nothing|isn't|isnt|aren't|wasn't|doesn't|don't|didn't|"
    r"haven't|hasn't|ain't|hardly)\b",
    re.I,
)
_CLAUSE_BREAK = re.compile(r"[,;.!?]|\bbut\b|\band\b(?=\s+(?:no|not|never)\b)", re.I)
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


class Sign(BaseModel, extra=Extra.forbid):
    id: str
    findings: list[str]
    patterns: list[str]
    unless: list[str] = []

    @validator("findings", each_item=True)
    def _known_finding(cls, name: str) -> str:
        if name not in FINDINGS:
            raise ValueError(f"unknown finding {name!r}")
        return name


class Answers(BaseModel, extra=Extra.forbid):
    patterns: list[str]


class Triggers(BaseModel, extra=Extra.forbid):
    anchors: list[str]
    risk_factors: list[str]
    risk_sites: list[str]
    long_message_words: int
    symptom_words: list[str]


class Screening(BaseModel, extra=Extra.forbid):
    source: str
    signs: list[Sign]
    none: Answers
    unsure: Answers
    bare_yes: Answers
    all_right: str
    triggers: Triggers

    @validator("signs")
    def _distinct(cls, signs: list[Sign]) -> list[Sign]:
        ids = [sign.id for sign in signs]
        if len(set(ids)) != len(ids) or ANY_SIGN in ids:
            raise ValueError(f"sign ids must be distinct and not {ANY_SIGN!r}: {ids}")
        return signs


class ScreeningVerdict(str, Enum):
    SIGNS = "signs"
    NONE = "none"
    UNSURE = "unsure"
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class ScreeningAnswer:
    """What a message says as an answer to the screening question."""

    verdict: ScreeningVerdict
    signs: tuple[str, ...] = ()

    @property
    def slot_value(self) -> Optional[str]:
        """The screening slot's value: the signs named, "none" or "unsure"; None when unreadable."""
        if self.verdict is ScreeningVerdict.SIGNS:
            return ",".join(self.signs)
        if self.verdict is ScreeningVerdict.UNREADABLE:
            return None
        return self.verdict.value


def screening_finding_name(sign: str) -> str:
    return FINDING_PREFIX + sign


@lru_cache(maxsize=1)
def load_screening(path: Path = SCREENING_PATH) -> Screening:
    return Screening(**yaml.safe_load(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def _compiled() -> tuple[dict[str, re.Pattern[str]], re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    screening = load_screening()

    def either(patterns: Sequence[str]) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{pattern})" for pattern in patterns), re.I)

    signs = {sign.id: re.compile(r"\b(?:" + "|".join(sign.patterns) + r")\b", re.I) for sign in screening.signs}
    return (
        signs,
        either(screening.none.patterns),
        either(screening.unsure.patterns),
        either(screening.bare_yes.patterns),
        re.compile(screening.all_right, re.I),
    )


def _clause_around(text: str, start: int, end: int) -> tuple[str, str]:
    """The text of the clause before and after a stretch (clauses end at punctuation and "but")."""
    before_breaks = [m.end() for m in _CLAUSE_BREAK.finditer(text, 0, start)]
    after = _CLAUSE_BREAK.search(text, end)
    return text[before_breaks[-1] if before_breaks else 0 : start], text[end : after.start() if after else len(text)]


def read_screening_answer(reading: Normalised, mentions: Sequence[Mention]) -> ScreeningAnswer:
    """An answer to the screening question, from the message's normalised text and its mentions.

    A sign is named by a current finding of its own or by one of its words not denied in its clause
    nor said to be all right ("my breathing's fine"); any sign wins over "none" ("no fever but my
    calf is hot"). Words the reader placed (in some mention, whatever its status) mean what it
    read them as ("can't walk without limping" is limping, no sign). With no sign, a hedge is
    "unsure", a denial is "none", a bare "yes" is a sign not yet named, and anything else cannot be
    read.
    """
    normalised = reading.text
    placed = [(m.finding.start, m.finding.end) for m in mentions]
    screening = load_screening()
    sign_patterns, none, unsure, yes, all_right = _compiled()
    current = {m.finding.name for m in mentions if m.status is Status.CURRENT}
    named: list[str] = []
    for sign in screening.signs:
        if sign.unless and re.search("|".join(sign.unless), normalised, re.I):
            continue
        if current & set(sign.findings):
            named.append(sign.id)
            continue
        for match in sign_patterns[sign.id].finditer(normalised):
            start, end = reading.to_original(match.start(), match.end())
            if any(start < placed_end and placed_start < end for placed_start, placed_end in placed):
                continue
            before, after = _clause_around(normalised, match.start(), match.end())
            if not _DENIAL.search(before) and not all_right.search(after):
                named.append(sign.id)
                break
    if named:
        return ScreeningAnswer(ScreeningVerdict.SIGNS, tuple(named))
    if unsure.search(normalised):
        return ScreeningAnswer(ScreeningVerdict.UNSURE)
    if none.search(normalised) or any(m.status is Status.NEGATED for m in mentions):
        return ScreeningAnswer(ScreeningVerdict.NONE)
    if yes.search(normalised):
        return ScreeningAnswer(ScreeningVerdict.SIGNS, (ANY_SIGN,))
    return ScreeningAnswer(ScreeningVerdict.UNREADABLE)


def screening_findings(answer: ScreeningAnswer, evidence: str) -> list[Finding]:
    """The findings a screening answer adds: one per sign named, with the person's words as evidence."""
    return [Finding(screening_finding_name(sign), evidence, -1, -1) for sign in answer.signs]


def _near(word: str, anchor: str, known: Callable[[str], bool]) -> bool:
    """The anchor itself, a longer form of it ("breathing" for "breath"), or, for a word that is no
    known word, one letter off ("brethe"). Short anchors need the word itself: one letter from
    "toes" or "numb" are other words ("does", "number")."""
    if word == anchor:
        return True
    if len(anchor) < 5:
        return False
    if word.startswith(anchor):
        return True
    return abs(len(word) - len(anchor)) <= 1 and not known(word) and _one_edit_apart(word, anchor)


def _one_edit_apart(a: str, b: str) -> bool:
    if len(a) == len(b):
        differences = [i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y]
        return len(differences) == 1 or (
            len(differences) == 2
            and differences[1] == differences[0] + 1
            and a[differences[0]] == b[differences[1]]
            and a[differences[1]] == b[differences[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


# The start of the reason a long message with a symptom word outside every finding gives: the
# catch-all for a story the rules could not place, rather than a word of red-flag territory.
LONG_STORY_TRIGGER = "long message with"


def is_long_story_trigger(trigger: Optional[str]) -> bool:
    return bool(trigger) and str(trigger).startswith(LONG_STORY_TRIGGER)


def screening_trigger(original: str, normalised: str, mentions: Sequence[Mention], known: Callable[[str], bool]) -> Optional[str]:
    """Why a message calls for the screening question at once, or None: a word of red-flag territory
    that no finding covers, a clot risk factor with a calf or breathing word, or a long message with a
    symptom word outside every finding. Whether a word is covered is read on the person's own words,
    which the mentions' evidence quotes; `known` says whether a word is an English word."""
    triggers = load_screening().triggers
    words = _WORD.findall(normalised.lower())
    covered = {word for m in mentions for word in _WORD.findall(m.finding.evidence.lower())}
    uncovered = [word for word in _WORD.findall(original.lower()) if word not in covered]
    for word in uncovered:
        anchor = next((anchor for anchor in triggers.anchors if _near(word, anchor, known)), None)
        if anchor is not None:
            return f"unplaced word {word!r} (near {anchor!r})"
    # Someone else's clot or a denied flight is no risk factor of theirs.
    not_theirs = {word for m in mentions if m.status is not Status.CURRENT for word in _WORD.findall(m.finding.evidence.lower())}
    risk = next((word for word in words if word in triggers.risk_factors and word not in not_theirs), None)
    site = next((word for word in words if word in triggers.risk_sites and word not in not_theirs), None)
    if risk and site:
        return f"risk factor {risk!r} with {site!r}"
    if len(words) >= triggers.long_message_words:
        symptom = next((word for word in uncovered if word in triggers.symptom_words), None)
        if symptom:
            return f"{LONG_STORY_TRIGGER} {symptom!r} outside any finding"
    return None
