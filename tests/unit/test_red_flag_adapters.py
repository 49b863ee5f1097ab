"""The Rasa adapters over bot.triage: the NLU annotator and the interrupting dialogue policy."""
from __future__ import annotations

from typing import Any, Optional

from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.red_flag_annotator import RedFlagAnnotator
from bot.policies.red_flag_policy import ESCALATE, next_safety_action
from tests.support.assistant import PROJECT_ROOT

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))


def annotate(text: str) -> dict[str, Any]:
    message = Message.build(text=text)
    RedFlagAnnotator().process([message])
    return message.as_dict_nlu()["triage"]


def test_annotator_attaches_level_rules_and_findings() -> None:
    result = annotate("my calf is swollen since the flight and I can't catch my breath")
    assert result["level"] == "emergency" and "pe_signs" in result["rule_ids"]
    assert {finding["name"] for finding in result["findings"]} >= {"breathless"}
    assert annotate("no swelling and it never gives way")["level"] == "self_care"


def user(text: str, level: str, intent: str = "describe_symptoms") -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 1.0}, parse_data={"triage": {"level": level}})


def tracker_with(events: list[Event], slots: Optional[dict[str, Any]] = None) -> DialogueStateTracker:
    tracker = DialogueStateTracker.from_events("someone", [ActionExecuted(ACTION_LISTEN_NAME), *events], DOMAIN.slots)
    for name, value in (slots or {}).items():
        tracker.update(SlotSet(name, value))
    return tracker


def test_an_urgent_message_escalates_even_inside_a_form() -> None:
    events = [
        ActiveLoop("symptom_intake_form"),
        ActionExecuted(ACTION_LISTEN_NAME),
        user("I can't put any weight on it after the fall", "urgent", "inform"),
    ]
    assert next_safety_action(tracker_with(events, {"triage_level": "urgent"})) == ESCALATE


def test_after_the_escalation_the_assistant_listens() -> None:
    events = [user("I can't breathe and my calf is swollen", "emergency"), ActionExecuted(ESCALATE)]
    assert next_safety_action(tracker_with(events)) == ACTION_LISTEN_NAME


def test_a_rise_from_combined_messages_escalates() -> None:
    events = [
        user("my calf is sore and swollen", "see_clinician"),
        SlotSet("triage_level", "see_clinician"),
        ActionExecuted(ACTION_LISTEN_NAME),
        user("I only just got back from a long haul flight", "self_care", "inform"),
        SlotSet("triage_level", "urgent"),
    ]
    assert next_safety_action(tracker_with(events)) == ESCALATE


def test_no_escalation_for_ordinary_messages_or_an_old_urgent_level() -> None:
    assert next_safety_action(tracker_with([user("it aches after running", "self_care")])) is None
    events = [SlotSet("triage_level", "urgent"), ActionExecuted(ACTION_LISTEN_NAME), user("thanks", "self_care", "thank")]
    assert next_safety_action(tracker_with(events)) is None
