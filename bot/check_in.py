"""A follow-up check-in's answers, read from what the person typed or tapped: pain now (0-10),
better / same / worse, exercises done, and anything new. Scores come from the one number reader
(bot.numbers); words from the tables below, with a negation in front turning them around
("not better" is the same, not better). Red flags in any answer are the safety net's job: every
message is screened by RedFlagPolicy before this runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from bot.numbers import parse_pain_score
from bot.triage.annotation import MessageReading

# The check-in's questions, in the order they are asked (domain.yml: check_in_form).
CHECK_IN_SLOTS = ("checkin_pain", "checkin_change", "checkin_exercises", "checkin_new")
NOT_SURE = "unknown"
MAX_TIMES_ASKED = 2

_NEGATION = r"(?:not|no|isn't|isnt|hasn't|hasnt|haven't|havent|never|nothing)\s+(?:\w+\s+)?"
CHANGE_WORDS = {
    "better": r"better|improv\w*|easier|less (?:pain|sore|painful)|eas(?:ed|ing)|settl\w+|good",
    "worse": r"worse|more (?:pain|sore|painful)|flar\w+|getting bad|bad(?:der)?",
    "same": r"same|no change|unchanged|no different|similar|about the same|nothing changed|so-so|meh|still (?:sore|hurts|aching)",
}
EXERCISE_WORDS = {
    "yes": r"yes|yeah|yep|every ?day|daily|most days|all of them|done them|did them|i have|kept up",
    "some": r"some|a few|sometimes|a couple|on and off|here and there|now and then|partly",
    "no": r"^no\b|none|not really|didn't|did not|haven't|have not|skipped|forgot|no time",
}
NOTHING_NEW = r"^(?:no|nope|none|nothing(?: new)?|not really|all good|no new\w*|nothing else)\b"


@dataclass(frozen=True)
class CheckInAnswers:
    pain: Optional[int] = None
    change: Optional[str] = None
    exercises: Optional[str] = None
    new_signs: Optional[str] = None


def _negated(text: str, start: int) -> bool:
    return re.search(_NEGATION + r"$", text[:start]) is not None


def read_change(text: str) -> Optional[str]:
    """better / same / worse, from words; a negated "better" is "same", a negated "worse" is "same"."""
    lowered = text.lower()
    for change in ("worse", "better", "same"):
        match = re.search(rf"\b(?:{CHANGE_WORDS[change]})\b", lowered)
        if match:
            if change != "same" and _negated(lowered, match.start()):
                return "same"
            return change
    return None


def read_exercises(text: str) -> Optional[str]:
    lowered = text.lower().strip()
    for answer in ("no", "some", "yes"):
        if re.search(rf"(?:{EXERCISE_WORDS[answer]})", lowered):
            return answer
    return None


def read_new_signs(text: str) -> Optional[str]:
    """None when the person says nothing is new; else their own words (kept as a note)."""
    stripped = text.strip()
    if re.search(NOTHING_NEW, stripped.lower()):
        return None
    return stripped


def read_answer(slot: str, message: MessageReading) -> Optional[str]:
    """The value for `slot` in the message (read in its normalised text: "beter", "abit worse"), or
    None when it does not answer it; a new sign is kept in the person's own words."""
    text = message.normalised
    if re.search(r"\b(?:not sure|don't know|dont know|no idea|unsure)\b", text.lower()):
        return NOT_SURE
    if slot == "checkin_pain":
        score = parse_pain_score(text)
        return str(int(round(score))) if score is not None and 0 <= score <= 10 else None
    if slot == "checkin_change":
        return read_change(text)
    if slot == "checkin_exercises":
        return read_exercises(text)
    if slot == "checkin_new":
        return "none" if read_new_signs(text) is None else message.text.strip() or "none"
    raise ValueError(f"not a check-in question: {slot}")


def read_opening(message: MessageReading) -> dict[str, str]:
    """What a person's own check-in message already says ("it's been a week, still sore, about a 5")."""
    text = message.normalised
    found: dict[str, str] = {}
    score = parse_pain_score(text)
    if score is not None and 0 <= score <= 10:
        found["checkin_pain"] = str(int(round(score)))
    change = read_change(text)
    if change:
        found["checkin_change"] = change
    return found
