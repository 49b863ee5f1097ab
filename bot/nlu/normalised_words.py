"""DIET sees the normalised text too: a bag of words over each message as normalised ("swolen" is
"swollen", "dunno" is "don't know"), beside the features of the text as typed.

Replacing the typed text with the normalised one made typo'd intent F1 worse (the character n-grams
lost the typed forms they generalise from); adding the normalised words as features of their own
keeps both. Each typed token is featurized by what it reads as, so the features line up with the
tokens of the other featurizers.
"""

from __future__ import annotations

from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.normalised_reading import normalised_reading


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class NormalisedWordsFeaturizer(CountVectorsFeaturizer):
    @staticmethod
    def _attributes_for(analyzer: Text) -> List[Text]:
        return [TEXT]  # the message only: intents and responses keep the features they had

    def _get_message_tokens_by_attribute(self, message: Message, attribute: Text) -> List[Text]:
        tokens: List[Token] = message.get(TOKENS_NAMES[attribute]) or []
        reading = normalised_reading(message) if attribute == TEXT else None
        if reading is None:
            return super()._get_message_tokens_by_attribute(message, attribute)
        return [reading.as_read(token.start, token.end) or token.text for token in tokens]
