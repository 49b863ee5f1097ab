"""Which knowledge topics a question asks about (bot/knowledge/topics.py): the response selector's
pick, and for a question that weighs two things ("ice or heat?") its runner-up as the second part."""

from __future__ import annotations

from typing import Any

import pytest

from bot.knowledge.topics import (
    SECOND_PART_MIN_CONFIDENCE,
    SELECTOR_ALONE_SURE,
    is_short_follow_up,
    question_beside_description,
    question_part_topic,
    question_topic,
    question_topics,
    surer_alone,
)
from bot.nlu.question_part import question_sentence


def selector(*ranked: tuple[str, float]) -> dict[str, Any]:
    return {
        "default": {
            "response": {"intent_response_key": ranked[0][0], "confidence": ranked[0][1]},
            "ranking": [{"intent_response_key": key, "confidence": confidence} for key, confidence in ranked],
        }
    }


def test_one_topic_without_a_choice_in_the_question() -> None:
    ranked = selector(("ask_treatment/heat", 0.5), ("ask_treatment/ice", 0.4))
    assert question_topics("ask_treatment", ranked, "how long do I keep a heat pack on") == ["ask_treatment/heat"]


def test_both_parts_of_an_either_or_question() -> None:
    ranked = selector(("ask_treatment/physical_therapy", 0.5), ("ask_causes/imaging", 0.3))
    assert question_topics("ask_treatment", ranked, "physio or a scan first?") == [
        "ask_treatment/physical_therapy",
        "ask_causes/imaging",
    ]
    assert question_topics("ask_treatment", ranked, "physio vs scan") == ["ask_treatment/physical_therapy", "ask_causes/imaging"]


def test_a_weak_runner_up_is_not_a_second_part() -> None:
    ranked = selector(("ask_treatment/heat", 0.9), ("ask_causes/meniscus", SECOND_PART_MIN_CONFIDENCE / 2))
    assert question_topics("ask_treatment", ranked, "ice or heat?") == ["ask_treatment/heat"]


def test_the_selectors_pick_must_belong_to_the_intent() -> None:
    ranked = selector(("ask_causes/meniscus", 0.9))
    assert question_topics("ask_treatment", ranked, "what helps") == ["ask_treatment"]


def test_a_short_follow_up_given_only_an_overview_takes_the_subject_ranked_close_behind() -> None:
    ranked = selector(("ask_treatment/overview", 0.45), ("ask_treatment/heat", 0.35), ("ask_treatment/ice", 0.1))
    assert question_topics("ask_treatment", ranked, "what about heat?", "ask_treatment/ice") == ["ask_treatment/heat"]


def test_a_short_follow_up_naming_no_subject_stays_on_the_topic_answered_last() -> None:
    ranked = selector(("ask_treatment/overview", 0.6), ("ask_causes/overview", 0.2), ("ask_treatment/ice", 0.1))
    assert question_topics("ask_treatment", ranked, "what would it show?", "ask_causes/imaging") == ["ask_causes/imaging"]


def test_an_overview_stays_an_overview_for_a_long_question_or_a_first_one() -> None:
    ranked = selector(("ask_treatment/overview", 0.6), ("ask_treatment/heat", 0.35))
    long_question = "what sort of things can I do at home to make my knee feel better?"
    assert question_topics("ask_treatment", ranked, long_question, "ask_treatment/ice") == ["ask_treatment/overview"]
    assert question_topics("ask_treatment", ranked, "what helps?", None) == ["ask_treatment/overview"]


def test_a_particular_topic_is_kept_even_in_a_short_follow_up() -> None:
    ranked = selector(("ask_causes/bakers_cyst", 0.8), ("ask_causes/overview", 0.1))
    assert question_topics("ask_causes", ranked, "and a baker's cyst?", "ask_treatment/ice") == ["ask_causes/bakers_cyst"]


def test_easier_after_the_exercise_overview_is_about_making_any_exercise_easier() -> None:
    ranked = selector(("ask_exercises/which", 0.7), ("ask_exercises/how_often", 0.1))
    assert question_topics("ask_exercises", ranked, "easier version pls", "ask_exercises/which") == ["ask_exercises/progression"]


def test_a_short_follow_up_the_selector_is_unsure_of_stays_on_the_topic_before() -> None:
    ranked = selector(("ask_treatment/recovery_time", 0.23), ("ask_treatment/support", 0.07))
    assert question_topics("ask_treatment", ranked, "will it burst?", "ask_causes/bakers_cyst") == ["ask_causes/bakers_cyst"]
    assert question_topics("ask_treatment", ranked, "will it burst?", None) == ["ask_treatment/recovery_time"]


@pytest.mark.parametrize(
    "intent, ranked, text, last_topic",
    [
        ("ask_when_to_see_doctor", selector(("ask_treatment/ice", 0.1)), "when should I see a doctor?", "ask_treatment/ice"),
        ("ask_exercises", selector(("ask_exercises/which", 0.6)), "what exercises should I do?", "ask_treatment/ice"),
        ("ask_treatment", selector(("ask_treatment/overview", 0.7)), "what helps?", "ask_causes/imaging"),
    ],
)
def test_a_short_new_question_in_another_area_is_not_taken_for_a_follow_up(
    intent: str, ranked: dict[str, Any], text: str, last_topic: str
) -> None:
    assert question_topics(intent, ranked, text, last_topic) == [question_topic(intent, ranked)]


@pytest.mark.parametrize("text", ["so it started last week", "stairs are harder today", "I cant do stairs"])
def test_statements_are_not_follow_ups(text: str) -> None:
    assert not is_short_follow_up(text)


RUNNING = "ask_treatment/sport"


@pytest.mark.parametrize(
    "text",
    [
        "it aches behind my knee after runs, can I keep training?",
        "Pain at the back of my knee for 2 weeks. Should I stop running",
        "back of knee sore since my long run, can i still run",
    ],
)
def test_a_question_asked_beside_a_description_is_answered_when_the_selector_is_sure(text: str) -> None:
    assert question_beside_description(text, None, selector((RUNNING, SELECTOR_ALONE_SURE))) == RUNNING
    # The topic NLU kept beside the description counts even when the selector is unsure.
    assert question_beside_description(text, RUNNING, selector(("ask_treatment/ice", 0.3))) == RUNNING


def test_a_description_that_asks_nothing_waits_for_the_assessment() -> None:
    text = "pain behind my knee when I run, worse on hills"
    assert question_beside_description(text, RUNNING, selector((RUNNING, 0.95))) is None


@pytest.mark.parametrize("topic", ["ask_treatment/overview", "ask_exercises/which", "ask_causes/overview"])
def test_overviews_beside_a_description_are_left_to_the_plan(topic: str) -> None:
    text = "my knee hurts at the back when I squat, what should I do about it?"
    assert question_beside_description(text, topic, selector((topic, 0.95))) is None


def test_a_cause_asked_about_beside_a_description_is_named() -> None:
    # The intake's first reply gives what it can point to, with the caveat (actions/intake_form.py).
    text = "there's a soft lump at the back of my knee that gets tight when I squat, is it a Baker's cyst?"
    assert question_beside_description(text, None, selector(("ask_causes/bakers_cyst", 0.9))) == "ask_causes/bakers_cyst"


def test_an_unsure_pick_without_a_kept_question_is_not_answered() -> None:
    text = "hurts behind the knee after football, can I play on saturday?"
    assert question_beside_description(text, None, selector((RUNNING, SELECTOR_ALONE_SURE - 0.1))) is None


@pytest.mark.parametrize(
    "text, question",
    [
        (
            "I cycle to work every day, about 10 km each way. Lately the back of my knee gets sore on the hills. Can I keep commuting by bike?",
            "Can I keep commuting by bike?",
        ),
        (
            "its been sore behind my knee since i moved house 2 weeks ago, lots of lifting boxes, do i need to see someone about it",
            "do i need to see someone about it",
        ),
        (
            "Had a long run on Sunday and now it's tight behind the knee\nhow long should I ice it\nthanks",
            "how long should I ice it",
        ),
    ],
)
def test_the_question_of_a_long_story_is_its_last_asking_sentence(text: str, question: str) -> None:
    assert question_sentence(text) == question


@pytest.mark.parametrize(
    "text",
    [
        "how long should I hold the hamstring stretch?",  # short: the whole message is the question
        "The back of my knee has ached for three weeks since I started running again after the winter.",  # asks nothing
        "what is the best way to look after the back of my knee when I go back to running after a break?",  # one question
    ],
)
def test_short_messages_single_questions_and_stories_without_a_question_have_no_question_part(text: str) -> None:
    assert question_sentence(text) is None


def part(intent: str, *ranked: tuple[str, float]) -> dict[str, Any]:
    return {
        "text": "...",
        "intent": {"name": intent, "confidence": 0.9},
        "response_selector": selector(*ranked) if ranked else None,
    }


def test_the_question_part_names_the_topic_answered_beside_the_description() -> None:
    story = "I cycle to work every day and the back of my knee gets sore on the hills. Can I keep cycling?"
    whole = selector(("ask_treatment/gym", 0.09))
    cycling = part("ask_treatment", ("ask_treatment/cycling", 0.45))
    assert question_beside_description(story, None, whole, cycling) == "ask_treatment/cycling"
    doctor = part("ask_when_to_see_doctor")
    assert question_beside_description(story, None, whole, doctor) == "ask_when_to_see_doctor"
    assert question_part_topic(part("describe_symptoms")) is None
    # "What could this be?" read alone is a cause question: left to the hint and the assessment.
    assert question_beside_description(story, None, whole, part("ask_causes", ("ask_causes/overview", 0.8))) is None


def test_a_question_part_counts_though_the_whole_story_does_not_start_as_a_question() -> None:
    story = "Been digging the allotment all week and now it aches behind my knee. how long does this usually last"
    recovery = part("ask_treatment", ("ask_treatment/recovery_time", 0.6))
    assert question_beside_description(story, None, None, recovery) == "ask_treatment/recovery_time"
    assert question_beside_description(story, "ask_treatment/recovery_time", None, None) is None  # no question part, no asking


def test_a_long_question_is_answered_from_its_question_alone_when_that_reading_is_surer() -> None:
    whole = selector(("ask_treatment/surgery", 0.2))
    assert surer_alone(part("ask_treatment", ("ask_treatment/recovery_time", 0.6)), whole) == "ask_treatment/recovery_time"
    assert surer_alone(part("ask_treatment", ("ask_treatment/recovery_time", 0.1)), whole) is None
    assert surer_alone(part("ask_treatment", ("ask_treatment/overview", 0.9)), whole) is None
    assert surer_alone(None, whole) is None
