from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import session_profile
from bot import names
from bot.feelings import acknowledgements
from bot.knowledge import load_knowledge
from bot.knowledge.topics import question_topic
from bot.levels import TriageLevel
from bot.triage.annotation import MessageReading


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
        answered = answer_exercise_question(dispatcher, tracker)
        if answered is not None:
            return answered
        topic = topic_key(tracker.latest_message)
        personal = None
        if tracker.get_slot(names.ASSESSMENT_DONE):
            personal = knowledge.personal_answer(topic, knowledge.advise(session_profile(tracker), level))
        for response in acknowledgements(tracker.latest_message.get("text") or ""):
            dispatcher.utter_message(response=response)
        dispatcher.utter_message(text=personal or knowledge.answer(topic, level))
        # Another topic answered: a follow-up now refers to it, not to an exercise talked about before.
        talked_about = knowledge.exercise_of_topic(topic)
        return [SlotSet(names.LAST_EXERCISE, talked_about.id if talked_about else None)]


def answer_exercise_question(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """Answers a question about a named exercise, or one following up on the exercise talked about last,
    from that exercise's entry (whatever intent NLU gave it); None when the message is not one. Read
    on the normalised text ("strech for tight hammys" names the hamstring stretch)."""
    knowledge = load_knowledge()
    reading = MessageReading.from_parse_data(tracker.latest_message or {})
    question = knowledge.exercise_question(reading.normalised, tracker.get_slot(names.LAST_EXERCISE))
    if question is None:
        return None
    level = TriageLevel(tracker.get_slot(names.TRIAGE_LEVEL) or TriageLevel.SELF_CARE.value)
    dispatcher.utter_message(text=knowledge.exercise_answer(question, level))
    return [SlotSet(names.LAST_EXERCISE, question.exercises[-1].id)]
