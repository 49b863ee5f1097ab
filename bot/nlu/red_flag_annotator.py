"""Screens every user message for red flags with bot.triage and attaches the result to it.

The result (level, rule ids, evidence, rule-set version and the findings themselves) travels in the
parse data under "triage", so the dialogue policy and the actions can act on it in the same turn
and combine findings across messages without screening a message twice.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.triage import extract_mentions
from bot.triage.annotation import TRIAGE_KEY, triage_annotation


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RedFlagAnnotator(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RedFlagAnnotator":
        extract_mentions("warm-up")  # build the spaCy pipeline at load time, not on the first message
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text: Optional[str] = message.get(TEXT)
            if text:
                message.set(TRIAGE_KEY, triage_annotation(text), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
