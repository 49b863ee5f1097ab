"""Rasa's ResponseSelector, run only for messages that may be questions.

The selector picks the knowledge topic of a question (`ask_causes/bakers_cyst`); nothing reads its
answer for any other message. Most messages are descriptions and intake answers, and the selector's
TensorFlow call was about a quarter of the NLU's time per message (py-spy), so it is skipped unless
the intent, or a runner-up close enough for DescriptionFirst to keep the question for later, is a
retrieval intent, or the message describes the pain (the intake's first reply says what a described
way of hurting can point to, from the selector's pick). What it returns for a possible question is
unchanged.

It is loaded without tracing a training step, as DIET is (bot/nlu/eager_weights.py).
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

from bot.names import DESCRIBE_SYMPTOMS
from bot.nlu.description_first import CLOSE_QUESTION_CONFIDENCE
from bot.nlu.eager_weights import EagerWeightsOnLoad


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class QuestionResponseSelector(EagerWeightsOnLoad, ResponseSelector):
    def may_be_a_question(self, message: Message) -> bool:
        intent = message.get(INTENT) or {}
        ranking = message.get(INTENT_RANKING_KEY) or []
        candidates = [intent.get(INTENT_NAME_KEY)] + [
            ranked.get(INTENT_NAME_KEY)
            for ranked in ranking[1:2]
            if float(ranked.get("confidence") or 0.0) >= CLOSE_QUESTION_CONFIDENCE
        ]
        return any(candidate in self.all_retrieval_intents or candidate == DESCRIBE_SYMPTOMS for candidate in candidates)

    def process(self, messages: List[Message]) -> List[Message]:
        super().process([message for message in messages if self.may_be_a_question(message)])
        return messages
