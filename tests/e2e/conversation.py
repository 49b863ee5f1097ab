"""Drives a whole intake through the REST channel, answering whatever the assistant asks."""

from __future__ import annotations

from typing import Any, Optional

from tests.support.assistant import RunningAssistant

# One plausible answer per intake question, as a person would type it.
ANSWERS = {
    "red_flag_screen": "none of these",
    "pain_location": "right at the back of the knee",
    "pain_onset": "it came on gradually",
    "pain_duration": "about three weeks",
    "pain_score": "4",
    "swelling": "no swelling",
    "mechanical_symptoms": "none of these",
    "weight_bearing": "I can walk normally",
}


def run_intake(
    assistant: RunningAssistant,
    sender: str,
    opening: str,
    answers: Optional[dict[str, str]] = None,
    max_turns: int = 10,
) -> list[list[dict[str, Any]]]:
    """Sends `opening`, then answers each requested slot until the assessment is given."""
    answers = {**ANSWERS, **(answers or {})}
    replies = [assistant.say(sender, opening)]
    for _ in range(max_turns):
        slots = assistant.rest_tracker(sender)["slots"]
        if slots.get("assessment_done"):
            return replies
        requested = slots.get("requested_slot")
        if requested not in answers:
            raise AssertionError(f"intake stalled: requested_slot={requested!r}, last replies={replies[-1]}")
        replies.append(assistant.say(sender, answers[requested]))
    raise AssertionError(f"no assessment after {max_turns} answers: {replies}")
