"""The intake through the running assistant over REST: the examples a new user found (issue 7's
"Why"), and the blind scripted conversations in tests/conversations with their figure."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from bot.knowledge import load_knowledge
from tests.conversations.runner import MAX_TIMES_ASKED, load_conversations, report_lines, run_all
from tests.support.assistant import RunningAssistant

pytestmark = pytest.mark.e2e

# The share of expectations the blind conversations must meet (the acceptance).
REQUIRED_SHARE = 0.95


def turn(assistant: RunningAssistant, sender: str, text: str) -> tuple[list[str], dict[str, Any]]:
    """The reply texts and the tracker afterwards."""
    replies = [reply.get("text") or "" for reply in assistant.say(sender, text)]
    return replies, assistant.rest_tracker(sender)


def asked(tracker: dict[str, Any]) -> list[str]:
    """Intake questions asked since the person's latest message."""
    names = []
    for event in reversed(tracker["events"]):
        if event.get("event") == "user":
            break
        name = str((event.get("metadata") or {}).get("utter_action") or "")
        if event.get("event") == "bot" and name.startswith("utter_ask_"):
            names.append(name[len("utter_ask_") :])
    return names


def test_no_locking_is_a_denial_not_locking(assistant: RunningAssistant) -> None:
    sender = "why-no-locking"
    turn(assistant, sender, "the back of my knee aches, came on gradually about 3 weeks ago, 3/10, no swelling")
    _, tracker = turn(assistant, sender, "no locking")
    slots = tracker["slots"]
    assert slots["mechanical_symptoms"] == "none"
    assert "catching_locking" not in (slots["red_flags"] or [])
    assert slots["triage_level"] in (None, "self_care")


def test_limping_a_bit_is_not_cannot_bear_weight(assistant: RunningAssistant) -> None:
    sender = "why-limping"
    turn(assistant, sender, "my knee hurts at the back")
    turn(assistant, sender, "none of those")
    _, tracker = turn(assistant, sender, "I can't walk without limping a bit")
    slots = tracker["slots"]
    assert slots["weight_bearing"] == "limping"
    assert slots["triage_level"] in (None, "self_care", "see_clinician")


def test_what_the_description_said_is_not_asked(assistant: RunningAssistant) -> None:
    sender = "why-buckles"
    _, tracker = turn(assistant, sender, "the back of my right knee aches and sometimes it buckles on the stairs")
    assert tracker["slots"]["mechanical_symptoms"] == "giving_way" and tracker["slots"]["pain_location"] == "back_of_knee"
    assert asked(tracker) == ["red_flag_screen"]
    for answer in ("none of these", "gradually", "a month", "3", "no"):
        _, tracker = turn(assistant, sender, answer)
        assert "mechanical_symptoms" not in asked(tracker) and "pain_location" not in asked(tracker)


def test_durations_are_kept_whole(assistant: RunningAssistant) -> None:
    sender = "why-durations"
    turn(assistant, sender, "pain at the back of my knee")
    _, tracker = turn(assistant, sender, "gradually, over the last 3 weeks")
    assert tracker["slots"]["pain_onset"] == "gradual"
    assert tracker["slots"]["pain_duration"] == "3 weeks" and tracker["slots"]["pain_duration_days"] == 21
    _, tracker = turn(assistant, sender, "actually for about two months")
    assert tracker["slots"]["pain_duration"] == "about two months" and tracker["slots"]["pain_duration_days"] == 60


def test_a_description_with_a_context_starts_the_intake_and_it_reaches_the_assessment(assistant: RunningAssistant) -> None:
    sender = "why-sitting"
    replies, tracker = turn(assistant, sender, "pain behind my knee when I sit for long at work")
    assert tracker["active_loop"].get("name") == "symptom_intake_form" and asked(tracker) == ["red_flag_screen"]
    for answer in (
        "nope, none of those",
        "it crept up on me",
        "a couple of weeks",
        "4",
        "I don't think it's swollen",
        "it doesn't lock or give way",
        "I walk normally",
    ):
        replies, tracker = turn(assistant, sender, answer)
        assert not any("didn't catch" in reply for reply in replies), (answer, replies)
    slots = tracker["slots"]
    assert slots["assessment_done"] is True
    assert (slots["pain_onset"], slots["swelling"], slots["mechanical_symptoms"], slots["weight_bearing"]) == (
        "gradual",
        "no",
        "none",
        "normal",
    )
    assert slots["pain_duration_days"] == 14 and slots["pain_score"] == "4"
    reply = " ".join(replies)
    assert "no swelling" in reply and "no locking, catching or giving way" in reply
    assert "About what you mentioned earlier" in reply  # the sitting question, answered after the assessment


def test_after_the_assessment_stretches_are_the_persons_own_plan(assistant: RunningAssistant) -> None:
    sender = "why-stretches"
    turn(assistant, sender, "the back of my knee aches after running, came on gradually over 3 weeks, about 3/10")
    for answer in ("no swelling", "none of these", "walking fine"):
        replies, tracker = turn(assistant, sender, answer)
    assert tracker["slots"]["assessment_done"] is True
    plan = " ".join(replies)
    replies, _ = turn(assistant, sender, "what stretches can I do?")
    names = [exercise.name for exercise in load_knowledge().exercises if exercise.name in plan]
    assert names and all(name in " ".join(replies) for name in names), (names, replies)


def test_fear_is_acknowledged_with_an_honest_word(assistant: RunningAssistant) -> None:
    sender = "why-scared"
    replies, tracker = turn(assistant, sender, "I'm really scared, the back of my knee has a lump and I think it might be cancer")
    responses = [str((e.get("metadata") or {}).get("utter_action")) for e in tracker["events"] if e.get("event") == "bot"]
    assert any(name.startswith("utter_acknowledge") for name in responses)
    assert "utter_feared_cancer" in responses
    assert any("cyst" in reply for reply in replies) and asked(tracker)


def test_blind_conversations(assistant: RunningAssistant, report: Callable[[str], None]) -> None:
    results = run_all(assistant, load_conversations())
    lines = report_lines(results)
    for line in lines[:1]:
        report(f"Blind scripted conversations (tests/conversations): {line}")
    met = sum(result.met for result in results)
    total = sum(result.total for result in results)
    worst = max((count for result in results for count in result.times_asked.values()), default=0)
    assert worst <= MAX_TIMES_ASKED, "\n".join(lines)
    assert met / total >= REQUIRED_SHARE, "\n".join(lines)
