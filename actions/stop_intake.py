from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import session_readings
from bot import names
from bot.intake import answers_despite_intent


class ActionStopIntake(Action):
    """Stops the intake questions; answers given so far are kept for when the person comes back.
    An answer NLU took for a stop ("normal" to the walking question) goes back to the intake."""

    def name(self) -> str:
        return "action_stop_intake"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        readings = session_readings(tracker)
        if readings and answers_despite_intent(readings[-1], tracker.get_slot(names.REQUESTED_SLOT)):
            return [FollowupAction(names.INTAKE_FORM)]
        dispatcher.utter_message(response="utter_intake_stopped")
        return [ActiveLoop(None), SlotSet(names.REQUESTED_SLOT, None)]
