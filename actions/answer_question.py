from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import session_profile
from bot import names
from bot.feelings import acknowledgements
from bot.knowledge import load_knowledge
from bot.knowledge.topics import question_topic
from bot.levels import TriageLevel


def topic_key(latest_message: dict[str, Any]) -> str:
    """The knowledge topic of the latest message (`ask_causes/bakers_cyst`, or the intent)."""
    intent = str((latest_message.get("intent") or {}).get("name") or "")
    return question_topic(intent, latest_message.get("response_selector"))


class ActionAnswerQuestion(Action):
    """Answers a question from bot/knowledge, withholding exercise advice after an urgent flag; after
    an assessment, exercise, treatment and cause questions are answered from that person's plan."""

    def name(self) -> str:
        return names.ACTION_ANSWER_QUESTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        level = TriageLevel(tracker.get_slot(names.TRIAGE_LEVEL) or TriageLevel.SELF_CARE.value)
        knowledge = load_knowledge()
        topic = topic_key(tracker.latest_message)
        personal = None
        if tracker.get_slot(names.ASSESSMENT_DONE):
            personal = knowledge.personal_answer(topic, knowledge.advise(session_profile(tracker), level))
        for response in acknowledgements(tracker.latest_message.get("text") or ""):
            dispatcher.utter_message(response=response)
        dispatcher.utter_message(text=personal or knowledge.answer(topic, level))
        return []
