from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import accumulated_red_flags, session_assessment
from bot.knowledge import load_knowledge
from bot.levels import TriageLevel, highest
from bot.settings import emergency_number, var_dir
from bot.store import EscalationRecord, StoreUnavailable, database_url, save_escalation
from bot.triage import Assessment

logger = logging.getLogger(__name__)


class ActionUpdateTriage(Action):
    """Runs on every user message (custom slot mapping): the level only rises, flags accumulate."""

    def name(self) -> str:
        return "action_update_triage"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        assessment = session_assessment(tracker)
        level = highest(assessment.level, tracker.get_slot("triage_level"))
        red_flags = accumulated_red_flags(tracker, assessment)
        events: list[EventType] = []
        if level.value != tracker.get_slot("triage_level"):
            events.append(SlotSet("triage_level", level.value))
        if red_flags != list(tracker.get_slot("red_flags") or []):
            events.append(SlotSet("red_flags", red_flags))
        return events


def _evidence_sentence(assessment: Assessment) -> str:
    quoted: list[str] = []
    for _, _, text in assessment.evidence:
        if text and text not in quoted and len(quoted) < 3:
            quoted.append(text)
    return "What I picked up: " + ", ".join(f'"{text}"' for text in quoted) + "." if quoted else ""


class ActionEscalate(Action):
    """Says plainly what to do now, stops any intake, and records the escalation for audit."""

    def name(self) -> str:
        return "action_escalate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        assessment = session_assessment(tracker)
        level = highest(assessment.level, tracker.get_slot("triage_level"))
        if level < TriageLevel.URGENT:  # the policy only calls this for urgent or emergency
            return []
        dispatcher.utter_message(text=load_knowledge().level_message(level, emergency_number()))
        evidence = _evidence_sentence(assessment)
        if evidence:
            dispatcher.utter_message(text=evidence)
        record = EscalationRecord(
            conversation_id=tracker.sender_id,
            level=level.value,
            rule_ids=assessment.rule_ids,
            evidence=tuple(assessment.to_dict()["evidence"]),
            ruleset_version=assessment.ruleset_version,
            message_text=tracker.latest_message.get("text") or "",
        )
        try:
            save_escalation(record, database_url(), var_dir() / "escalations-unsaved.jsonl")
        except StoreUnavailable as error:
            logger.error("escalation for %s kept in the fallback file: %s", tracker.sender_id, error)
        except Exception:  # the person must get the message even if the store is misconfigured
            logger.exception("escalation for %s could not be recorded", tracker.sender_id)
        events: list[EventType] = [SlotSet("triage_level", level.value), SlotSet("red_flags", accumulated_red_flags(tracker, assessment))]
        if tracker.active_loop.get("name"):
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        return events
