"""A message that describes the person's own pain starts (or continues) the intake, even when NLU
read it as a question because it names a context a question topic covers ("pain behind my knee when
I sit for long at work" is not a request for advice on movement breaks).

Runs after the FallbackClassifier. When the message is not an explicit question and the intake's
reader (bot.intake, the triage engine's reading) finds something it answers about the person's own
knee, the intent becomes describe_symptoms; the question topic NLU saw is kept in the parse data
under "deferred_question", and the assessment answers it afterwards.

The other way round, a question about an exercise it names ("calf raises how many should i do",
"i feel bridges in my hamstrings, am i doing it wrong?") is a question about that exercise
(ask_exercises), however much it sounds like a description: the exercise's own entry answers it.
"""

from __future__ import annotations

from typing import List, Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import names
from bot.intake import describes_own_pain
from bot.knowledge import load_knowledge
from bot.knowledge.topics import asks, is_short_follow_up, question_topic
from bot.knowledge.vocabulary import EXERCISE_INTENT
from bot.names import TRIAGE_KEY
from bot.nlu.stateless import StatelessComponent
from bot.triage.annotation import MessageReading

DESCRIBE = names.DESCRIBE_SYMPTOMS
INFORM = "inform"
FALLBACK = "nlu_fallback"
DEFERRED_KEY = names.DEFERRED_QUESTION_KEY
# Intents a description may have been mistaken for ("hi, I have pain behind my knee" is more than a
# greeting); stops, thanks and answers keep their own.
OVERRIDABLE = (
    "ask_exercises",
    "ask_treatment",
    "ask_causes",
    "ask_prevention",
    "ask_when_to_see_doctor",
    "out_of_scope",
    "nlu_fallback",
    "greet",
    "bot_challenge",
)


# How close a question intent must come to describe_symptoms for the message to carry that question too.
CLOSE_QUESTION_CONFIDENCE = 0.3


def _close_question(message: Message) -> Optional[str]:
    ranking = message.get(INTENT_RANKING_KEY) or []
    for ranked in ranking[1:2]:
        name = str(ranked.get("name") or "")
        if name.startswith("ask_") and float(ranked.get("confidence") or 0.0) >= CLOSE_QUESTION_CONFIDENCE:
            return name
    return None


def _asks_about_an_exercise(text: str) -> bool:
    """A question about an exercise the text names: it asks something of it (how many, hold, easier...)
    or is put as a question."""
    question = load_knowledge().exercise_question(text, None)
    return question is not None and (question.facets not in (("how",), ("pain",)) or asks(text))


def _refers_back(text: str, reading: MessageReading) -> bool:
    """A short question that says nothing about the person's knee and finds nothing the triage rules
    read: only the turn before can give it a subject."""
    return asks(text) and is_short_follow_up(text) and not describes_own_pain(reading) and not reading.findings


def _question_topic(message: Message, intent: str) -> Optional[str]:
    return question_topic(intent, message.get("response_selector")) if intent.startswith("ask_") else None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class DescriptionFirst(StatelessComponent):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text: Optional[str] = message.get(TEXT)
            reading = MessageReading.from_parse_data({"text": text, TRIAGE_KEY: message.get(TRIAGE_KEY)})
            found = message.get(INTENT)
            intent = str((found.get("name") if isinstance(found, dict) else found) or "")
            if text and _asks_about_an_exercise(reading.normalised):
                confidence = float(found.get("confidence") or 0.0) if isinstance(found, dict) else 0.0
                message.set(INTENT, {"name": EXERCISE_INTENT, "confidence": max(confidence, 0.9)}, add_to_output=True)
                continue
            if text and intent in (DESCRIBE, INFORM) and _refers_back(text, reading):
                # "And a bad one?" after an answer about strains describes and answers nothing: it is
                # a follow-up, answered about the topic before (actions/answer_question.answer_follow_up);
                # inside the intake the form still reads it, as it reads any message.
                message.set(INTENT, {"name": FALLBACK, "confidence": 1.0}, add_to_output=True)
                continue
            if text and intent == DESCRIBE:
                # A description that also reads nearly as a question (the runner-up is a question
                # intent): the same context, so the same deferred answer, whichever way DIET tipped.
                runner_up = _close_question(message)
                if runner_up and describes_own_pain(reading):
                    message.set(DEFERRED_KEY, _question_topic(message, runner_up), add_to_output=True)
                continue
            if not text or intent not in OVERRIDABLE or not describes_own_pain(reading):
                continue
            topic = _question_topic(message, intent)
            if topic:
                message.set(DEFERRED_KEY, topic, add_to_output=True)
            confidence = float(found.get("confidence") or 0.0) if isinstance(found, dict) else 0.0
            message.set(INTENT, {"name": DESCRIBE, "confidence": max(confidence, 0.9)}, add_to_output=True)
        return messages
