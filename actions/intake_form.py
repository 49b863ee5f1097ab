from __future__ import annotations

from typing import Any, Callable, Coroutine, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.conversation import latest_intent, session_entities
from bot.intake import INTAKE_SLOTS, parse_answer, prefill_from_entities, retry_hint

# A question asked in the middle of the intake is answered by a rule, never taken as an answer.
NOT_ANSWERS = {
    "ask_exercises", "ask_treatment", "ask_causes", "ask_prevention", "ask_when_to_see_doctor",
    "stop", "greet", "goodbye", "bot_challenge", "thank",
}


# Actions that may run between a person's message and this validation without having handled it.
_TRANSPARENT_ACTIONS = {"action_listen", "action_extract_slots", "symptom_intake_form", "validate_symptom_intake_form"}


def _answers_latest_message(tracker: Tracker) -> bool:
    """True when the latest message is still unhandled: the form runs right after it, not after
    another action (e.g. an answer to a question asked mid-intake) already dealt with it."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in _TRANSPARENT_ACTIONS:
            return False
    return False


def _extract(slot: str, tracker: Tracker) -> dict[str, Any]:
    # Nothing is taken from a question or a request to stop, so the form rejects the turn and the
    # rules answer it; a slot prefilled here would hide the question.
    if tracker.get_slot(slot) is not None or latest_intent(tracker) in NOT_ANSWERS:
        return {}
    prefilled = prefill_from_entities(session_entities(tracker))
    if slot in prefilled:
        return {slot: prefilled[slot]}
    is_fresh_answer = tracker.get_slot("requested_slot") == slot and _answers_latest_message(tracker)
    if is_fresh_answer and tracker.latest_message.get("text"):
        return {slot: tracker.latest_message["text"]}
    return {}


def _validate(slot: str, value: Any, dispatcher: CollectingDispatcher) -> dict[str, Optional[str]]:
    answer = parse_answer(slot, str(value)) if value is not None else None
    if answer is None:
        dispatcher.utter_message(text=retry_hint(slot))
    return {slot: answer}


def _extractor(slot: str) -> Callable[..., Coroutine[Any, Any, dict[str, Any]]]:
    async def extract(self: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict[str, Any]:
        return _extract(slot, tracker)

    return extract


def _validator(slot: str) -> Callable[..., Coroutine[Any, Any, dict[str, Optional[str]]]]:
    async def validate(
        self: Any, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Optional[str]]:
        return _validate(slot, value, dispatcher)

    return validate


class ValidateSymptomIntakeForm(FormValidationAction):
    """Fills intake slots from earlier messages' entities and reads free-text answers via bot.intake."""

    def name(self) -> str:
        return "validate_symptom_intake_form"


# rasa_sdk looks up `extract_<slot>` and `validate_<slot>` by name; every intake slot is read the
# same way, so the methods are generated from the slot list instead of written out seven times.
for _slot in INTAKE_SLOTS:
    setattr(ValidateSymptomIntakeForm, f"extract_{_slot}", _extractor(_slot))
    setattr(ValidateSymptomIntakeForm, f"validate_{_slot}", _validator(_slot))
