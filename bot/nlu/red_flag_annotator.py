"""Reads every user message once with bot.triage and attaches the reading to it.

The reading (bot/triage/annotation.py: the normalised text, every mention with its status, the
message's own assessment, its answer to the screening question and why it may call for it) travels
in the parse data under "triage", so the dialogue policy, the intake and the check-in act on it in
the same turn without reading the message again.
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.training_data.message import Message

from bot.names import TRIAGE_KEY
from bot.nlu.normalised_reading import normalised_reading
from bot.nlu.stateless import StatelessComponent
from bot.triage import read_text
from bot.triage.extract import read_normalised


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RedFlagAnnotator(StatelessComponent):
    @classmethod
    def warm_up(cls) -> None:
        read_text("warm-up")  # build the spaCy pipeline and the speller at load time, not on the first message

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            reading = normalised_reading(message)
            if reading is not None:
                message.set(TRIAGE_KEY, read_normalised(reading).to_parse_data(), add_to_output=True)
        return messages
