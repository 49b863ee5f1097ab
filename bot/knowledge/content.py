"""Typed records for the clinical content, as read from the YAML files in this package."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.levels import TriageLevel


@dataclass(frozen=True)
class Note:
    """A piece of user-facing text: a topic answer, a message or a rule."""

    id: str
    text: str
    source: str
    topic: str | None = None


@dataclass(frozen=True)
class Cause:
    """A possible contributor to the pain; Poplit names it as a possibility, never a diagnosis."""

    id: str
    name: str
    possibility: str  # one sentence for the advice, phrased as "could be"
    summary: str  # the topic answer
    matches: Mapping[str, Mapping[str, int]]  # dimension -> profile value -> weight
    exercise_targets: frozenset[str]
    source: str
    topic: str | None = None


@dataclass(frozen=True)
class Treatment:
    id: str
    name: str
    advice: str  # one line for the advice list
    summary: str  # the topic answer ("" when the treatment has no topic)
    levels: frozenset[TriageLevel]  # the levels at which the advice offers it
    for_causes: frozenset[str]  # offered only when one of these is a contributor; empty = always
    avoid_when: frozenset[str]
    source: str
    topic: str | None = None


@dataclass(frozen=True)
class Dosing:
    kind: str  # stretch, strength, mobility or balance: decides which limits apply
    reps: tuple[int, int]
    frequency: str  # a key of the exercises file's `frequencies`
    sets: tuple[int, int] | None = None
    hold_seconds: tuple[int, int] | None = None
    sides: str | None = None  # "each" leg in turn, or "alternate" legs


@dataclass(frozen=True)
class Exercise:
    id: str
    name: str
    summary: str  # one sentence saying what the movement is
    steps: tuple[str, ...]
    position: str
    dosing: Dosing
    dose_text: str  # how much, in words: "hold 10 seconds, alternate legs, 2-4 times"
    frequency_text: str  # how often, in words: "in each movement break"
    targets: frozenset[str]
    avoid_when: frozenset[str]
    source: str
    topic: str | None = None
    aliases: tuple[str, ...] = ()  # how people name it, for questions about it
    feel: str = ""  # what the person should feel
    easier: str = ""
    harder: str = ""

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


@dataclass(frozen=True)
class WarningSign:
    id: str  # the matching triage rule id (clinical.md), so the two lists can be compared
    text: str
    source: str


@dataclass(frozen=True)
class WhenToSeeDoctor:
    intro: str
    signs: tuple[WarningSign, ...]
    emergency_intro: str
    emergency_signs: tuple[WarningSign, ...]
    source: str

    @property
    def text(self) -> str:
        lines = [self.intro, *(f"- {sign.text}" for sign in self.signs), self.emergency_intro]
        lines += [f"- {sign.text}" for sign in self.emergency_signs]
        return "\n".join(lines)
