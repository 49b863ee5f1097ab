"""The front of the NLU pipeline: one normalised reading of each message (bot/triage/normalise.py),
stored on it for every later reader: the normalised-words featurizer that DIET sees, and the red-flag
annotator that reads symptoms. The message's own text stays as typed, for the tracker and for the
evidence quoted back.
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

from bot.triage.normalise import Normalised, normalise

NORMALISED_KEY = "poplit_normalised"


def normalised_reading(message: Message) -> Optional[Normalised]:
    """The reading stored on the message, or one made now (a message that skipped this step)."""
    stored = message.get(NORMALISED_KEY)
    if stored is not None:
        return Normalised.from_dict(stored)
    text: Optional[str] = message.get(TEXT)
    return normalise(text) if text else None


# Registered as a featurizer: Rasa then runs it over the training data too, ahead of the featurizers.
@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class NormalisedReading(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "NormalisedReading":
        normalise("warm-up")  # load the speller at load time, not on the first message
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text: Optional[str] = message.get(TEXT)
            if text:
                message.set(NORMALISED_KEY, normalise(text).to_dict())
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
