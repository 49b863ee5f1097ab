"""The symptom intake: its questions, how free-text answers are read, and the resulting profile.

Everything here is plain data in, plain data out, so the Rasa form in actions/ stays thin.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Sequence

from bot.numbers import parse_duration_days, parse_pain_score
from bot.profile import LOCATIONS, SymptomProfile

UNKNOWN = "unknown"

# Order in which the intake asks; it skips whatever earlier messages already answered.
INTAKE_SLOTS = (
    "pain_location",
    "pain_onset",
    "pain_duration",
    "pain_score",
    "swelling",
    "mechanical_symptoms",
    "weight_bearing",
)


@dataclass(frozen=True)
class Entity:
    """An entity as NLU found it: type, canonical value and the text it came from."""

    entity: str
    value: str
    text: str = ""


_DONT_KNOW = re.compile(
    r"\b(not sure|unsure|don'?t know|dont know|do not know|no idea|dunno|can'?t (?:say|tell|remember)|"
    r"hard to say|no clue|not certain)\b",
    re.I,
)
_LOCATION_WORDS = (
    ("behind_kneecap", r"\b(behind|under|around|underneath) (?:the |my )?knee ?cap|patella|front of (?:the |my )?knee"),
    ("calf", r"\bcal(f|ves)\b"),
    ("hamstring", r"\bham(string|strings|my)?\b|back of (?:the |my )?thigh"),
    ("back_of_knee", r"\b(back|behind|rear|hollow|crease|pit)\b.*\bknee|knee ?pit|popliteal|\bback of (?:the |my )?knee\b"),
)
_INJURY_WORDS = re.compile(
    r"\b(injur\w*|fell|fall|fallen|twist\w*|tackl\w*|hit|knock\w*|bang\w*|kick\w*|collid\w*|crash\w*|"
    r"accident|dashboard|popped|landed|slipped|tripped|blow|impact|wrench\w*)\b",
    re.I,
)
_GRADUAL_WORDS = re.compile(
    r"\b(gradual\w*|slowly|over time|crept|creep\w*|built up|build up|building up|came on|no reason|"
    r"out of nowhere|on its own|by itself|just started|got worse over|bit by bit|overuse|"
    r"nothing happened|no injury|wasn'?t an injury)\b",
    re.I,
)
_NO_WORDS = re.compile(r"^\s*(no|nope|nah|not really|none|not at all|n)\b|\bno swelling\b|\bnot swollen\b|"
                       r"\bnone of (?:these|those|them)\b|\bneither\b|\bnothing like that\b", re.I)
_YES_WORDS = re.compile(r"^\s*(yes|yeah|yep|yup|y|definitely|a bit|a little|slightly|kind of|sort of)\b|"
                        r"\b(swollen|swelling|puffy|puffed|ballooned|bigger|fat|fluid)\b", re.I)
_MECHANICAL_WORDS = (
    ("locking", re.compile(r"\b(lock\w*|stuck|jam\w*|won'?t straighten|can'?t straighten)\b", re.I)),
    ("catching", re.compile(r"\b(catch\w*|click\w*|clunk\w*)\b", re.I)),
    ("giving_way", re.compile(r"\b(giv\w* way|gave way|giv\w* out|gave out|buckl\w*|collaps\w*|"
                              r"goes from under|unstable|wobbly)\b", re.I)),
)
_WEIGHT_BEARING_WORDS = (
    ("cannot_bear_weight", re.compile(r"\b(can'?t|cannot|unable to|not able to|couldn'?t)\b.*\b(weight|walk|stand)\b|"
                                      r"\bno weight\b|\bcrutches\b", re.I)),
    ("limping", re.compile(r"\b(limp\w*|hobbl\w*|struggl\w*|difficult\w*|hard to walk|sore to walk|favou?ring)\b", re.I)),
    ("normal", re.compile(r"\b(normal\w*|fine|okay|ok|alright|no problem|walk (?:fine|ok|okay|normally)|"
                          r"can walk|no issues?)\b", re.I)),
)


def says_dont_know(text: str) -> bool:
    return bool(_DONT_KNOW.search(text))


def parse_location(text: str) -> Optional[str]:
    for location, pattern in _LOCATION_WORDS:
        if re.search(pattern, text, re.I):
            return location
    return None


def parse_onset(text: str) -> Optional[str]:
    if _GRADUAL_WORDS.search(text):
        return "gradual"
    if _INJURY_WORDS.search(text):
        return "injury"
    return None


def parse_yes_no(text: str) -> Optional[str]:
    if _NO_WORDS.search(text):
        return "no"
    if _YES_WORDS.search(text):
        return "yes"
    return None


def parse_mechanical(text: str) -> Optional[str]:
    found = [name for name, pattern in _MECHANICAL_WORDS if pattern.search(text)]
    if found:
        return ",".join(found)
    if _NO_WORDS.search(text):
        return "none"
    return None


def parse_weight_bearing(text: str) -> Optional[str]:
    for value, pattern in _WEIGHT_BEARING_WORDS:
        if pattern.search(text):
            return value
    return None


def parse_answer(slot: str, text: str) -> Optional[str]:
    """Reads a free-text answer to the intake question for `slot`; None when it can't be read.

    Canonical values pass through unchanged, so an answer can be parsed twice safely.
    """
    text = text.strip()
    if not text:
        return None
    if text == UNKNOWN or says_dont_know(text):
        return UNKNOWN
    if slot == "pain_location":
        return parse_location(text) or text[:80]  # any description is a valid answer
    if slot == "pain_onset":
        return text if text in ("injury", "gradual") else parse_onset(text)
    if slot == "pain_duration":
        return text[:80] if parse_duration_days(text) is not None or len(text) > 2 else None
    if slot == "pain_score":
        score = parse_pain_score(text)
        return None if score is None else f"{score:g}"
    if slot == "swelling":
        return text if text in ("yes", "no") else parse_yes_no(text)
    if slot == "mechanical_symptoms":
        return parse_mechanical(text)
    if slot == "weight_bearing":
        if text in ("normal", "limping", "cannot_bear_weight"):
            return text
        return parse_weight_bearing(text)
    raise KeyError(f"not an intake slot: {slot}")


def without_excluded_spans(entities: Iterable[Entity], spans: Iterable[tuple[int, int]], starts: Sequence[int]) -> list[Entity]:
    """Drops entities whose text overlaps a span the triage engine found negated, hypothetical,
    about someone else or in the past ("no swelling" must not count as swelling).

    `starts` gives each entity's character offset in its message, in the same order.
    """
    excluded = list(spans)
    kept = []
    for found, start in zip(entities, starts):
        end = start + len(found.text)
        if not any(start < span_end and span_start < end for span_start, span_end in excluded):
            kept.append(found)
    return kept


def prefill_from_entities(entities: Iterable[Entity]) -> dict[str, str]:
    """Intake answers that a free description already gave, read from its NLU entities."""
    answers: dict[str, str] = {}
    mechanical: list[str] = []
    for found in entities:
        if found.entity == "body_location" and found.value:
            location = found.value if found.value in LOCATIONS else parse_location(found.text or found.value)
            if location:
                answers.setdefault("pain_location", location)
        elif found.entity == "pain_score":
            score = parse_pain_score(found.text or found.value)
            if score is not None:
                answers.setdefault("pain_score", f"{score:g}")
        elif found.entity == "duration":
            answers.setdefault("pain_duration", found.text or found.value)
        elif found.entity == "activity" and found.value == "blow_to_knee":
            answers.setdefault("pain_onset", "injury")
        elif found.entity == "symptom":
            if found.value == "swelling":
                answers.setdefault("swelling", "yes")
            elif found.value in ("locking", "catching", "giving_way") and found.value not in mechanical:
                mechanical.append(found.value)
    if mechanical:
        answers["mechanical_symptoms"] = ",".join(mechanical)
    return answers


def retry_hint(slot: str) -> str:
    """What to say when an answer could not be read, before the question is asked again."""
    hints = {
        "pain_onset": "I didn't catch how it started. A few words are enough, like \"I twisted it\" or \"it came on slowly\".",
        "pain_duration": "Roughly how long is fine, like \"4 days\" or \"a few months\".",
        "pain_score": "I need a number from 0 to 10 here, or say \"not sure\".",
        "swelling": "A yes, no or not sure is all I need.",
        "mechanical_symptoms": "You can answer \"locks\", \"catches\", \"gives way\", \"none of these\" or \"not sure\".",
        "weight_bearing": "For example \"walking normally\", \"limping\" or \"can't put weight on it\".",
    }
    return hints.get(slot, "Sorry, I didn't catch that.")


def build_profile(slots: Mapping[str, Optional[str]], entities: Sequence[Entity]) -> SymptomProfile:
    """The profile from the intake answers plus everything the person's messages mentioned."""

    def known(name: str) -> Optional[str]:
        value = slots.get(name)
        return None if value in (None, "", UNKNOWN) else str(value)

    symptoms = {found.value for found in entities if found.entity == "symptom" and found.value}
    activities = {found.value for found in entities if found.entity == "activity" and found.value}
    sides = [found.value for found in entities if found.entity == "side" and found.value]
    mechanical = {value for value in (known("mechanical_symptoms") or "").split(",") if value and value != "none"}
    swelling = known("swelling")
    # A direct answer to the intake question outranks a word picked up earlier.
    if swelling == "yes":
        symptoms.add("swelling")
    elif swelling == "no":
        symptoms.discard("swelling")
    if known("mechanical_symptoms") == "none":
        symptoms -= {"locking", "catching", "giving_way"}
    symptoms |= mechanical
    score_text = known("pain_score")
    duration_text = known("pain_duration")
    return SymptomProfile(
        location=known("pain_location"),
        side=sides[-1] if sides else None,
        symptoms=frozenset(symptoms),
        activities=frozenset(activities),
        onset=known("pain_onset"),
        duration_text=duration_text,
        duration_days=parse_duration_days(duration_text) if duration_text else None,
        pain_score=float(score_text) if score_text else None,
        swelling=swelling,
        mechanical=frozenset(mechanical),
        weight_bearing=known("weight_bearing"),
    )


_LOCATION_PHRASES = {
    "back_of_knee": "at the back of your {side}knee",
    "behind_kneecap": "behind or around your {side}kneecap",
    "calf": "in your {side}calf, just below the knee",
    "hamstring": "in the back of your {side}thigh",
}
_MECHANICAL_NAMES = {"locking": "locking", "catching": "catching", "giving_way": "giving way"}
_WEIGHT_NAMES = {
    "normal": "you're walking normally",
    "limping": "you're limping",
    "cannot_bear_weight": "you can't put weight on the leg",
}


def summarize(profile: SymptomProfile) -> str:
    """A short read-back of what the person reported, so they can spot a misunderstanding."""
    side = f"{profile.side} " if profile.side in ("left", "right") else ""
    if profile.location in _LOCATION_PHRASES:
        parts = ["pain " + _LOCATION_PHRASES[profile.location].format(side=side)]
    elif profile.location:
        parts = [f"pain in your {side}leg, where you described it as \"{profile.location}\""]
    else:
        parts = [f"pain in your {side}knee"]
    if profile.onset == "injury":
        parts.append("which started after an injury")
    elif profile.onset == "gradual":
        parts.append("which came on gradually")
    if profile.duration_text:
        duration = profile.duration_text
        parts.append(duration if duration.lower().startswith(("for ", "since ")) else f"for {duration}")
    if profile.pain_score is not None:
        parts.append(f"about {profile.pain_score:g}/10 right now")
    sentence = "Here's what I understood: " + ", ".join(parts) + "."
    details: list[str] = []
    if profile.swelling == "yes":
        details.append("some swelling")
    elif profile.swelling == "no":
        details.append("no swelling")
    if profile.mechanical:
        details.append(" and ".join(_MECHANICAL_NAMES[m] for m in sorted(profile.mechanical)))
    if details:
        sentence += " You mentioned " + ", ".join(details) + "."
    if profile.weight_bearing in _WEIGHT_NAMES:
        sentence += f" You said {_WEIGHT_NAMES[profile.weight_bearing]}."
    return sentence
