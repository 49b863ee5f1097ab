from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import session_profile
from bot import names
from bot.feelings import acknowledgements
from bot.knowledge import load_knowledge
from bot.knowledge.topics import asks, confident_topic, follow_up_subject, is_short_follow_up, question_topics, surer_alone
from bot.levels import TriageLevel
from bot.triage.annotation import MessageReading


class ActionAnswerQuestion(Action):
    """Answers a question from bot/knowledge, withholding exercise advice after an urgent flag; after
    an assessment, exercise, treatment and cause questions are answered from that person's plan."""

    def name(self) -> str:
        return names.ACTION_ANSWER_QUESTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        answered = answer_exercise_question(dispatcher, tracker)
        if answered is not None:
            return answered
        message = tracker.latest_message or {}
        intent = str((message.get("intent") or {}).get("name") or "")
        selector = message.get("response_selector")
        # A long story's question, when read on its own it is clearer; else "ice or heat?" gets both
        # parts, each answered in turn.
        alone = surer_alone(message.get(names.QUESTION_PART_KEY), selector)
        topics = (
            [alone]
            if alone
            else question_topics(intent, selector, str(message.get("text") or ""), tracker.get_slot(names.LAST_TOPIC))
        )
        return answer_topics(dispatcher, tracker, topics)


def answer_topics(dispatcher: CollectingDispatcher, tracker: Tracker, topics: list[str]) -> list[EventType]:
    """Answers each topic in turn: from the person's own plan after an assessment, else the general
    answer (without exercise advice after an urgent flag); the last one is what a follow-up refers to."""
    level = TriageLevel(tracker.get_slot(names.TRIAGE_LEVEL) or TriageLevel.SELF_CARE.value)
    knowledge = load_knowledge()
    advice = knowledge.advise(session_profile(tracker), level) if tracker.get_slot(names.ASSESSMENT_DONE) else None
    for response in acknowledgements((tracker.latest_message or {}).get("text") or ""):
        dispatcher.utter_message(response=response)
    for topic in topics:
        personal = knowledge.personal_answer(topic, advice) if advice else None
        dispatcher.utter_message(text=personal or knowledge.answer(topic, level))
    # Another topic answered: a follow-up now refers to it, not to an exercise talked about before.
    talked_about = knowledge.exercise_of_topic(topics[-1])
    return [SlotSet(names.LAST_EXERCISE, talked_about.id if talked_about else None), SlotSet(names.LAST_TOPIC, topics[-1])]


OFF_TOPIC_CONFIDENCE = 0.7


def answer_follow_up(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """A message NLU could not place: a question about an exercise (named, or the one talked about
    last); a question whose topic the response selector is sure of ("what's the best exercise for the
    back of my knee" with ask_exercises at 0.37); or a follow-up too short to name a subject of its own
    ("will it burst?", "and an X-ray?"), about the topic answered last. None when it is none of these."""
    answered = answer_exercise_question(dispatcher, tracker)
    if answered is not None:
        return answered
    message = tracker.latest_message or {}
    text = str(message.get("text") or "")
    intent = message.get("intent") or {}
    # "What's the weather?" is short too: a message NLU is sure is off-topic is not a follow-up.
    if intent.get("name") == "out_of_scope" and float(intent.get("confidence") or 0) >= OFF_TOPIC_CONFIDENCE:
        return None
    sure_topic = confident_topic(message.get("response_selector"))
    if sure_topic and asks(text):
        return answer_topics(dispatcher, tracker, [sure_topic])
    last_topic = tracker.get_slot(names.LAST_TOPIC)
    if not last_topic or not is_short_follow_up(text):
        return None
    return answer_topics(dispatcher, tracker, [follow_up_subject(text, last_topic)])


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
