"""The safety net's dialogue side, all inside the Rasa process so it works without the action server.

On the first prediction after each message it brings `triage_level` (only ever rises) and
`red_flags` (only ever grow) up to date from the findings the NLU annotator stored on every message
of the session. When the message is itself urgent or emergency, or raises the session to urgent or
above in combination with earlier messages, it interrupts whatever is going on (an active form
included, hence a priority above RulePolicy's): the person gets the level's message with the
emergency number and the words that were picked up, as domain responses filled from slots, and the
escalation record goes on the tracker for the tracker store to write to the audit table
(bot/trackers). Then the assistant listens.

It also owns the red-flag screening question's two dialogue steps: a sign named in answer to it
escalates at once like any other red flag, and a message that looks like a red flag the rules
cannot place (bot/triage/screening.py) starts the intake, whose first question it is.

Loading the policy also installs the action server guard, so no other reply waits on a hung
action server for long either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot import names
from bot.escalation import escalation_for
from bot.intake import read_message, score_answer
from bot.levels import TriageLevel, highest
from bot.names import TRIAGE_KEY
from bot.policies import action_server_guard
from bot.settings import emergency_number
from bot.triage import Finding, assess, grow_red_flags, read_text
from bot.triage.annotation import MessageReading, messages_findings
from bot.triage.screening import ScreeningVerdict, screening_findings

ESCALATION_RESPONSE = names.UTTER_ESCALATION
EVIDENCE_RESPONSE = names.UTTER_ESCALATION_EVIDENCE
EXTRACT_SLOTS = "action_extract_slots"
LEVEL_SLOT = names.TRIAGE_LEVEL
RED_FLAGS_SLOT = names.RED_FLAGS
MESSAGE_SLOT = names.ESCALATION_MESSAGE
EVIDENCE_SLOT = names.ESCALATION_EVIDENCE
RECORD_SLOT = names.ESCALATION_RECORD
SCREENING_SLOT = names.RED_FLAG_SCREEN
PAIN_SCORE_SLOT = "pain_score"
SWELLING_SLOT = "swelling"


@dataclass(frozen=True)
class SafetyStep:
    """The action the safety net needs next (None: leave it to the other policies) and the events
    that go with it; the events are applied whichever policy wins."""

    action: Optional[str] = None
    events: List[Event] = field(default_factory=list)


def _session_messages(tracker: DialogueStateTracker) -> List[UserUttered]:
    messages: List[UserUttered] = []
    for event in reversed(tracker.events):
        if isinstance(event, SessionStarted):
            break
        if isinstance(event, UserUttered):
            messages.append(event)
    return list(reversed(messages))


def _actions_since_latest_message(tracker: DialogueStateTracker) -> List[str]:
    names: List[str] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, ActionExecuted) and event.action_name and event.action_name != EXTRACT_SLOTS:
            names.append(event.action_name)
    return list(reversed(names))


def _parse_data(message: UserUttered) -> Dict[str, Any]:
    parse_data = {"text": message.text, **(message.parse_data or {})}
    if TRIAGE_KEY not in parse_data and message.text and not message.text.startswith("/"):
        # Text that reached the dialogue without the NLU pipeline (`rasa test core` feeds stories'
        # messages this way) is read here; a button's `/intent` payload says nothing.
        parse_data[TRIAGE_KEY] = read_text(message.text).to_parse_data()
    return parse_data


def _after_escalation(tracker: DialogueStateTracker, last_action: str) -> Optional[str]:
    if last_action == ESCALATION_RESPONSE and tracker.get_slot(EVIDENCE_SLOT):
        return EVIDENCE_RESPONSE
    if last_action in (ESCALATION_RESPONSE, EVIDENCE_RESPONSE):
        return ACTION_LISTEN_NAME
    return None


def _pending_answer(tracker: DialogueStateTracker, latest: MessageReading) -> List[Finding]:
    """A bare answer to the intake's pain or swelling question is a finding at once: "8 maybe 9 tbh"
    (free text needs "/10" to be read as a score), and "yes, and it's hot and red" (the swelling
    that makes heat and redness a sign of infection)."""
    asked = tracker.get_slot(REQUESTED_SLOT) if tracker.active_loop_name == names.INTAKE_FORM else None
    if asked == PAIN_SCORE_SLOT and not any(finding.name == "pain_score" for finding in latest.findings):
        score = score_answer(latest)
        return [] if score is None else [Finding("pain_score", latest.text, -1, -1, score)]
    if asked == SWELLING_SLOT and not any(finding.name == "swelling" for finding in latest.findings):
        said_yes = read_message(latest, asked).answers.get(SWELLING_SLOT) == "yes"
        return [Finding("swelling", latest.text, -1, -1)] if said_yes else []
    return []


def _screening_answered(tracker: DialogueStateTracker, latest: MessageReading) -> List[Finding]:
    """The signs the latest message names as its answer to the screening question, as findings
    (none when that question is not the one pending)."""
    pending = tracker.active_loop_name == names.INTAKE_FORM and tracker.get_slot(REQUESTED_SLOT) == SCREENING_SLOT
    if not pending or latest.screening_answer.verdict is not ScreeningVerdict.SIGNS:
        return []
    return screening_findings(latest.screening_answer, latest.text)


def _calls_for_screening(tracker: DialogueStateTracker, latest: MessageReading, level_before: TriageLevel) -> bool:
    """A message that looks like a red flag the rules could not place, outside any form, in a session
    that has neither answered the screening question nor been sent for urgent care already: the
    intake starts, and asks it first."""
    return (
        bool(latest.screening_trigger)
        and tracker.get_slot(SCREENING_SLOT) is None
        and not tracker.active_loop_name
        and level_before < TriageLevel.URGENT
    )


def next_safety_step(tracker: DialogueStateTracker) -> SafetyStep:
    actions = _actions_since_latest_message(tracker)
    if actions:
        return SafetyStep(_after_escalation(tracker, actions[-1]))
    messages = _session_messages(tracker)
    if not messages:
        return SafetyStep()
    latest = MessageReading.from_parse_data(_parse_data(messages[-1]))
    screened = _screening_answered(tracker, latest)
    # What the latest message answers of a pending question counts with what it says.
    answered = screened + _pending_answer(tracker, latest)
    assessment = assess(messages_findings(_parse_data(message) for message in messages) + answered)
    level_before = highest(tracker.get_slot(LEVEL_SLOT))
    level = highest(assessment.level, level_before)
    red_flags = grow_red_flags(tracker.get_slot(RED_FLAGS_SLOT), assessment.rule_ids)

    events: List[Event] = []
    if level.value != tracker.get_slot(LEVEL_SLOT):
        events.append(SlotSet(LEVEL_SLOT, level.value))
    if red_flags != list(tracker.get_slot(RED_FLAGS_SLOT) or []):
        events.append(SlotSet(RED_FLAGS_SLOT, red_flags))
    if screened:
        events.append(SlotSet(SCREENING_SLOT, latest.screening_answer.slot_value))

    message_is_serious = assess(latest.findings + answered).level >= TriageLevel.URGENT
    session_rose_to_serious = level >= TriageLevel.URGENT and level > level_before
    if not (message_is_serious or session_rose_to_serious):
        if _calls_for_screening(tracker, latest, level_before):
            return SafetyStep(names.INTAKE_FORM, events)
        return SafetyStep(None, events)

    escalation = escalation_for(assessment, level, tracker.sender_id, latest.text, emergency_number())
    events += [
        SlotSet(MESSAGE_SLOT, escalation.message),
        SlotSet(EVIDENCE_SLOT, escalation.evidence_sentence or None),
        SlotSet(RECORD_SLOT, escalation.record.to_dict()),
    ]
    if tracker.active_loop_name == names.INTAKE_FORM:
        # The questions stop here, but what the message answered is kept ("9/10, worst pain ever").
        reading = read_message(latest, tracker.get_slot(REQUESTED_SLOT))
        events += [SlotSet(slot, value) for slot, value in reading.answers.items() if slot != SCREENING_SLOT]
        if "pain_duration" in reading.answers and reading.duration is not None:
            events.append(SlotSet(names.PAIN_DURATION_DAYS, reading.duration.days))
    if tracker.active_loop_name:
        events += [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
    return SafetyStep(ESCALATION_RESPONSE, events)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class RedFlagPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Above RulePolicy (6) so that it wins ties, including over an active form.
        return {"priority": 7}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        step = next_safety_step(tracker)
        if step.action is None:
            return self._prediction(probabilities, events=step.events)
        probabilities[domain.index_for_action(step.action)] = 1.0
        return self._prediction(probabilities, events=step.events, is_no_user_prediction=True)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "RedFlagPolicy":
        action_server_guard.install()
        return cls(config, model_storage, resource, execution_context)
