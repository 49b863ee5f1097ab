"""What a reading of a message yields, as plain data: findings, their mentions and a mention's status.

Kept apart from the reader (extract.py, which needs spaCy) so that whatever only reads a message's
stored reading (the action server, the dialogue policy) loads no language model.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Status(str, Enum):
    CURRENT = "current"
    NEGATED = "negated"
    HYPOTHETICAL = "hypothetical"
    OTHER_PERSON = "other_person"
    PAST = "past"


@dataclass(frozen=True)
class Finding:
    """One thing the person reported. start/end are character offsets; -1 when not from text."""

    name: str
    evidence: str
    start: int
    end: int
    value: float | None = None


@dataclass(frozen=True)
class Mention:
    """A finding as written, with why it does or does not count (for audit and tests)."""

    finding: Finding
    status: Status
    cue: str = ""
