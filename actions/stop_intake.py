from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import names


class ActionStopIntake(Action):
    """Stops the intake questions; answers given so far are kept for when the person comes back."""

    def name(self) -> str:
        return "action_stop_intake"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_intake_stopped")
        return [ActiveLoop(None), SlotSet(names.REQUESTED_SLOT, None)]
