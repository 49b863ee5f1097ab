"""The question in a long message that first tells the story of the pain ("I swim three times a week
and for two weeks the back of my knee aches after the kick... Should I stop swimming until it
settles?"), read on its own.

Over the whole message the story's words outweigh the question's, and the response selector cannot
tell what is asked (its pick falls to a tenth). So the first component of the pipeline adds the
message's last asking sentence as a message of its own, which every component then reads as it
reads any message (Rasa's components take a list); the last component puts what NLU made of it on
the message it came from, under "question_part", and drops it. The intake's first reply answers
that question (actions/intake_form.py). Short messages, and messages that are one question, are
left as they are.
"""

from __future__ import annotations

import re
from typing import List, Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.knowledge.topics import QUESTION_OPENERS, asks
from bot.names import QUESTION_PART_KEY
from bot.nlu.stateless import StatelessComponent

# A story worth reading apart from its question is at least this long, in words.
LONG_MESSAGE_WORDS = 15
# The key that marks a question part with the index of the message it came from.
PART_OF = "poplit_question_part_of"
# Sentences end at . ! ? or a line break; a question can also follow a comma ("...at the back, is it
# worth getting it looked at").
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+|,\s+(?=" + QUESTION_OPENERS + ")", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z']+")


def question_sentence(text: str) -> Optional[str]:
    """The last sentence of a long message that asks something, when the message says more than
    that question; else None."""
    if len(_WORD.findall(text)) < LONG_MESSAGE_WORDS:
        return None
    sentences = [sentence.strip() for sentence in _SENTENCE_END.split(text) if sentence and sentence.strip()]
    asking = [sentence for sentence in sentences if asks(sentence) and _WORD.search(sentence)]
    if len(sentences) < 2 or not asking:
        return None
    return asking[-1]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class QuestionPartSplitter(StatelessComponent):
    """First in the pipeline: adds each long message's question as a message of its own."""

    def process(self, messages: List[Message]) -> List[Message]:
        parts = []
        for index, message in enumerate(messages):
            question = question_sentence(str(message.get(TEXT) or ""))
            if question:
                parts.append(Message(data={TEXT: question, PART_OF: index}))
        return messages + parts


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class QuestionPartCollector(StatelessComponent):
    """Last in the pipeline: puts what NLU read in each question part on its message, and drops the part."""

    def process(self, messages: List[Message]) -> List[Message]:
        whole = [message for message in messages if message.get(PART_OF) is None]
        for part in messages:
            index = part.get(PART_OF)
            if index is not None and index < len(whole):
                reading = {
                    "text": part.get(TEXT),
                    "intent": part.get(INTENT),
                    "response_selector": part.get("response_selector"),
                }
                whole[index].set(QUESTION_PART_KEY, reading, add_to_output=True)
        return whole
