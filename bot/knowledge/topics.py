"""The knowledge topic a question asks about, read from a message's parse data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.knowledge.exercise_questions import PROGRESSION_TOPIC, asks_to_change_difficulty
from bot.knowledge.vocabulary import EXERCISE_INTENT, OVERVIEW_OF_INTENT

# A question that weighs two things against each other: "ice or heat?", "X-ray vs MRI".
TWO_PARTS = re.compile(r"\b(or|vs|versus)\b")
# The runner-up topic counts as the question's second part from this confidence up (the selector's
# softmax over every topic; an unrelated runner-up stays far below it).
SECOND_PART_MIN_CONFIDENCE = 0.2


def question_topic(intent: str, response_selector: Mapping[str, Any] | None) -> str:
    """The ResponseSelector's sub-intent (`ask_causes/bakers_cyst`) when it belongs to `intent`,
    else the intent itself."""
    selector = response_selector or {}
    for key in (intent, "default"):
        chosen = ((selector.get(key) or {}).get("response") or {}).get("intent_response_key")
        if chosen and str(chosen).split("/", 1)[0] == intent:
            return str(chosen)
    return intent


def question_topics(
    intent: str, response_selector: Mapping[str, Any] | None, text: str, last_topic: str | None = None
) -> list[str]:
    """The topic asked about and, when the question weighs two things ("ice or heat?"), the second:
    the response selector's runner-up when it is another topic of a question intent with a
    confidence that is not negligible. A short follow-up that got only an overview is read against
    the topic answered last (`specific_follow_up`)."""
    first = specific_follow_up(question_topic(intent, response_selector), response_selector, text, last_topic)
    if not TWO_PARTS.search(text.lower()):
        return [first]
    ranking = ((response_selector or {}).get("default") or {}).get("ranking") or []
    for candidate in ranking[1:3]:
        key = str(candidate.get("intent_response_key") or "")
        if key and key != first and float(candidate.get("confidence") or 0) >= SECOND_PART_MIN_CONFIDENCE:
            return [first, key]
    return [first]


# A follow-up too short to name its own subject: "will it burst?", "and an X-ray?", "how often?".
FOLLOW_UP_MOST_WORDS = 6
FOLLOW_UP = re.compile(
    r"\?\s*$|^\s*(and|what about|how about|so|but|what if|how|what|which|will|would|can|is|does|do)\b", re.IGNORECASE
)


def is_short_follow_up(text: str) -> bool:
    """Short, and asks something: a question, or a request to make it easier or harder ("easier version pls")."""
    asks = bool(FOLLOW_UP.search(text)) or asks_to_change_difficulty(text)
    return len(re.findall(r"[A-Za-z']+", text)) <= FOLLOW_UP_MOST_WORDS and asks


# The overviews: what a question gets when NLU found no particular subject in it.
OVERVIEW_TOPICS = frozenset(OVERVIEW_OF_INTENT.values()) | frozenset(OVERVIEW_OF_INTENT)
# A particular topic ranked below an overview still names the follow-up's subject from this
# confidence up ("what about heat?" after ice: heat is there, under the treatment overview).
NAMED_SUBJECT_MIN_CONFIDENCE = 0.3
# Below this the selector's pick for a short follow-up is a guess ("will it burst?" after a Baker's
# cyst: recovery time at 0.23), and the turn before decides.
SURE_OF_TOPIC = 0.5


def specific_follow_up(topic: str, response_selector: Mapping[str, Any] | None, text: str, last_topic: str | None) -> str:
    """For a short follow-up that NLU could only give an overview, or a topic it is unsure of ("what
    about heat?", "OK, how do I delete it?", "will it burst?"): the particular topic of the same area as the last answer
    (treatment, causes, Poplit itself) that the selector ranks close behind, else the topic answered
    last; any other message keeps its topic."""
    ranking = ((response_selector or {}).get("default") or {}).get("ranking") or []
    chosen = next((float(item.get("confidence") or 0) for item in ranking if item.get("intent_response_key") == topic), 0.0)
    unsure = topic in OVERVIEW_TOPICS or chosen < SURE_OF_TOPIC
    if not unsure or not is_short_follow_up(text) or not last_topic:
        return topic
    for candidate in ranking[:3]:
        key = str(candidate.get("intent_response_key") or "")
        same_subject_area = key.split("/", 1)[0] == last_topic.split("/", 1)[0]
        if (
            same_subject_area
            and key not in OVERVIEW_TOPICS
            and float(candidate.get("confidence") or 0) >= NAMED_SUBJECT_MIN_CONFIDENCE
        ):
            return key
    return follow_up_subject(text, last_topic)


def follow_up_subject(text: str, last_topic: str) -> str:
    """What a follow-up naming no subject is about: the topic answered last, except that "easier
    version pls" after the exercise overview, with no one exercise in view, is about making any of
    them easier or harder."""
    if last_topic.startswith(EXERCISE_INTENT + "/") and asks_to_change_difficulty(text):
        return PROGRESSION_TOPIC
    return last_topic


# The response selector's pick counts for a question the intent classifier could not place from here.
SELECTOR_SURE_ENOUGH = 0.6
# A question rather than a statement: a question mark, or a question's opening words.
QUESTION = re.compile(
    r"\?|^\s*(how|what|which|when|why|where|should|can|could|is|are|do|does|am|will|would|any)\b"
    r"|\b(am i|should i|can i|do i|is it|is this)\b",
    re.IGNORECASE,
)


def asks(text: str) -> bool:
    return bool(QUESTION.search(text))


def confident_topic(response_selector: Mapping[str, Any] | None) -> str | None:
    """The selector's topic when it is sure of it, else None."""
    response = ((response_selector or {}).get("default") or {}).get("response") or {}
    key = response.get("intent_response_key")
    return str(key) if key and float(response.get("confidence") or 0) >= SELECTOR_SURE_ENOUGH else None
