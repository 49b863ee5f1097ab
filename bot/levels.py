"""Triage levels, ordered from least to most serious."""

from __future__ import annotations

from enum import Enum


class TriageLevel(str, Enum):
    SELF_CARE = "self_care"
    SEE_CLINICIAN = "see_clinician"
    URGENT = "urgent"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, TriageLevel):
            return NotImplemented
        return self.rank >= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, TriageLevel):
            return NotImplemented
        return self.rank > other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, TriageLevel):
            return NotImplemented
        return self.rank <= other.rank

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, TriageLevel):
            return NotImplemented
        return self.rank < other.rank

    @property
    def allows_exercise_advice(self) -> bool:
        return self <= TriageLevel.SEE_CLINICIAN


_ORDER = [
    TriageLevel.SELF_CARE,
    TriageLevel.SEE_CLINICIAN,
    TriageLevel.URGENT,
    TriageLevel.EMERGENCY,
]


def highest(*levels: TriageLevel | str | None) -> TriageLevel:
    """The most serious of the given levels; unknown or missing counts as self_care."""
    known = [TriageLevel(level) for level in levels if level]
    return max(known, key=lambda level: level.rank, default=TriageLevel.SELF_CARE)
