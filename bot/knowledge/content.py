"""Typed records for the clinical content, as read from the YAML files in this package.

The records are pydantic models, so their types are the schema: bot/knowledge/schema.py reads each
file into them and reports every problem by file, entry and field. Each record checks only itself;
checks that need the vocabularies of the profile or another file live in schema.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, FrozenSet, Optional, Tuple

from pydantic import BaseModel, Extra, StrictInt, root_validator, validator

from bot.knowledge.vocabulary import (
    EMERGENCY_PLACEHOLDER,
    EXERCISE_TARGETS,
    MATCH_DIMENSIONS,
    POSITIONS,
    PROFILE_TAGS,
)
from bot.levels import TriageLevel

# Whole-number weights a cause gives to each profile fact it matches.
MAX_WEIGHT = 5
# Dosing limits per kind: (min, max) for each field, None when the field must be absent. Stretch
# and strength limits are the ACSM guidelines in shared/clinical.md.
DOSING_LIMITS: dict[str, dict[str, Optional[tuple[int, int]]]] = {
    "stretch": {"hold_seconds": (10, 30), "sets": None, "reps": (2, 4)},
    "balance": {"hold_seconds": (10, 30), "sets": None, "reps": (2, 4)},
    "strength": {"hold_seconds": (1, 10), "sets": (2, 3), "reps": (8, 15)},
    "mobility": {"hold_seconds": (1, 10), "sets": (2, 3), "reps": (8, 15)},
}
REQUIRED_DOSING = {
    "stretch": ("hold_seconds", "reps"),
    "balance": ("hold_seconds", "reps"),
    "strength": ("sets", "reps"),
    "mobility": ("sets", "reps"),
}
SIDES = ("each", "alternate")


if TYPE_CHECKING:  # to the type checker both are plain text; pydantic runs their checks
    Text = str
    EmergencyText = str
else:

    class Text(str):
        """Stripped, non-empty text without braces: Rasa reads braces in responses as slot names."""

        @classmethod
        def __get_validators__(cls):
            yield cls.validate

        @classmethod
        def validate(cls, value: Any) -> str:
            if not isinstance(value, str) or not value.strip():
                raise ValueError("must be non-empty text")
            text = value.strip()
            if "{" in cls.without_placeholder(text) or "}" in cls.without_placeholder(text):
                raise ValueError("must not contain braces (Rasa reads them as slot names)")
            return text

        @staticmethod
        def without_placeholder(text: str) -> str:
            return text

    class EmergencyText(Text):
        """The emergency message: must name the number to call, filled in by the caller."""

        @classmethod
        def validate(cls, value: Any) -> str:
            text = super().validate(value)
            if EMERGENCY_PLACEHOLDER not in text:
                raise ValueError(f"must contain {EMERGENCY_PLACEHOLDER}")
            return text

        @staticmethod
        def without_placeholder(text: str) -> str:
            return text.replace(EMERGENCY_PLACEHOLDER, "")


def _known_tags(value: FrozenSet[str], allowed: frozenset[str]) -> FrozenSet[str]:
    unknown = sorted(value - allowed)
    if unknown:
        raise ValueError(f"has unknown tag(s) {unknown}; allowed: {sorted(allowed)}")
    return value


class Record(BaseModel):
    """Not changed after load (frozen; its mappings are shared, not copied), and strict about field
    names: an unknown field is usually a typo ("sorce")."""

    class Config:
        extra = Extra.forbid
        frozen = True


class Note(Record):
    """A piece of user-facing text: a topic answer, a message or a rule."""

    id: Text
    text: Text
    source: Text
    topic: Optional[Text] = None
    # For a way of hurting (vocabulary.PAIN_STORY_TOPICS): the sentence said when a person describes it.
    hint: Optional[Text] = None


class LevelMessage(Record):
    text: Text
    source: Text


class EmergencyMessage(LevelMessage):
    text: EmergencyText


class Matches(Record):
    """Profile facts that point to a cause, each with a weight: dimension -> profile value -> weight."""

    locations: Dict[str, StrictInt] = {}
    symptoms: Dict[str, StrictInt] = {}
    activities: Dict[str, StrictInt] = {}
    onsets: Dict[str, StrictInt] = {}

    @validator("*")
    def _known_and_weighted(cls, weights: Dict[str, int], field: Any) -> Dict[str, int]:  # noqa: N805
        allowed = MATCH_DIMENSIONS[field.name]
        for tag, weight in weights.items():
            if tag not in allowed:
                raise ValueError(f"has unknown tag {tag!r}; allowed: {sorted(allowed)}")
            if not 1 <= weight <= MAX_WEIGHT:
                raise ValueError(f"weight of {tag!r} must be a whole number 1-{MAX_WEIGHT}, got {weight!r}")
        return weights

    def items(self) -> list[tuple[str, Dict[str, int]]]:
        return [(dimension, weights) for dimension, weights in self.dict().items() if weights]


class Cause(Record):
    """A possible contributor to the pain; Poplit names it as a possibility, never a diagnosis."""

    id: Text
    name: Text
    possibility: Text  # one sentence for the advice, phrased as "could be"
    summary: Text  # the topic answer
    matches: Matches
    exercise_targets: FrozenSet[str]
    source: Text
    topic: Optional[Text] = None

    @validator("matches")
    def _matches_something(cls, matches: Matches) -> Matches:  # noqa: N805
        if not matches.items():
            raise ValueError("must match at least one profile tag")
        return matches

    @validator("exercise_targets")
    def _targets(cls, value: FrozenSet[str]) -> FrozenSet[str]:  # noqa: N805
        if not value:
            raise ValueError("must name at least one exercise target")
        return _known_tags(value, EXERCISE_TARGETS)


class Treatment(Record):
    id: Text
    name: Text
    advice: Text  # one line for the advice list
    summary: Text = ""  # the topic answer; needed only when the treatment has a topic
    levels: FrozenSet[TriageLevel]  # the levels at which the advice offers it
    for_causes: FrozenSet[str] = frozenset()  # offered only when one of these is a contributor; empty = always
    avoid_when: FrozenSet[str] = frozenset()
    source: Text
    topic: Optional[Text] = None

    @validator("avoid_when")
    def _avoid(cls, value: FrozenSet[str]) -> FrozenSet[str]:  # noqa: N805
        return _known_tags(value, PROFILE_TAGS)

    @root_validator(skip_on_failure=True)
    def _answered(cls, values: dict[str, Any]) -> dict[str, Any]:  # noqa: N805
        if values.get("topic") and not values.get("summary"):
            raise ValueError("a treatment with a topic needs a summary to answer it")
        return values


Range = Tuple[int, int]


class Dosing(Record):
    kind: str  # stretch, strength, mobility or balance: decides which limits apply
    reps: Optional[Range] = None
    sets: Optional[Range] = None
    hold_seconds: Optional[Range] = None
    sides: Optional[str] = None  # "each" leg in turn, or "alternate" legs
    frequency: str  # a key of the exercises file's `frequencies`

    @validator("kind")
    def _kind(cls, kind: str) -> str:  # noqa: N805
        if kind not in DOSING_LIMITS:
            raise ValueError(f"must be one of {sorted(DOSING_LIMITS)}, got {kind!r}")
        return kind

    @validator("reps", "sets", "hold_seconds", pre=True)
    def _within_limits(cls, value: Any, values: dict[str, Any], field: Any) -> Optional[Range]:  # noqa: N805
        """A number or a [min, max] pair of whole numbers, within the limits for the kind."""
        if value is None:
            return None
        pair = [value, value] if isinstance(value, int) and not isinstance(value, bool) else value
        if not (isinstance(pair, list) and len(pair) == 2 and all(type(n) is int for n in pair)):
            raise ValueError(f"must be a whole number or [min, max], got {value!r}")
        kind = values.get("kind")
        if kind not in DOSING_LIMITS:
            return (pair[0], pair[1])
        limits = DOSING_LIMITS[kind][field.name]
        if limits is None:
            raise ValueError(f"does not apply to a {kind}")
        low, high = pair
        if low > high or low < limits[0] or high > limits[1]:
            raise ValueError(f"is {value!r}, outside {limits[0]}-{limits[1]} or with min > max")
        return (low, high)

    @validator("sides")
    def _sides(cls, sides: Optional[str]) -> Optional[str]:  # noqa: N805
        if sides is not None and sides not in SIDES:
            raise ValueError(f"must be one of {list(SIDES)}, got {sides!r}")
        return sides

    @root_validator(skip_on_failure=True)
    def _required_for_kind(cls, values: dict[str, Any]) -> dict[str, Any]:  # noqa: N805
        missing = [name for name in REQUIRED_DOSING[values["kind"]] if values[name] is None]
        if missing:
            raise ValueError(f"needs {' and '.join(missing)} for a {values['kind']}")
        return values

    @property
    def reps_range(self) -> Range:
        return self.reps or (0, 0)


def _span(values: Range) -> str:
    low, high = values
    return str(low) if low == high else f"{low}-{high}"


def dose_in_words(dosing: Dosing) -> str:
    """How much, e.g. "hold 10-30 seconds, 2-4 times on each leg" or "2-3 sets of 8-15 on each leg"."""
    on_each_leg = " on each leg" if dosing.sides == "each" else ""
    alternate = "alternate legs, " if dosing.sides == "alternate" else ""
    if dosing.sets:
        holding = f", holding each for {_span(dosing.hold_seconds)} seconds" if dosing.hold_seconds else ""
        return f"{alternate}{_span(dosing.sets)} sets of {_span(dosing.reps_range)}{on_each_leg}{holding}"
    hold = f"hold {_span(dosing.hold_seconds)} seconds, " if dosing.hold_seconds else ""
    return f"{hold}{alternate}{_span(dosing.reps_range)} times{on_each_leg}"


class Exercise(Record):
    id: Text
    name: Text
    summary: Text  # one sentence saying what the movement is
    aliases: Tuple[Text, ...]  # how people name it, for questions about it
    feel: Text  # what the person should feel
    easier: Text
    harder: Text
    steps: Tuple[Text, ...]
    position: str
    dosing: Dosing
    targets: FrozenSet[str]
    avoid_when: FrozenSet[str] = frozenset()
    source: Text
    topic: Optional[Text] = None
    # How often, in words ("in each movement break"): the file's `frequencies` entry for the dosing,
    # filled in by schema.py, which sees the whole file.
    frequency_text: str = ""

    @validator("aliases", "steps")
    def _not_empty(cls, value: Tuple[str, ...]) -> Tuple[str, ...]:  # noqa: N805
        if not value:
            raise ValueError("must be a non-empty list of texts")
        return value

    @validator("position")
    def _position(cls, position: str) -> str:  # noqa: N805
        if position not in POSITIONS:
            raise ValueError(f"must be one of {sorted(POSITIONS)}")
        return position

    @validator("targets")
    def _targets(cls, value: FrozenSet[str]) -> FrozenSet[str]:  # noqa: N805
        if not value:
            raise ValueError("must name at least one target")
        return _known_tags(value, EXERCISE_TARGETS)

    @validator("avoid_when", always=True)
    def _avoid(cls, value: FrozenSet[str], values: dict[str, Any]) -> FrozenSet[str]:  # noqa: N805
        _known_tags(value, PROFILE_TAGS)
        if values.get("position") == "standing" and "cannot_bear_weight" not in value:
            raise ValueError("must include cannot_bear_weight for a standing exercise")
        return value

    @property
    def dose_text(self) -> str:
        """How much, in words: "hold 10 seconds, alternate legs, 2-4 times"."""
        return dose_in_words(self.dosing)

    @property
    def dosing_text(self) -> str:
        return f"{self.dose_text}, {self.frequency_text}"

    @property
    def how_to(self) -> str:
        """What it is, its steps and its dose: the answer to "how do I do it?"."""
        steps = "\n".join(f"- {step}" for step in self.steps)
        return f"{self.summary}\n{steps}\n{_sentence(self.dosing_text)}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


class WarningSign(Record):
    id: Text  # the matching triage rule id (clinical.md), so the two lists can be compared
    text: Text
    source: Text


class WhenToSeeDoctor(Record):
    intro: Text
    signs: Tuple[WarningSign, ...]
    emergency_intro: Text
    emergency_signs: Tuple[WarningSign, ...]
    source: Text

    @property
    def text(self) -> str:
        lines = [self.intro, *(f"- {sign.text}" for sign in self.signs), self.emergency_intro]
        lines += [f"- {sign.text}" for sign in self.emergency_signs]
        return "\n".join(lines)
