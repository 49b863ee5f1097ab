"""Reads the knowledge YAML files into typed records, checking every field on the way.

All problems are collected and raised together as one KnowledgeError, each naming the file, the
entry and the field, so a clinician editing the YAML sees everything to fix in one go.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from bot.knowledge.content import (
    Cause,
    Dosing,
    Exercise,
    Note,
    Treatment,
    WarningSign,
    WhenToSeeDoctor,
)
from bot.knowledge.vocabulary import (
    EMERGENCY_PLACEHOLDER,
    EXERCISE_TARGETS,
    MATCH_DIMENSIONS,
    POSITIONS,
    PROFILE_TAGS,
    RETRIEVAL_TOPIC_KEYS,
)
from bot.levels import TriageLevel

FILES = ("causes.yml", "treatments.yml", "exercises.yml", "prevention.yml", "messages.yml")
# Notes the code relies on by id.
REQUIRED_NOTES = (
    "disclaimer",
    "exercise_on_hold",
    "reminder_urgent",
    "reminder_emergency",
    "when_to_get_help",
    "pain_ok",
)
MAX_WEIGHT = 5

# Dosing limits per kind: (min, max) for each field, None when the field must be absent. Stretch
# and strength limits are the ACSM guidelines in shared/clinical.md.
_HOLD, _SETS, _REPS = "hold_seconds", "sets", "reps"
DOSING_LIMITS: dict[str, dict[str, tuple[int, int] | None]] = {
    "stretch": {_HOLD: (10, 30), _SETS: None, _REPS: (2, 4)},
    "balance": {_HOLD: (10, 30), _SETS: None, _REPS: (2, 4)},
    "strength": {_HOLD: (1, 10), _SETS: (2, 3), _REPS: (8, 15)},
    "mobility": {_HOLD: (1, 10), _SETS: (2, 3), _REPS: (8, 15)},
}
REQUIRED_DOSING = {
    "stretch": (_HOLD, _REPS),
    "balance": (_HOLD, _REPS),
    "strength": (_SETS, _REPS),
    "mobility": (_SETS, _REPS),
}
SIDES = ("each", "alternate")

T = TypeVar("T")


class KnowledgeError(ValueError):
    """The knowledge files break the schema; `problems` lists each one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid knowledge files:\n" + "\n".join(f"- {problem}" for problem in problems))


@dataclass(frozen=True)
class Content:
    """Everything the YAML files hold, checked."""

    min_score: int
    causes: tuple[Cause, ...]
    treatments: tuple[Treatment, ...]
    exercises: tuple[Exercise, ...]
    starters: tuple[str, ...]
    profile_targets: Mapping[str, frozenset[str]]
    notes: Mapping[str, Note]
    level_messages: Mapping[TriageLevel, Note]
    when_to_see_doctor: WhenToSeeDoctor


class _Entry:
    """One mapping in a file; its getters record a problem and return a harmless default."""

    def __init__(self, problems: list[str], where: str, data: Any) -> None:
        self.problems = problems
        self.where = where
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        self.used: set[str] = set()
        if not isinstance(data, dict):
            self.problem(f"must be a mapping, got {type(data).__name__}")

    def problem(self, message: str, field: str | None = None) -> None:
        self.problems.append(f"{self.where}: " + (f"field '{field}' {message}" if field else message))

    def value(self, field: str, required: bool) -> Any:
        self.used.add(field)
        if field not in self.data or self.data[field] is None:
            if required:
                self.problem("is missing", field)
            return None
        return self.data[field]

    def text(self, field: str, required: bool = True, placeholder: str | None = None) -> str:
        """Stripped text; braces only as `placeholder`, since Rasa reads braces in responses as slots."""
        value = self.value(field, required)
        if value is None:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.problem("must be non-empty text", field)
            return ""
        text = value.strip()
        if placeholder is not None and placeholder not in text:
            self.problem(f"must contain {placeholder}", field)
        without_placeholder = text.replace(placeholder, "") if placeholder else text
        if "{" in without_placeholder or "}" in without_placeholder:
            self.problem("must not contain braces (Rasa reads them as slot names)", field)
        return text

    def texts(self, field: str) -> tuple[str, ...]:
        value = self.value(field, True)
        if value is None:
            return ()
        if not isinstance(value, list) or not value or not all(isinstance(item, str) and item.strip() for item in value):
            self.problem("must be a non-empty list of texts", field)
            return ()
        return tuple(item.strip() for item in value)

    def tags(self, field: str, allowed: frozenset[str], required: bool = False) -> frozenset[str]:
        value = self.value(field, required)
        if value is None:
            return frozenset()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.problem("must be a list of tags", field)
            return frozenset()
        unknown = sorted(set(value) - allowed)
        if unknown:
            self.problem(f"has unknown tag(s) {unknown}; allowed: {sorted(allowed)}", field)
        return frozenset(value) & allowed

    def entries(self, field: str, required: bool = True) -> list[Any]:
        value = self.value(field, required)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem("must be a list", field)
            return []
        return value

    def mapping(self, field: str) -> dict[str, Any]:
        value = self.value(field, True)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem("must be a mapping", field)
            return {}
        return value

    def source(self) -> str:
        return self.text("source")

    def finish(self) -> None:
        """Unknown fields are usually typos ('sorce'); silently ignoring them would drop content."""
        for field in sorted(set(self.data) - self.used):
            self.problem("is not a known field", field)


def _entry_id(entry: Any, index: int) -> str:
    if isinstance(entry, dict) and isinstance(entry.get("id"), str):
        return entry["id"]
    return f"#{index + 1}"


def _each(file: _Entry, field: str, parse: Callable[[_Entry], T], required: bool = True) -> list[T]:
    parsed = []
    for index, data in enumerate(file.entries(field, required)):
        entry = _Entry(file.problems, f"{file.where}: {field}[{_entry_id(data, index)}]", data)
        parsed.append(parse(entry))
        entry.finish()
    return parsed


def _range(entry: _Entry, field: str, value: Any, limits: tuple[int, int]) -> tuple[int, int] | None:
    """A number or a [min, max] pair of whole numbers within `limits`."""
    pair = [value, value] if isinstance(value, int) and not isinstance(value, bool) else value
    if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(n, int) and not isinstance(n, bool) for n in pair)):
        entry.problem(f"must be a whole number or [min, max], got {value!r}", f"dosing.{field}")
        return None
    low, high = pair
    if low > high or low < limits[0] or high > limits[1]:
        entry.problem(f"is {value!r}, outside {limits[0]}-{limits[1]} or with min > max", f"dosing.{field}")
        return None
    return (low, high)


def _dosing(entry: _Entry, frequencies: Mapping[str, str]) -> Dosing:
    data = entry.mapping("dosing")
    kind = data.get("kind")
    if kind not in DOSING_LIMITS:
        entry.problem(f"must be one of {sorted(DOSING_LIMITS)}, got {kind!r}", "dosing.kind")
        return Dosing(kind="stretch", reps=(0, 0), frequency="")
    limits = DOSING_LIMITS[kind]
    ranges: dict[str, tuple[int, int] | None] = {}
    for field, allowed in limits.items():
        if field not in data:
            if field in REQUIRED_DOSING[kind]:
                entry.problem(f"is missing (needed for a {kind})", f"dosing.{field}")
            ranges[field] = None
        elif allowed is None:
            entry.problem(f"does not apply to a {kind}", f"dosing.{field}")
            ranges[field] = None
        else:
            ranges[field] = _range(entry, field, data[field], allowed)
    sides = data.get("sides")
    if sides is not None and sides not in SIDES:
        entry.problem(f"must be one of {list(SIDES)}, got {sides!r}", "dosing.sides")
    frequency = data.get("frequency")
    if frequency not in frequencies:
        entry.problem(f"must be one of {sorted(frequencies)}, got {frequency!r}", "dosing.frequency")
    unknown = sorted(set(data) - set(limits) - {"kind", "sides", "frequency"})
    if unknown:
        entry.problem(f"has unknown key(s) {unknown}; allowed: kind, sides, frequency, {', '.join(limits)}", "dosing")
    return Dosing(
        kind=kind,
        reps=ranges[_REPS] or (0, 0),
        frequency=str(frequency),
        sets=ranges[_SETS],
        hold_seconds=ranges[_HOLD],
        sides=sides,
    )


def _span(values: tuple[int, int]) -> str:
    low, high = values
    return str(low) if low == high else f"{low}-{high}"


def dose_in_words(dosing: Dosing) -> str:
    """How much, e.g. "hold 10-30 seconds, 2-4 times on each leg" or "2-3 sets of 8-15 on each leg"."""
    on_each_leg = " on each leg" if dosing.sides == "each" else ""
    alternate = "alternate legs, " if dosing.sides == "alternate" else ""
    if dosing.sets:
        holding = f", holding each for {_span(dosing.hold_seconds)} seconds" if dosing.hold_seconds else ""
        return f"{alternate}{_span(dosing.sets)} sets of {_span(dosing.reps)}{on_each_leg}{holding}"
    hold = f"hold {_span(dosing.hold_seconds)} seconds, " if dosing.hold_seconds else ""
    return f"{hold}{alternate}{_span(dosing.reps)} times{on_each_leg}"


def _note(entry: _Entry) -> Note:
    topic = entry.text("topic", required=False) or None
    return Note(id=entry.text("id"), text=entry.text("text"), source=entry.source(), topic=topic)


def _matches(entry: _Entry) -> dict[str, dict[str, int]]:
    data = entry.mapping("matches")
    matches: dict[str, dict[str, int]] = {}
    for dimension, weights in data.items():
        if dimension not in MATCH_DIMENSIONS:
            entry.problem(f"has unknown dimension {dimension!r}; allowed: {sorted(MATCH_DIMENSIONS)}", "matches")
            continue
        if not isinstance(weights, dict):
            entry.problem("must map tags to weights", f"matches.{dimension}")
            continue
        allowed = MATCH_DIMENSIONS[dimension]
        for tag, weight in weights.items():
            if tag not in allowed:
                entry.problem(f"has unknown tag {tag!r}; allowed: {sorted(allowed)}", f"matches.{dimension}")
            elif not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= MAX_WEIGHT:
                entry.problem(f"weight must be a whole number 1-{MAX_WEIGHT}, got {weight!r}", f"matches.{dimension}.{tag}")
            else:
                matches.setdefault(dimension, {})[tag] = weight
    if not matches:
        entry.problem("must match at least one profile tag", "matches")
    return matches


def _cause(entry: _Entry) -> Cause:
    return Cause(
        id=entry.text("id"),
        topic=entry.text("topic", required=False) or None,
        name=entry.text("name"),
        possibility=entry.text("possibility"),
        summary=entry.text("summary"),
        matches=_matches(entry),
        exercise_targets=entry.tags("exercise_targets", EXERCISE_TARGETS, required=True),
        source=entry.source(),
    )


def _levels(entry: _Entry) -> frozenset[TriageLevel]:
    names = entry.tags("levels", frozenset(level.value for level in TriageLevel), required=True)
    return frozenset(TriageLevel(name) for name in names)


def _treatment(entry: _Entry, cause_ids: frozenset[str]) -> Treatment:
    topic = entry.text("topic", required=False) or None
    return Treatment(
        id=entry.text("id"),
        topic=topic,
        name=entry.text("name"),
        advice=entry.text("advice"),
        summary=entry.text("summary", required=topic is not None),
        levels=_levels(entry),
        for_causes=entry.tags("for_causes", cause_ids),
        avoid_when=entry.tags("avoid_when", PROFILE_TAGS),
        source=entry.source(),
    )


def _exercise(entry: _Entry, frequencies: Mapping[str, str]) -> Exercise:
    position = entry.text("position")
    if position and position not in POSITIONS:
        entry.problem(f"must be one of {sorted(POSITIONS)}", "position")
    avoid_when = entry.tags("avoid_when", PROFILE_TAGS)
    if position == "standing" and "cannot_bear_weight" not in avoid_when:
        entry.problem("must include cannot_bear_weight for a standing exercise", "avoid_when")
    dosing = _dosing(entry, frequencies)
    return Exercise(
        id=entry.text("id"),
        topic=entry.text("topic", required=False) or None,
        name=entry.text("name"),
        summary=entry.text("summary"),
        steps=entry.texts("steps"),
        position=position,
        dosing=dosing,
        dose_text=dose_in_words(dosing),
        frequency_text=frequencies.get(dosing.frequency, ""),
        targets=entry.tags("targets", EXERCISE_TARGETS, required=True),
        avoid_when=avoid_when,
        source=entry.source(),
        aliases=entry.texts("aliases"),
        feel=entry.text("feel"),
        easier=entry.text("easier"),
        harder=entry.text("harder"),
    )


def _sign(entry: _Entry) -> WarningSign:
    return WarningSign(id=entry.text("id"), text=entry.text("text"), source=entry.source())


def _read(directory: Path, name: str, problems: list[str]) -> _Entry:
    path = directory / name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{name}: file is missing from {directory}")
        data = {}
    except yaml.YAMLError as error:
        problems.append(f"{name}: not valid YAML: {error}")
        data = {}
    return _Entry(problems, name, data)


def _targets_of_tags(file: _Entry) -> dict[str, frozenset[str]]:
    """exercises.yml `profile_targets`: profile tag -> the exercise targets it calls for."""
    mapping = _Entry(file.problems, f"{file.where}: profile_targets", file.mapping("profile_targets"))
    result: dict[str, frozenset[str]] = {}
    for tag in mapping.data:
        if tag not in PROFILE_TAGS:
            mapping.problem(f"is not a profile tag; allowed: {sorted(PROFILE_TAGS)}", tag)
        result[tag] = mapping.tags(tag, EXERCISE_TARGETS, required=True)
    return result


def _check_unique(problems: list[str], what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            problems.append(f"{what}: id {item!r} is used twice")
        seen.add(item)


def _check_topics(problems: list[str], topics: list[tuple[str, str]]) -> None:
    """Every retrieval topic is answered exactly once, and nothing claims a topic that doesn't exist."""
    answered: dict[str, str] = {}
    for where, topic in topics:
        if topic not in RETRIEVAL_TOPIC_KEYS:
            problems.append(f"{where}: field 'topic' {topic!r} is not a known topic key")
        elif topic in answered:
            problems.append(f"{where}: field 'topic' {topic!r} is already answered by {answered[topic]}")
        else:
            answered[topic] = where
    for topic in RETRIEVAL_TOPIC_KEYS:
        if topic not in answered:
            problems.append(f"(all files): no entry answers topic {topic!r}")


def read_content(directory: Path) -> Content:
    """The checked content of `directory`; raises KnowledgeError listing every problem found."""
    problems: list[str] = []
    files = {name: _read(directory, name, problems) for name in FILES}

    causes_file = files["causes.yml"]
    min_score = causes_file.value("min_score", True)
    if not isinstance(min_score, int) or isinstance(min_score, bool) or min_score < 1:
        causes_file.problem("must be a whole number of at least 1", "min_score")
        min_score = 1
    causes = _each(causes_file, "causes", _cause)
    cause_ids = frozenset(cause.id for cause in causes)

    treatments = _each(files["treatments.yml"], "treatments", lambda entry: _treatment(entry, cause_ids))

    exercises_file = files["exercises.yml"]
    frequencies_entry = _Entry(problems, "exercises.yml: frequencies", exercises_file.mapping("frequencies"))
    frequencies = {str(key): frequencies_entry.text(key) for key in frequencies_entry.data}
    exercises = _each(exercises_file, "exercises", lambda entry: _exercise(entry, frequencies))
    starters = exercises_file.tags("starters", frozenset(exercise.id for exercise in exercises), required=True)
    starter_order = tuple(item for item in exercises_file.data.get("starters") or [] if item in starters)
    profile_targets = _targets_of_tags(exercises_file)

    notes = [note for file in files.values() for note in _each(file, "notes", _note, required=file.where == "messages.yml")]
    notes_by_id = {note.id: note for note in notes}
    for note_id in REQUIRED_NOTES:
        if note_id not in notes_by_id:
            problems.append(f"(all files): note {note_id!r} is missing")

    messages = files["messages.yml"]
    level_messages: dict[TriageLevel, Note] = {}
    level_data = messages.mapping("level_messages")
    for level in TriageLevel:
        entry = _Entry(problems, f"messages.yml: level_messages[{level.value}]", level_data.get(level.value))
        placeholder = EMERGENCY_PLACEHOLDER if level is TriageLevel.EMERGENCY else None
        level_messages[level] = Note(id=level.value, text=entry.text("text", placeholder=placeholder), source=entry.source())
        entry.finish()
    for unknown in sorted(set(level_data) - {level.value for level in TriageLevel}):
        messages.problem(f"has unknown level {unknown!r}", "level_messages")

    when = _Entry(problems, "messages.yml: when_to_see_doctor", messages.mapping("when_to_see_doctor"))
    when_to_see_doctor = WhenToSeeDoctor(
        intro=when.text("intro"),
        signs=tuple(_each(when, "signs", _sign)),
        emergency_intro=when.text("emergency_intro"),
        emergency_signs=tuple(_each(when, "emergency_signs", _sign)),
        source=when.source(),
    )
    when.finish()

    _check_unique(problems, "causes.yml: causes", [cause.id for cause in causes])
    _check_unique(problems, "treatments.yml: treatments", [treatment.id for treatment in treatments])
    _check_unique(problems, "exercises.yml: exercises", [exercise.id for exercise in exercises])
    _check_unique(problems, "notes", [note.id for note in notes])
    _check_topics(
        problems,
        [(f"causes.yml: causes[{item.id}]", item.topic) for item in causes if item.topic]
        + [(f"treatments.yml: treatments[{item.id}]", item.topic) for item in treatments if item.topic]
        + [(f"exercises.yml: exercises[{item.id}]", item.topic) for item in exercises if item.topic]
        + [(f"notes[{item.id}]", item.topic) for item in notes if item.topic],
    )
    for file in files.values():
        file.finish()
    if problems:
        raise KnowledgeError(problems)
    return Content(
        min_score=min_score,
        causes=tuple(causes),
        treatments=tuple(treatments),
        exercises=tuple(exercises),
        starters=starter_order,
        profile_targets=profile_targets,
        notes=notes_by_id,
        level_messages=level_messages,
        when_to_see_doctor=when_to_see_doctor,
    )
