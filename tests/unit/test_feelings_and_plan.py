"""Feelings said in words and feared causes (bot/feelings), descriptions that win over questions
(bot/nlu/description_first), and answers from the person's own plan (Knowledge.personal_answer)."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.feelings import acknowledgements, load_feelings
from bot.intake import build_profile, describes_own_pain
from bot.knowledge import load_knowledge
from bot.levels import TriageLevel
from bot.nlu.description_first import DEFERRED_KEY, DescriptionFirst
from bot.triage import read_text
from tests.support.assistant import PROJECT_ROOT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I'm really scared, the back of my knee has a lump and I think it might be cancer",
            ["utter_acknowledge_worry", "utter_feared_cancer"],
        ),
        ("honestly this is driving me mad", ["utter_acknowledge_frustration"]),
        ("it keeps me up at night", ["utter_acknowledge_sleep"]),
        ("it's absolute agony behind my knee", ["utter_acknowledge_pain"]),
        ("could it be a clot?", ["utter_feared_clot"]),
        ("will I need surgery for this", ["utter_feared_surgery"]),
        ("I'm not worried, just curious", []),
        ("my dad had a clot in his calf once", []),
        ("the back of my knee aches after runs", []),
    ],
)
def test_feelings_and_fears(text: str, expected: list[str]) -> None:
    assert acknowledgements(text) == expected


def test_every_acknowledgement_has_domain_wording() -> None:
    import yaml

    responses = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["responses"]
    content = load_feelings()
    for cue in [*content.feelings, *content.feared_causes]:
        assert cue.response in responses, cue.response
    assert all(len(responses[cue.response]) >= 2 for cue in content.feelings)  # varied, not one canned line


@pytest.mark.parametrize(
    ("text", "describes"),
    [
        ("pain behind my knee when I sit for long at work", True),
        ("it crept up on me", True),
        ("the back of my knee aches after runs", True),
        ("what exercises help pain behind my knee?", False),
        ("how do I prevent knee pain when running", False),
        ("my dad has pain behind his knee", False),
        ("my knee's been hurting", True),
        ("knee pain, been going on for ages", True),
        ("my dad's knee hurts", False),
        ("what causes knee pain?", False),
        ("the MRI said I have a torn meniscus, is that why it hurts", False),
        ("my knee hurts and I don't know what caused it", True),
    ],
)
def test_a_first_person_description_is_told_from_a_question(text: str, describes: bool) -> None:
    assert describes_own_pain(read_text(text)) is describes


def annotated(text: str) -> Message:
    """A message as DescriptionFirst gets it: after the red-flag annotator stored its reading."""
    message = Message.build(text=text)
    message.set("triage", read_text(text).to_parse_data())
    return message


def test_the_description_wins_and_the_question_is_kept_for_later() -> None:
    selector = {"ask_prevention": {"response": {"intent_response_key": "ask_prevention/movement_breaks"}}}
    message = annotated("pain behind my knee when I sit for long at work")
    message.set("intent", {"name": "ask_prevention", "confidence": 0.7})
    message.set("response_selector", selector)
    DescriptionFirst().process([message])
    assert message.get("intent")["name"] == "describe_symptoms"
    assert message.get(DEFERRED_KEY) == "ask_prevention/movement_breaks"
    question = annotated("how often should I stretch my hamstrings?")
    question.set("intent", {"name": "ask_exercises", "confidence": 0.9})
    DescriptionFirst().process([question])
    assert question.get("intent")["name"] == "ask_exercises"


def test_a_description_that_nearly_reads_as_a_question_keeps_the_question_too() -> None:
    """DIET may tip either way on such a message; the deferred answer must not depend on which."""
    selector = {"ask_prevention": {"response": {"intent_response_key": "ask_prevention/movement_breaks"}}}
    for runner_up_confidence, deferred in ((0.42, "ask_prevention/movement_breaks"), (0.05, None)):
        message = annotated("pain behind my knee when I sit for long at work")
        message.set("intent", {"name": "describe_symptoms", "confidence": 1 - runner_up_confidence})
        ranking = [{"name": "describe_symptoms", "confidence": 1 - runner_up_confidence}]
        message.set("intent_ranking", ranking + [{"name": "ask_prevention", "confidence": runner_up_confidence}])
        message.set("response_selector", selector)
        DescriptionFirst().process([message])
        assert message.get("intent")["name"] == "describe_symptoms" and message.get(DEFERRED_KEY) == deferred


def test_questions_after_the_assessment_use_the_persons_plan() -> None:
    knowledge = load_knowledge()
    profile = build_profile({"pain_location": "back_of_knee", "pain_onset": "gradual", "swelling": "no"}, [])
    advice = knowledge.advise(profile, TriageLevel.SELF_CARE)
    exercises = knowledge.personal_answer("ask_exercises/which", advice)
    assert exercises and all(exercise.name in exercises for exercise in advice.exercises)
    treatments = knowledge.personal_answer("ask_treatment/overview", advice)
    assert treatments and all(treatment.advice in treatments for treatment in advice.treatments)
    listed = [cause for cause in advice.contributors if cause.topic]
    if listed:
        assert listed[0].name in (knowledge.personal_answer(listed[0].topic, advice) or "")
    urgent = knowledge.advise(profile, TriageLevel.URGENT)
    assert knowledge.personal_answer("ask_exercises/which", urgent) is None  # no exercises until seen


def test_two_facts_of_the_intake_without_i_or_my_are_a_description() -> None:
    assert describes_own_pain(read_text("hi, achey back of knee, slow onset"))
    assert not describes_own_pain(read_text("back of the knee?"))
