"""Choosing advice for one person's symptom profile and triage level, and wording it as chat messages."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.knowledge.content import Cause, Exercise, Treatment
from bot.knowledge.vocabulary import EMERGENCY_PLACEHOLDER, NOT_A_TAG
from bot.levels import TriageLevel
from bot.profile import SymptomProfile

MAX_CONTRIBUTORS = 3
MIN_EXERCISES, MAX_EXERCISES = 3, 5
LOCAL_EMERGENCY_NUMBER = "your local emergency number"  # when the caller names no number


@dataclass(frozen=True)
class Advice:
    level: TriageLevel
    contributors: list[Cause]  # ranked, up to 3; each names itself as a possibility (`possibility`)
    treatments: list[Treatment]  # only safe interim care at urgent and emergency
    exercises: list[Exercise]  # 3-5 at self_care and see_clinician; none at urgent and emergency
    when_to_get_help: str
    # At emergency this holds {emergency_number} unless advise() was given a number; render_advice fills it.
    level_message: str
    pain_rule: str = ""  # how much pain during exercise is fine; empty when there are no exercises


def profile_facts(profile: SymptomProfile) -> dict[str, frozenset[str]]:
    """The profile as the tag dimensions that causes match on (see vocabulary.MATCH_DIMENSIONS)."""
    symptoms = set(profile.symptoms) | set(profile.mechanical)
    if profile.swelling == "yes":
        symptoms.add("swelling")

    def known(*values: str | None) -> frozenset[str]:
        return frozenset(value for value in values if value and value not in NOT_A_TAG)

    return {
        "locations": known(profile.location),
        "symptoms": known(*symptoms),
        "activities": known(*profile.activities),
        "onsets": known(profile.onset),
        "weight_bearing": known(profile.weight_bearing),
    }


def flat_tags(facts: Mapping[str, frozenset[str]]) -> frozenset[str]:
    return frozenset().union(*facts.values())


def cause_score(cause: Cause, facts: Mapping[str, frozenset[str]]) -> int:
    return sum(
        weight
        for dimension, weights in cause.matches.items()
        for tag, weight in weights.items()
        if tag in facts.get(dimension, frozenset())
    )


def rank_contributors(causes: Sequence[Cause], facts: Mapping[str, frozenset[str]], min_score: int) -> list[Cause]:
    """The causes that fit best, highest score first; ties keep the order of causes.yml."""
    scored = [(cause_score(cause, facts), index, cause) for index, cause in enumerate(causes)]
    ranked = sorted((item for item in scored if item[0] >= min_score), key=lambda item: (-item[0], item[1]))
    return [cause for _, _, cause in ranked[:MAX_CONTRIBUTORS]]


def choose_treatments(
    treatments: Sequence[Treatment], level: TriageLevel, contributors: Sequence[Cause], tags: frozenset[str]
) -> list[Treatment]:
    contributor_ids = {cause.id for cause in contributors}
    return [
        treatment
        for treatment in treatments
        if level in treatment.levels
        and not treatment.avoid_when & tags
        and (not treatment.for_causes or treatment.for_causes & contributor_ids)
    ]


def choose_exercises(
    exercises: Sequence[Exercise],
    starters: Sequence[str],
    contributors: Sequence[Cause],
    profile_targets: Mapping[str, frozenset[str]],
    tags: frozenset[str],
) -> list[Exercise]:
    """3-5 exercises that work on what the contributors and the profile call for, none ruled out by
    `avoid_when`. Picked greedily, halving the want for a target once it is covered, so the set
    spreads across targets instead of offering five hamstring exercises."""
    wanted: Counter[str] = Counter()
    for rank, cause in enumerate(contributors):
        for target in cause.exercise_targets:
            wanted[target] += MAX_CONTRIBUTORS - rank  # a contributor outweighs a single profile fact
    for tag in tags:
        for target in profile_targets.get(tag, frozenset()):
            wanted[target] += 1
    allowed = [exercise for exercise in exercises if not exercise.avoid_when & tags]

    chosen: list[Exercise] = []
    want = {target: float(count) for target, count in wanted.items()}
    while len(chosen) < MAX_EXERCISES:
        candidates = [exercise for exercise in allowed if exercise not in chosen]
        scores = [sum(want.get(target, 0.0) for target in exercise.targets) for exercise in candidates]
        if not candidates or max(scores) <= 0:
            break
        best = candidates[scores.index(max(scores))]  # first of equals: file order breaks ties
        chosen.append(best)
        for target in best.targets:
            want[target] = want.get(target, 0.0) / 2
    by_id = {exercise.id: exercise for exercise in allowed}
    for starter in starters:
        if len(chosen) >= MIN_EXERCISES:
            break
        if starter in by_id and by_id[starter] not in chosen:
            chosen.append(by_id[starter])
    return chosen


def fill_emergency_number(text: str, emergency_number: str | None) -> str:
    return text.replace(EMERGENCY_PLACEHOLDER, emergency_number or LOCAL_EMERGENCY_NUMBER)


def _bullets(heading: str, lines: Sequence[str]) -> str:
    return "\n".join([heading, *(f"- {line}" for line in lines)])


def _exercise_message(exercises: Sequence[Exercise]) -> str:
    """One list; the most common frequency goes in the heading, any other stays on its line."""
    usual = Counter(exercise.frequency_text for exercise in exercises).most_common(1)[0][0]
    lines = [
        f"{exercise.name}: {exercise.dose_text}" + ("" if exercise.frequency_text == usual else f", {exercise.frequency_text}")
        for exercise in exercises
    ]
    return _bullets(f"Exercises that could suit you, {usual}:", lines)


def render_advice(advice: Advice, emergency_number: str | None = None) -> list[str]:
    """The chat messages for the advice, most important first; each message is short."""
    messages = [fill_emergency_number(advice.level_message, emergency_number)]
    if advice.level is TriageLevel.EMERGENCY:
        # Nothing may distract from getting help: no causes, no list of signs.
        if advice.treatments:
            messages.append(_bullets("While you wait for help:", [treatment.advice for treatment in advice.treatments]))
        return messages
    if advice.contributors:
        heading = "From what you've told me, these could be playing a part. Only a clinician can say for sure:"
        messages.append(_bullets(heading, [cause.possibility for cause in advice.contributors]))
    if advice.treatments:
        heading = "Things that often help:" if advice.level.allows_exercise_advice else "Until you've been seen:"
        messages.append(_bullets(heading, [treatment.advice for treatment in advice.treatments]))
    if advice.exercises:
        messages.append(_exercise_message(advice.exercises))
        if advice.pain_rule:
            messages.append(advice.pain_rule)
    messages.append(advice.when_to_get_help)
    return messages
