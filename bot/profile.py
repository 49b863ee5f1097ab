"""What a person has told Poplit about their knee, as plain data shared by triage and knowledge."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

# Canonical values; NLU synonyms map onto these and intake answers are parsed into them.
LOCATIONS = ("back_of_knee", "behind_kneecap", "calf", "hamstring")
SIDES = ("left", "right", "both")
SYMPTOMS = (
    "ache",
    "sharp",
    "throbbing",
    "tightness",
    "swelling",
    "lump",
    "stiffness",
    "locking",
    "catching",
    "giving_way",
    "numbness",
)
ACTIVITIES = ("running", "stairs", "sitting", "squatting", "sport", "blow_to_knee", "walking", "kneeling")
ONSETS = ("injury", "gradual", "unknown")
YES_NO_UNKNOWN = ("yes", "no", "unknown")
MECHANICAL = ("locking", "catching", "giving_way", "none", "unknown")
WEIGHT_BEARING = ("normal", "limping", "cannot_bear_weight", "unknown")


@dataclass(frozen=True)
class SymptomProfile:
    """One person's answers to the intake; None means not asked or not answered."""

    location: Optional[str] = None
    side: Optional[str] = None
    symptoms: frozenset[str] = field(default_factory=frozenset)
    activities: frozenset[str] = field(default_factory=frozenset)
    onset: Optional[str] = None
    duration_text: Optional[str] = None
    duration_days: Optional[float] = None
    pain_score: Optional[float] = None
    swelling: Optional[str] = None
    mechanical: frozenset[str] = field(default_factory=frozenset)
    mechanical_denied: bool = False  # asked, and the knee neither locks, catches nor gives way
    weight_bearing: Optional[str] = None
