"""The closed vocabularies the knowledge files are checked against."""

from __future__ import annotations

from bot.profile import ACTIVITIES, LOCATIONS, ONSETS, SYMPTOMS, WEIGHT_BEARING

# What a way of hurting often points to ("it hurts when I straighten it"): a person describing their
# pain this way hears it at once, before the intake's questions.
PAIN_STORY_TOPICS: tuple[str, ...] = (
    "ask_causes/straightening",
    "ask_causes/bending",
    "ask_causes/after_sitting",
    "ask_causes/night_pain",
    "ask_causes/clicking",
    "ask_causes/stairs",
)
# Retrieval sub-intents of the NLU model; Rasa's ResponseSelector trains on exactly these.
RETRIEVAL_TOPIC_KEYS: tuple[str, ...] = (
    "ask_causes/overview",
    "ask_causes/muscle_strain",
    "ask_causes/runners_knee",
    "ask_causes/ligament",
    "ask_causes/osteoarthritis",
    "ask_causes/meniscus",
    "ask_causes/bakers_cyst",
    "ask_causes/imaging",
    "ask_causes/patterns",
    *PAIN_STORY_TOPICS,
    "ask_treatment/overview",
    "ask_treatment/physical_therapy",
    "ask_treatment/activity",
    "ask_treatment/ice",
    "ask_treatment/taping",
    "ask_treatment/medication",
    "ask_treatment/surgery",
    "ask_treatment/heat",
    "ask_treatment/support",
    "ask_treatment/elevation",
    "ask_treatment/recovery_time",
    "ask_treatment/sport",
    "ask_treatment/massage",
    "ask_treatment/injections",
    "ask_treatment/cycling",
    "ask_treatment/swimming",
    "ask_treatment/gym",
    "ask_treatment/walking",
    "ask_exercises/which",
    "ask_exercises/how_often",
    "ask_exercises/hold_time",
    "ask_exercises/pain_ok",
    "ask_exercises/hamstring_stretch",
    "ask_exercises/progression",
    "ask_exercises/soreness",
    "ask_prevention/overview",
    "ask_prevention/sport_safety",
    "ask_prevention/activity_amount",
    "ask_prevention/movement_breaks",
    "ask_prevention/weight",
    "ask_prevention/warm_up",
    "ask_about_poplit/data_kept",
    "ask_about_poplit/data_retention",
    "ask_about_poplit/data_access",
    "ask_about_poplit/data_export",
    "ask_about_poplit/data_delete",
    "ask_about_poplit/booking",
    "ask_about_poplit/scope",
    "ask_about_poplit/diagnosis",
    "ask_about_poplit/check_ins",
    "ask_about_poplit/memory",
)
WHEN_TO_SEE_DOCTOR = "ask_when_to_see_doctor"
TOPIC_KEYS: tuple[str, ...] = RETRIEVAL_TOPIC_KEYS + (WHEN_TO_SEE_DOCTOR,)

# The sub-topic an unrecognised `intent/sub` falls back to.
OVERVIEW_OF_INTENT: dict[str, str] = {
    "ask_causes": "ask_causes/overview",
    "ask_treatment": "ask_treatment/overview",
    "ask_exercises": "ask_exercises/which",
    "ask_prevention": "ask_prevention/overview",
    WHEN_TO_SEE_DOCTOR: WHEN_TO_SEE_DOCTOR,
    "ask_about_poplit": "ask_about_poplit/scope",
}
EXERCISE_INTENT = "ask_exercises"
CAUSES_INTENT = "ask_causes"

# Profile dimensions a cause's `matches` may name, each with its canonical values (bot/profile.py).
NOT_A_TAG = frozenset({"unknown", "none", "normal"})
MATCH_DIMENSIONS: dict[str, frozenset[str]] = {
    "locations": frozenset(LOCATIONS),
    "symptoms": frozenset(SYMPTOMS),
    "activities": frozenset(ACTIVITIES),
    "onsets": frozenset(ONSETS) - NOT_A_TAG,
}
# Any single profile fact; `avoid_when` and `profile_targets` use these flat tags. The canonical
# value sets do not overlap (apart from the "unknown"/"none"/"normal" non-facts), so no prefix is needed.
PROFILE_TAGS: frozenset[str] = frozenset().union(*MATCH_DIMENSIONS.values()) | (frozenset(WEIGHT_BEARING) - NOT_A_TAG)

# What an exercise works on; causes and profile tags ask for targets, exercises provide them.
EXERCISE_TARGETS = frozenset({"hamstring", "calf", "quadriceps", "hip", "knee_motion", "balance", "desk_break"})
POSITIONS = frozenset({"lying", "seated", "standing"})

# Filled with the configured number (bot/settings.py) by the caller; only the emergency message has it.
EMERGENCY_PLACEHOLDER = "{emergency_number}"
