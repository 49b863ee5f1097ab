"""Questions about one exercise, read from what the person wrote (bot/knowledge/exercise_questions.py):
which exercise (named, or the one just talked about), what about it, and the answer from its entry."""

from __future__ import annotations

import pytest

from bot.knowledge import load_knowledge
from bot.levels import TriageLevel

KNOWLEDGE = load_knowledge()


@pytest.mark.parametrize(
    "text, last, exercises, facets, follow_up",
    [
        ("what's a good stretch for my tight hamstrings", None, ["hamstring_stretch"], ("how",), False),
        ("how do i do a clam shell", None, ["clamshell"], ("how",), False),
        ("glute bridges are getting way too easy", None, ["glute_bridge"], ("harder",), False),
        ("can the calf raises be made easier?", None, ["calf_raise"], ("easier",), False),
        ("quad sets - what even are they", None, ["quad_sets"], ("how",), False),  # "sets" is its name
        ("is it ok that heel slides hurt a bit", None, ["heel_slides"], ("pain",), False),
        ("how many reps for the sit to stand", None, ["sit_to_stand"], ("reps",), False),
        ("how often should i do step ups", None, ["step_up"], ("often",), False),
        ("where should I feel the straight leg raise", None, ["straight_leg_raise"], ("feel",), False),
        ("standing on one leg, how long for", None, ["single_leg_balance"], ("hold",), False),
        ("calf stretch or hamstring stretch first?", None, ["calf_stretch", "hamstring_stretch"], ("how",), False),
        # Follow-ups: about the exercise talked about last.
        ("and how long do I hold it?", "hamstring_stretch", ["hamstring_stretch"], ("hold",), True),
        ("easier version pls", "calf_raise", ["calf_raise"], ("easier",), True),
        ("should i do them lying down or standing", "standing_hamstring_curl", ["standing_hamstring_curl"], ("position",), True),
        ("what if that's too easy", "glute_bridge", ["glute_bridge"], ("harder",), True),
    ],
)
def test_which_exercise_and_what_about_it(
    text: str, last: str | None, exercises: list[str], facets: tuple[str, ...], follow_up: bool
) -> None:
    question = KNOWLEDGE.exercise_question(text, last)
    assert question is not None
    assert ([e.id for e in question.exercises], question.facets, question.follow_up) == (exercises, facets, follow_up)


@pytest.mark.parametrize(
    "text, last",
    [
        ("my knee hurts at the back when I bend it", None),  # a description, not an exercise question
        ("how long will it take to heal", "calf_raise"),  # recovery, not the hold
        ("what about heat", "calf_raise"),  # another subject: no facet of an exercise
        ("how long per side", None),  # nothing talked about before
        ("is swimming ok", "glute_bridge"),
        ("my knee clicks when I squat", None),  # squatting as an activity, not the sit-to-stand
    ],
)
def test_not_an_exercise_question(text: str, last: str | None) -> None:
    assert KNOWLEDGE.exercise_question(text, last) is None


def test_answers_come_from_the_exercises_own_entry() -> None:
    bridge = next(e for e in KNOWLEDGE.exercises if e.id == "glute_bridge")
    harder = KNOWLEDGE.exercise_answer(KNOWLEDGE.exercise_question("bridges too easy", None))  # type: ignore[arg-type]
    assert harder == f"Glute bridge: {bridge.harder}"
    hold = KNOWLEDGE.exercise_answer(KNOWLEDGE.exercise_question("how long do i hold it", "hamstring_stretch"))  # type: ignore[arg-type]
    assert "10-30 seconds" in hold
    how = KNOWLEDGE.exercise_answer(KNOWLEDGE.exercise_question("how do you do heel slides", None))  # type: ignore[arg-type]
    assert all(step in how for step in next(e for e in KNOWLEDGE.exercises if e.id == "heel_slides").steps)


def test_after_an_urgent_flag_exercise_advice_waits() -> None:
    question = KNOWLEDGE.exercise_question("how do I do calf raises", None)
    assert question is not None
    answer = KNOWLEDGE.exercise_answer(question, TriageLevel.URGENT)
    assert "calf raise" not in answer.lower() and answer == KNOWLEDGE.answer("ask_exercises/which", TriageLevel.URGENT)


def test_every_exercise_says_what_to_feel_and_how_to_make_it_easier_and_harder() -> None:
    for exercise in KNOWLEDGE.exercises:
        assert exercise.feel and exercise.easier and exercise.harder and exercise.aliases, exercise.id
        assert KNOWLEDGE.exercise_question(f"how do I do the {exercise.name.lower()}", None).exercises[0] is exercise  # type: ignore[union-attr]
