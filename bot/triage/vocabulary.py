"""The fixed vocabulary of findings: every name the lexicon may produce and the rules may test.

A finding's kind decides how a mention in the past counts, because "it gave way years ago" is no
longer a complaint while "I had a clot in 2015" is a risk factor for life.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum


class FindingKind(str, Enum):
    SYMPTOM = "symptom"  # a current complaint: a remote or resolved mention does not count
    EVENT = "event"  # something that happened; it counts unless it is remote ("years ago")
    HISTORY = "history"  # true for life once true: any past mention counts
    # how bad it is at one moment ("8/10", "worst ever"): a reading from any earlier time, even a
    # recent one ("last night", "on Saturday"), is not the current one
    INTENSITY = "intensity"
    # how the complaint began ("came on gradually"): an onset is dated by nature, so a date ("about a
    # month ago") says when it began, never that it is over
    ONSET = "onset"


_S, _E, _H, _I = FindingKind.SYMPTOM, FindingKind.EVENT, FindingKind.HISTORY, FindingKind.INTENSITY
_O = FindingKind.ONSET

FINDINGS: Mapping[str, FindingKind] = {
    # the knee itself
    "swelling": _S,
    "redness": _S,
    "warmth": _S,
    "lump": _S,
    "pulsing_lump": _S,
    "burst_cyst": _S,
    "pop_behind_knee": _S,
    "locking": _S,
    "locking_now": _S,
    "catching": _S,
    "giving_way": _S,
    "unstable": _S,
    "limping": _S,
    "cannot_bear_weight": _S,
    "cannot_bend": _S,
    "cannot_straighten": _S,
    "severe_pain": _I,
    "pain_out_of_proportion": _I,
    "pain_score": _I,
    "not_improving": _S,
    "night_pain": _S,
    "kneecap_tender": _S,
    "fibula_tender": _S,
    "kneecap_out": _S,
    "deformity": _S,
    "bone_visible": _S,
    # calf and leg
    "calf_swelling": _S,
    "leg_swelling": _S,
    "whole_leg_swelling": _S,
    "calf_pain": _S,
    "calf_tender": _S,
    "calf_red_or_warm": _S,
    "cold_foot": _S,
    "pale_or_blue_foot": _S,
    "numbness": _S,
    "foot_weakness": _S,
    # the whole person
    "fever": _S,
    "unwell": _S,
    "weight_loss": _S,
    "night_sweats": _S,
    "breathless": _S,
    "chest_pain": _S,
    "coughing_blood": _S,
    "fainting": _S,
    "racing_heart": _S,
    # what happened
    "recent_injury": _E,
    "crush_injury": _E,
    "ligament_injury": _E,
    "recent_surgery": _E,
    "recent_injection": _E,
    "long_journey": _E,
    "immobile": _E,
    "cast": _E,
    "pregnancy": _E,
    "oestrogen": _E,
    # an injury in the remote past whose trouble goes on ("a knock a month ago, still aching"); made
    # from a remote recent_injury/ligament_injury mention (lexicon.yml `lasting`), never from phrases
    "lasting_injury": _E,
    # history
    "past_clot": _H,
    "cancer": _H,
    "age_55_plus": _H,
    # answers to the red-flag screening question (screening.yml): the sign the person said they have
    "screen_calf": _S,
    "screen_breathing": _S,
    "screen_fever": _S,
    "screen_cold_foot": _S,
    "screen_weak_foot": _S,
    "screen_knee": _S,
    "screen_any_sign": _S,
    # intake facts: read for the intake, used by no rule (a location or an onset is no red flag)
    "gradual_onset": _O,
    "walks_normally": _S,
    "location_back_of_knee": _S,
    "location_behind_kneecap": _S,
    "location_calf": _S,
    "location_hamstring": _S,
}

# Findings the intake reads from free text (with the same negation and scope as every finding) and
# no rule may test. Their phrases never hide another finding's negation (see scope.DocScope).
INTAKE_FACTS = frozenset(
    {
        "gradual_onset",
        "walks_normally",
        "location_back_of_knee",
        "location_behind_kneecap",
        "location_calf",
        "location_hamstring",
    }
)

# Findings whose start a date may give: a date attached to a start word ("started", "began", "came on",
# "since", "noticed", "first": an `onset` cue) dates the start of something that goes on, so it does not
# put the finding in the past ("the pain in my calf began a few months ago", "it started locking a year
# ago", "sore under the kneecap since March") unless the clause also says it stopped ("... but hasn't
# since", "... and went down after a week"). Every symptom, red flag or intake fact alike; an event is
# dated by its date ("I twisted it years ago, the swelling started last week"), a pain level from then is
# not today's, and a history or an onset is never past anyway.
DATED_BY_ONSET = frozenset(name for name, kind in FINDINGS.items() if kind is FindingKind.SYMPTOM)

# Findings that carry a number (Finding.value); rules may compare these with `at_least`.
VALUED_FINDINGS = frozenset({"pain_score", "age_55_plus"})

# Produced by the number parser rather than by lexicon phrases.
NUMERIC_FINDINGS = frozenset({"pain_score", "age_55_plus"})

# Produced by the screening question's answers (screening.py), not from phrases.
SCREENING_FINDINGS = frozenset(name for name in FINDINGS if name.startswith("screen_"))

# Produced from another finding's mention and its scope (lexicon.yml `lasting`), not from phrases.
DERIVED_FINDINGS = frozenset({"lasting_injury"})
