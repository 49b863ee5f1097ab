"""Questions about one exercise: which one (named by its name or an alias, or the one just talked about
when the question only refers back to it: "how long do I hold it?", "easier version pls") and what
about it (how to do it, the hold, how many, how often, what to feel, easier, harder, whether it may
hurt, the position). Answered from the exercise's own entry in exercises.yml, whatever intent NLU
gave the message, so a question naming "clamshells" or "glute bridge" gets that exercise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.knowledge.content import Exercise

# What a question asks about an exercise, in the order the answers are given.
FACETS: dict[str, re.Pattern[str]] = {
    "position": re.compile(r"\b(standing or (lying|sitting)|(lying|sitting) or standing|what position|lying down or)"),
    "hold": re.compile(
        r"\bhold\b|\bholding\b|how many seconds|how long\b(?!.*\b(heal|recover|take|better|last|until|off|rest|week|month|day|year))"
    ),
    "reps": re.compile(r"how many\b(?! (days|weeks|times a))|\breps?\b|\brepetitions?\b|\bsets?\b"),
    "often": re.compile(r"how often|times a (day|week)|every day|\bdaily\b|per (day|week)|how many (days|times a)"),
    "feel": re.compile(
        r"\bfeel(ing)? (it|this|that|them)\b|where should i feel|supposed to feel|should i feel|what should i feel"
    ),
    "easier": re.compile(r"\beasier\b|too (hard|difficult|much)|can'?t (do|manage)|\bstruggl|\bgentler\b|\bsimpler\b|\bmodif"),
    "harder": re.compile(
        r"\bharder\b|too easy|\bprogress|next step|level up|more (challenging|difficult)|what'?s next|ready for"
    ),
    "pain": re.compile(r"\b(hurt|hurts|hurting|painful|pain|ache|aches|sore)\b"),
}
# Where a question about making "it" easier or harder goes when no one exercise is in view.
PROGRESSION_TOPIC = "ask_exercises/progression"


def asks_to_change_difficulty(text: str) -> bool:
    lowered = text.lower()
    return bool(FACETS["easier"].search(lowered) or FACETS["harder"].search(lowered))


# A question that points back at what was just talked about.
REFERS_BACK = re.compile(r"\b(it|them|they|that|this|those|these|one|ones|version|exercise|exercises)\b")
# Short enough to be a follow-up even without a pronoun ("easier version pls", "how many reps").
SHORT_FOLLOW_UP_WORDS = 6
MOST_GAP_WORDS = 2
# Words left out on both sides before names are matched ("a stretch for my tight hamstrings").
FILLER = frozenset({"a", "an", "the", "my", "your", "his", "her", "their", "for", "of", "to", "some"})
# People's names for parts of the names (after plurals are folded).
WORD_FORMS = {"hammy": "hamstring", "hammie": "hamstring", "hammys": "hamstring", "hammies": "hamstring", "glutes": "glute"}


def _word(token: str) -> str:
    token = WORD_FORMS.get(token, token)
    if len(token) > 4 and token.endswith("es") and token[:-2].endswith(("sh", "ch", "ss")):
        return token[:-2]
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return WORD_FORMS.get(token[:-1], token[:-1])
    return token


def words(text: str) -> list[str]:
    return [_word(token) for token in re.findall(r"[a-z]+", text.lower()) if token not in FILLER]


def _mentions(said: Sequence[str], alias: Sequence[str]) -> int | None:
    """Where the alias's words first appear in order (each at most MOST_GAP_WORDS after the last), or None."""
    for start, word in enumerate(said):
        if word != alias[0]:
            continue
        position, found = start, True
        for wanted in alias[1:]:
            window = said[position + 1 : position + 2 + MOST_GAP_WORDS]
            if wanted not in window:
                found = False
                break
            position += 1 + window.index(wanted)
        if found:
            return start
    return None


@lru_cache(maxsize=None)
def _name_words(name: str) -> tuple[str, ...]:
    """A name's or alias's words, folded once (every message is read against all of them)."""
    return tuple(words(name))


def named_exercises(text: str, exercises: Sequence[Exercise]) -> list[Exercise]:
    """The exercises the text names, in the order it names them (at most two: "X or Y?")."""
    said = words(text)
    found: list[tuple[int, Exercise]] = []
    for exercise in exercises:
        places = [_mentions(said, _name_words(alias)) for alias in (exercise.name, *exercise.aliases)]
        first = min((place for place in places if place is not None), default=None)
        if first is not None:
            found.append((first, exercise))
    return [exercise for _, exercise in sorted(found, key=lambda pair: pair[0])][:2]


@dataclass(frozen=True)
class ExerciseQuestion:
    exercises: tuple[Exercise, ...]
    facets: tuple[str, ...]
    follow_up: bool  # about the exercise talked about last, which the question does not name


def read_exercise_question(text: str, exercises: Sequence[Exercise], last_exercise: str | None) -> ExerciseQuestion | None:
    """The exercise question in `text`, or None when it names no exercise and does not follow up on
    `last_exercise` (the id of the one talked about last)."""
    named = named_exercises(text, exercises)
    lowered = text.lower()
    for exercise in named:  # "quad sets" names an exercise; it does not ask how many sets
        for name in (exercise.name, *exercise.aliases):
            lowered = re.sub(rf"\b{re.escape(name.lower())}\w*", " ", lowered)
    facets = tuple(name for name, pattern in FACETS.items() if pattern.search(lowered))
    if named:
        return ExerciseQuestion(tuple(named), facets or ("how",), follow_up=False)
    last = next((exercise for exercise in exercises if exercise.id == last_exercise), None)
    short = len(words(text)) <= SHORT_FOLLOW_UP_WORDS
    if last is not None and facets and (short or REFERS_BACK.search(lowered)):
        return ExerciseQuestion((last,), facets, follow_up=True)
    return None


def answer_exercise_question(question: ExerciseQuestion, pain_rule: str) -> str:
    """Each exercise asked about, with each facet asked."""
    parts = []
    for exercise in question.exercises:
        lines = [_facet(exercise, facet, pain_rule) for facet in question.facets]
        parts.append(
            f"{exercise.name}: " + " ".join(lines) if question.facets != ("how",) else _facet(exercise, "how", pain_rule)
        )
    return "\n\n".join(parts)


def _facet(exercise: Exercise, facet: str, pain_rule: str) -> str:
    dose = exercise.dose_text
    if facet == "how":
        return f"{exercise.name}. {exercise.how_to}"
    if facet == "hold":
        if exercise.dosing.hold_seconds:
            return f"{_capital(dose)}."
        return f"It isn't a held stretch: pause briefly at the end of each movement and move slowly, {dose}."
    if facet == "reps":
        return f"{_capital(dose)}, {exercise.frequency_text}."
    if facet == "often":
        return f"{_capital(exercise.frequency_text)} ({dose})."
    if facet == "position":
        return f"It's done {exercise.position}: {exercise.steps[0][:1].lower()}{exercise.steps[0][1:]}"
    if facet == "pain":
        return f"{exercise.feel} {pain_rule}"
    return {"feel": exercise.feel, "easier": exercise.easier, "harder": exercise.harder}[facet]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
