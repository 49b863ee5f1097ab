from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import names
from bot.knowledge import load_knowledge


class ActionGreet(Action):
    """Greets, and gives the education-not-diagnosis statement once per session."""

    def name(self) -> str:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(
            text="Hi, I'm Poplit. I help people make sense of pain at the back of the knee. "
            "Tell me what's going on with your knee, or ask me a question."
        )
        if tracker.get_slot(names.DISCLAIMER_GIVEN):
            return []
        dispatcher.utter_message(text=load_knowledge().disclaimer)
        return [SlotSet(names.DISCLAIMER_GIVEN, True)]
