"""The Rasa adapters over bot.triage: the NLU annotator and the interrupting dialogue policy."""

from __future__ import annotations

from typing import Any, Optional

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from bot.knowledge import load_knowledge
from bot.levels import TriageLevel
from bot.nlu.red_flag_annotator import RedFlagAnnotator
from bot.policies.red_flag_policy import ESCALATION_RESPONSE, EVIDENCE_RESPONSE, SafetyStep, next_safety_step
from bot.settings import emergency_number
from bot.store import EscalationRecord
from bot.triage import read_text
from tests.support.assistant import PROJECT_ROOT

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))


def annotate(text: str) -> dict[str, Any]:
    message = Message.build(text=text)
    RedFlagAnnotator().process([message])
    return message.as_dict_nlu()["triage"]


def test_annotator_attaches_level_rules_and_findings() -> None:
    result = annotate("my calf is swollen since the flight and I can't catch my breath")
    assert result["level"] == "emergency" and "pe_signs" in result["rule_ids"]
    assert {m["name"] for m in result["mentions"] if m["status"] == "current"} >= {"breathless"}
    assert result["normalised"] and result["screening"]["verdict"] in ("signs", "none", "unsure", "unreadable")
    assert annotate("no swelling and it never gives way")["level"] == "self_care"


def user(text: str, intent: str = "describe_symptoms") -> UserUttered:
    """A message as Rasa logs it, with the annotation the NLU annotator writes."""
    return UserUttered(
        text, {"name": intent, "confidence": 1.0}, parse_data={"text": text, "triage": read_text(text).to_parse_data()}
    )


def tracker_with(events: list[Event], slots: Optional[dict[str, Any]] = None) -> DialogueStateTracker:
    tracker = DialogueStateTracker.from_events("someone", [ActionExecuted(ACTION_LISTEN_NAME), *events], DOMAIN.slots)
    for name, value in (slots or {}).items():
        tracker.update(SlotSet(name, value))
    return tracker


def slot_events(step: SafetyStep) -> dict[str, Any]:
    return {event.key: event.value for event in step.events if isinstance(event, SlotSet)}


EMERGENCY = "my calf is swollen since the flight and I can't catch my breath"
URGENT = "I can't put any weight on it after the fall"


def test_an_emergency_is_answered_by_rasa_with_the_message_the_number_and_the_words() -> None:
    step = next_safety_step(tracker_with([user(EMERGENCY)]))
    slots = slot_events(step)
    assert step.action == ESCALATION_RESPONSE
    assert slots["triage_level"] == "emergency" and "pe_signs" in slots["red_flags"]
    assert slots["escalation_message"] == load_knowledge().level_message(TriageLevel.EMERGENCY, emergency_number())
    assert "can't catch my breath" in slots["escalation_evidence"]
    record = EscalationRecord.from_dict(slots["escalation"])
    assert record.conversation_id == "someone" and record.message_text == EMERGENCY and record.escalation_id


def test_the_emergency_number_comes_from_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POPLIT_EMERGENCY_NUMBER", "999")
    assert "999" in slot_events(next_safety_step(tracker_with([user(EMERGENCY)])))["escalation_message"]


def test_an_urgent_message_escalates_even_inside_a_form_and_ends_it() -> None:
    events = [
        ActiveLoop("symptom_intake_form"),
        SlotSet("requested_slot", "pain_onset"),
        ActionExecuted(ACTION_LISTEN_NAME),
        user(URGENT, "inform"),
    ]
    step = next_safety_step(tracker_with(events))
    assert step.action == ESCALATION_RESPONSE
    assert ActiveLoop(None) in step.events and SlotSet("requested_slot", None) in step.events
    assert slot_events(step)["triage_level"] == "urgent"


def test_after_the_escalation_the_evidence_then_listening() -> None:
    events = [user(EMERGENCY), SlotSet("escalation_evidence", "What I picked up: ..."), ActionExecuted(ESCALATION_RESPONSE)]
    assert next_safety_step(tracker_with(events)).action == EVIDENCE_RESPONSE
    assert next_safety_step(tracker_with([*events, ActionExecuted(EVIDENCE_RESPONSE)])).action == ACTION_LISTEN_NAME
    without_evidence = [user(EMERGENCY), ActionExecuted(ESCALATION_RESPONSE)]
    assert next_safety_step(tracker_with(without_evidence)).action == ACTION_LISTEN_NAME


def test_a_rise_from_combined_messages_escalates() -> None:
    first = [user("my calf is sore and swollen"), SlotSet("triage_level", "see_clinician"), ActionExecuted(ACTION_LISTEN_NAME)]
    step = next_safety_step(tracker_with([*first, user("I only just got back from a long haul flight", "inform")]))
    assert step.action == ESCALATION_RESPONSE and slot_events(step)["triage_level"] in ("urgent", "emergency")


def test_ordinary_messages_update_the_slots_without_an_action() -> None:
    step = next_safety_step(tracker_with([user("it aches after running and the calf is a bit swollen")]))
    assert step.action is None
    assert "escalation" not in slot_events(step)


def test_the_level_never_falls_and_an_old_escalation_does_not_repeat() -> None:
    events = [
        SlotSet("triage_level", "urgent"),
        SlotSet("red_flags", ["cannot_bear_weight"]),
        ActionExecuted(ACTION_LISTEN_NAME),
        user("thanks", "thank"),
    ]
    step = next_safety_step(tracker_with(events))
    assert step.action is None and step.events == []


def test_negated_and_other_peoples_signs_do_not_escalate() -> None:
    for text in ("no swelling, it has never given way", "my dad had a clot in his calf once"):
        assert next_safety_step(tracker_with([user(text)])).action is None


def test_later_in_the_turn_the_policy_only_follows_its_own_escalation() -> None:
    events = [user(EMERGENCY), ActionExecuted("action_greet")]
    assert next_safety_step(tracker_with(events)) == SafetyStep()


def test_a_bare_severe_score_answering_the_pain_question_escalates_at_once() -> None:
    def answering(question: str, text: str) -> SafetyStep:
        events = [
            ActiveLoop("symptom_intake_form"),
            SlotSet("requested_slot", question),
            ActionExecuted(ACTION_LISTEN_NAME),
            user(text, "inform"),
        ]
        return next_safety_step(tracker_with(events))

    step = answering("pain_score", "8 maybe 9 tbh its rly bad")
    assert step.action == ESCALATION_RESPONSE and "severe_pain" in slot_events(step)["red_flags"]
    assert answering("pain_score", "3 or 4").action is None
    assert answering("pain_duration", "9").action is None  # nine of what: days, weeks
