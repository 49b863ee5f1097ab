"""Reads the knowledge YAML files into the typed records of content.py.

Each file's shape is a pydantic model; what one file cannot check alone (a topic answered exactly
once across files, a treatment's causes, an exercise's frequency key) is checked here afterwards.
All problems are collected and raised together as one KnowledgeError, each naming the file, the
entry and the field, so a clinician editing the YAML sees everything to fix in one go.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Tuple, TypeVar

import yaml
from pydantic import BaseModel, StrictInt, ValidationError, validator

from bot.knowledge.content import (
    Cause,
    EmergencyMessage,
    Exercise,
    LevelMessage,
    Note,
    Record,
    Text,
    Treatment,
    WhenToSeeDoctor,
)
from bot.knowledge.vocabulary import EXERCISE_TARGETS, PAIN_STORY_TOPICS, PROFILE_TAGS, RETRIEVAL_TOPIC_KEYS
from bot.levels import TriageLevel

# Notes the code relies on by id.
REQUIRED_NOTES = (
    "disclaimer",
    "exercise_on_hold",
    "reminder_urgent",
    "reminder_emergency",
    "when_to_get_help",
    "pain_ok",
    "pain_story_caveat",
    "questions_after_answer",
)
# Sections that are mappings keyed by name rather than lists of entries with an id.
KEYED_SECTIONS = frozenset({"level_messages", "frequencies", "profile_targets"})

M = TypeVar("M", bound=BaseModel)


class KnowledgeError(ValueError):
    """The knowledge files break the schema; `problems` lists each one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid knowledge files:\n" + "\n".join(f"- {problem}" for problem in problems))


class LevelMessages(Record):
    self_care: LevelMessage
    see_clinician: LevelMessage
    urgent: LevelMessage
    emergency: EmergencyMessage

    def by_level(self) -> dict[TriageLevel, LevelMessage]:
        return {level: getattr(self, level.value) for level in TriageLevel}


class CausesFile(Record):
    min_score: StrictInt
    causes: List[Cause]
    notes: List[Note] = []

    @validator("min_score")
    def _positive(cls, value: int) -> int:  # noqa: N805
        if value < 1:
            raise ValueError("must be a whole number of at least 1")
        return value


class TreatmentsFile(Record):
    treatments: List[Treatment]
    notes: List[Note] = []


class ExercisesFile(Record):
    frequencies: Dict[str, Text]
    profile_targets: Dict[str, FrozenSet[str]]
    starters: Tuple[str, ...]
    exercises: List[Exercise]
    notes: List[Note] = []

    @validator("profile_targets")
    def _known_targets(cls, value: Dict[str, FrozenSet[str]]) -> Dict[str, FrozenSet[str]]:  # noqa: N805
        for tag, targets in value.items():
            if tag not in PROFILE_TAGS:
                raise ValueError(f"{tag!r} is not a profile tag; allowed: {sorted(PROFILE_TAGS)}")
            unknown = sorted(targets - EXERCISE_TARGETS)
            if unknown or not targets:
                raise ValueError(f"{tag!r} has unknown or no target(s) {unknown}; allowed: {sorted(EXERCISE_TARGETS)}")
        return value


class PreventionFile(Record):
    notes: List[Note]


class MessagesFile(Record):
    level_messages: LevelMessages
    when_to_see_doctor: WhenToSeeDoctor
    notes: List[Note]


FILES: dict[str, type[Record]] = {
    "causes.yml": CausesFile,
    "treatments.yml": TreatmentsFile,
    "exercises.yml": ExercisesFile,
    "prevention.yml": PreventionFile,
    "messages.yml": MessagesFile,
}


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
    level_messages: Mapping[TriageLevel, LevelMessage]
    when_to_see_doctor: WhenToSeeDoctor


_PYDANTIC_WORDING = {"field required": "is missing", "extra fields not permitted": "is not a known field"}


def _node(raw: Any, loc: Sequence[Any]) -> Any:
    for part in loc:
        try:
            raw = raw[part]
        except (KeyError, IndexError, TypeError):
            return None
    return raw


def _entry_id(raw: Any, loc: Sequence[Any]) -> str:
    """The entry at `loc` in the raw file named by its id, else by its position (1-based)."""
    node = _node(raw, loc)
    if isinstance(node, dict) and isinstance(node.get("id"), str):
        return str(node["id"])
    return f"#{loc[-1] + 1}"


def _problem(file: str, raw: Any, loc: Sequence[Any], message: str) -> str:
    """'causes.yml: causes[bakers_cyst]: field 'source' is missing' from pydantic's error location:
    the entry is the innermost list item that is a mapping (or a key of a keyed section), the field
    is the rest, without positions inside it."""
    loc = [part for part in loc if part != "__root__"]
    entries = [at for at, part in enumerate(loc) if isinstance(part, int) and isinstance(_node(raw, loc[: at + 1]), dict)]
    if entries:
        at = entries[-1]
        entry = ": ".join(map(str, loc[: at - 1])) + (": " if at > 1 else "") + f"{loc[at - 1]}[{_entry_id(raw, loc[: at + 1])}]"
        field = loc[at + 1 :]
    elif len(loc) >= 2 and loc[0] in KEYED_SECTIONS:
        entry, field = f"{loc[0]}[{loc[1]}]", loc[2:]
    elif len(loc) >= 2 and not isinstance(loc[1], int):
        entry, field = str(loc[0]), loc[1:]
    else:
        entry, field = "", loc
    message = _PYDANTIC_WORDING.get(message, message)
    where = f"{file}: {entry}" if entry else file
    named = ".".join(str(part) for part in field if not isinstance(part, int))
    return f"{where}: field '{named}' {message}" if named else f"{where}: {message}"


def _parse(file: str, model: type[M], raw: Any, problems: list[str]) -> Optional[M]:
    try:
        return model.parse_obj(raw)
    except ValidationError as error:
        problems.extend(_problem(file, raw, item["loc"], item["msg"]) for item in error.errors())
        return None


def _read(directory: Path, name: str, problems: list[str]) -> Any:
    path = directory / name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data is None:
            problems.append(f"{name}: file is empty")
        return data
    except FileNotFoundError:
        problems.append(f"{name}: file is missing from {directory}")
    except yaml.YAMLError as error:
        problems.append(f"{name}: not valid YAML: {error}")
    return None


def _parsed_entries(model: type[M], raw: Any, section: str) -> list[M]:
    """The entries of a section that are valid by themselves, so that the cross-file checks still
    run (and report) when some other entry of the file is broken."""
    entries = raw.get(section) if isinstance(raw, dict) else None
    parsed = []
    for item in entries if isinstance(entries, list) else []:
        try:
            parsed.append(model.parse_obj(item))
        except ValidationError:
            pass
    return parsed


def _raw_topics(raw: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(where, topic) of every entry that claims a topic, read from the raw files so that an entry
    broken elsewhere still answers its topic rather than adding a second, misleading problem."""
    topics = []
    for file, data in raw.items():
        for section, entries in data.items() if isinstance(data, dict) else []:
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and isinstance(entry.get("topic"), str):
                    topics.append((f"{file}: {section}[{entry.get('id')}]", entry["topic"]))
    return topics


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
    raw = {name: _read(directory, name, problems) for name in FILES}
    files = {name: _parse(name, model, raw[name], problems) if raw[name] is not None else None for name, model in FILES.items()}

    causes = _parsed_entries(Cause, raw["causes.yml"], "causes")
    treatments = _parsed_entries(Treatment, raw["treatments.yml"], "treatments")
    exercises = _parsed_entries(Exercise, raw["exercises.yml"], "exercises")
    notes = [note for name in FILES for note in _parsed_entries(Note, raw[name], "notes")]

    cause_ids = {cause.id for cause in causes}
    for treatment in treatments:
        unknown = sorted(treatment.for_causes - cause_ids)
        if unknown:
            problems.append(f"treatments.yml: treatments[{treatment.id}]: field 'for_causes' has unknown cause(s) {unknown}")

    exercises_file = files["exercises.yml"]
    if isinstance(exercises_file, ExercisesFile):
        frequencies = exercises_file.frequencies
        for exercise in exercises:
            if exercise.dosing.frequency not in frequencies:
                problems.append(
                    f"exercises.yml: exercises[{exercise.id}]: field 'dosing.frequency' must be one of "
                    f"{sorted(frequencies)}, got {exercise.dosing.frequency!r}"
                )
        exercises = [
            exercise.copy(update={"frequency_text": frequencies.get(exercise.dosing.frequency, "")}) for exercise in exercises
        ]
        unknown_starters = sorted(set(exercises_file.starters) - {exercise.id for exercise in exercises})
        if unknown_starters:
            problems.append(f"exercises.yml: field 'starters' has unknown exercise(s) {unknown_starters}")

    notes_by_id = {note.id: note for note in notes}
    for note in notes:
        if note.topic in PAIN_STORY_TOPICS and not note.hint:
            problems.append(f"notes[{note.id}]: field 'hint' is missing (needed for a way of hurting)")
    for note_id in REQUIRED_NOTES:
        if note_id not in notes_by_id:
            problems.append(f"(all files): note {note_id!r} is missing")

    _check_unique(problems, "causes.yml: causes", [cause.id for cause in causes])
    _check_unique(problems, "treatments.yml: treatments", [treatment.id for treatment in treatments])
    _check_unique(problems, "exercises.yml: exercises", [exercise.id for exercise in exercises])
    _check_unique(problems, "notes", [note.id for note in notes])
    _check_topics(problems, _raw_topics(raw))
    causes_file, messages_file = files["causes.yml"], files["messages.yml"]
    if (
        problems
        or not isinstance(causes_file, CausesFile)
        or not isinstance(messages_file, MessagesFile)
        or not isinstance(exercises_file, ExercisesFile)
    ):
        raise KnowledgeError(problems)
    return Content(
        min_score=causes_file.min_score,
        causes=tuple(causes),
        treatments=tuple(treatments),
        exercises=tuple(exercises),
        starters=exercises_file.starters,
        profile_targets=exercises_file.profile_targets,
        notes=notes_by_id,
        level_messages=messages_file.level_messages.by_level(),
        when_to_see_doctor=messages_file.when_to_see_doctor,
    )
