"""Messages typed as people type on a phone, through REST (issue 19's examples): misspellings,
capitals, text-speak and a red flag buried in a long message reach the same level as the tidy
wording; a calm message with misspelled negations is not over-triaged. The reading behind it is
bot/triage/normalise.py."""

from __future__ import annotations

import secrets

import pytest

from bot.knowledge import load_knowledge
from bot.levels import TriageLevel
from bot.settings import emergency_number
from tests.support.assistant import RunningAssistant

pytestmark = pytest.mark.e2e


def level_message(level: TriageLevel) -> str:
    return load_knowledge().level_message(level, emergency_number())


def conversation(assistant: RunningAssistant, *messages: str) -> tuple[list[list[str]], dict]:
    sender = "typed-" + secrets.token_hex(4)
    replies = [[reply.get("text") or "" for reply in assistant.say(sender, message)] for message in messages]
    return replies, assistant.rest_tracker(sender)["slots"]


def test_a_possible_clot_with_typos_is_urgent_then_an_emergency_on_the_breathless_turn(assistant: RunningAssistant) -> None:
    replies, slots = conversation(
        assistant,
        "my calf behind the knee is swolen and red and hot since my flight yesterday",
        "and now im kinda short of breth",
    )
    assert level_message(TriageLevel.URGENT) in replies[0], replies[0]
    assert replies[1][0] == level_message(TriageLevel.EMERGENCY), replies[1]
    assert slots["triage_level"] == "emergency" and "pe_signs" in slots["red_flags"]


@pytest.mark.parametrize(
    "message",
    [
        "chest pian and my calf is swollen",
        "MY CALF IS SWOLEN AND I CANT BREATH PROPERLY",
        "so i was at the shops w my mum n we were chattin about her hip n then i noticed my foot is cold n pale "
        "n i cant rly feel my toes, anyway what exercises shud i do for the back of my knee",
    ],
)
def test_an_emergency_typed_on_a_phone_gets_the_emergency_message_at_once(assistant: RunningAssistant, message: str) -> None:
    replies, slots = conversation(assistant, message)
    assert replies[0][0] == level_message(TriageLevel.EMERGENCY), replies
    assert slots["triage_level"] == "emergency"


def test_misspelled_negations_are_still_negations(assistant: RunningAssistant) -> None:
    _, slots = conversation(assistant, "the back of my knee aches after running", "no sweling, it dosnt lock or giv way")
    assert slots["triage_level"] in (None, "self_care"), slots
    assert not {"catching_locking", "giving_way"} & set(slots.get("red_flags") or [])


def test_casual_answers_from_the_issue_are_read_as_answers(assistant: RunningAssistant) -> None:
    sender = "typed-" + secrets.token_hex(4)
    steps = [
        ("pain behind my knee, came on gradually", {"requested_slot": "red_flag_screen"}),
        # a negated list denies every item: none of the signs, no swelling, and no red flag raised
        (
            "no redness, swelling or heat in the calf",
            {"red_flag_screen": "none", "swelling": "no", "requested_slot": "pain_duration"},
        ),
        ("maybe 3 weeks?", {"pain_duration_days": 21.0, "requested_slot": "pain_score"}),  # "?" and still the answer
        ("five, maybe six", {"pain_score": "6", "requested_slot": "mechanical_symptoms"}),  # a range keeps the higher
        ("oops, I meant 5 not 6", {"pain_score": "5"}),  # the correction wins
        ("none of these", {"mechanical_symptoms": "none"}),
        ("getting about okay", {"weight_bearing": "normal", "assessment_done": True}),
    ]
    for message, expected in steps:
        assistant.say(sender, message)
        slots = assistant.rest_tracker(sender)["slots"]
        assert {name: slots.get(name) for name in expected} == expected, (message, slots)
    assert slots["triage_level"] in (None, "self_care") and not slots.get("red_flags")


def test_answers_in_context_through_rest(assistant: RunningAssistant) -> None:
    """Typed-4's families over REST: a unit misspelt, a score with a "what if", thanks said with the
    answer, and a bare "yes" to the swelling question that, with heat and redness, is a hot swollen knee."""
    sender = "typed-" + secrets.token_hex(4)
    steps = [
        ("back of my knee aches", {"requested_slot": "red_flag_screen"}),
        ("none of them", {"red_flag_screen": "none", "requested_slot": "pain_onset"}),
        ("came on slowly", {"pain_onset": "gradual", "requested_slot": "pain_duration"}),
        ("abt 5 dyas", {"pain_duration_days": 5.0, "requested_slot": "pain_score"}),
        ("3, but what if it gets to like a 9?", {"pain_score": "3", "requested_slot": "swelling", "triage_level": "self_care"}),
        ("no", {"swelling": "no", "requested_slot": "mechanical_symptoms"}),
        ("nope", {"mechanical_symptoms": "none", "requested_slot": "weight_bearing"}),
        ("normal ty", {"weight_bearing": "normal", "assessment_done": True}),
    ]
    for message, expected in steps:
        assistant.say(sender, message)
        slots = assistant.rest_tracker(sender)["slots"]
        assert {name: slots.get(name) for name in expected} == expected, (message, slots)

    sender = "typed-" + secrets.token_hex(4)
    for message in ("pain behind my knee", "none of these", "gradual", "a week", "4"):
        assistant.say(sender, message)
    assert assistant.rest_tracker(sender)["slots"]["requested_slot"] == "swelling"
    replies = assistant.say(sender, "yess n its hot n red")
    slots = assistant.rest_tracker(sender)["slots"]
    assert slots["triage_level"] == "urgent" and "hot_swollen_knee" in slots["red_flags"], slots
    assert slots["swelling"] == "yes", "the questions stop, the answer is kept"
    assert replies, "the escalation is said on the same turn"
