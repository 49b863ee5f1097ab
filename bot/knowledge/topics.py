"""The knowledge topic a message is about, read from its parse data and the topic answered before."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.knowledge.exercise_questions import PROGRESSION_TOPIC, asks_to_change_difficulty
from bot.knowledge.vocabulary import CAUSES_INTENT, EXERCISE_INTENT, OVERVIEW_OF_INTENT, WHEN_TO_SEE_DOCTOR

# A question that weighs two things against each other: "ice or heat?", "X-ray vs MRI".
TWO_PARTS = re.compile(r"\b(or|vs|versus)\b")
# The runner-up topic counts as the question's second part from this confidence up (the selector's
# softmax over every topic; an unrelated runner-up stays far below it).
SECOND_PART_MIN_CONFIDENCE = 0.2
# The selector is sure of its pick from here: below it, a short follow-up's pick is a guess ("will it
# burst?" after a Baker's cyst: recovery time at 0.23) and the turn before decides; a described way
# of hurting is named only from here.
SURE_OF_TOPIC = 0.5
# A question the intent classifier could not place is answered from the selector alone from here:
# higher, since no intent backs the pick.
SELECTOR_ALONE_SURE = 0.6
# A particular topic ranked below an overview still names the follow-up's subject from this
# confidence up ("what about heat?" after ice: heat is there, under the treatment overview).
NAMED_SUBJECT_MIN_CONFIDENCE = 0.3


def selector_ranking(response_selector: Mapping[str, Any] | None) -> list[tuple[str, float]]:
    """The selector's topics over every retrieval intent, best first, with their confidences."""
    ranking = ((response_selector or {}).get("default") or {}).get("ranking") or []
    return [(str(item.get("intent_response_key") or ""), float(item.get("confidence") or 0)) for item in ranking]


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
    for key, confidence in selector_ranking(response_selector)[1:3]:
        if key and key != first and confidence >= SECOND_PART_MIN_CONFIDENCE:
            return [first, key]
    return [first]


# The words a question opens with.
QUESTION_OPENERS = r"(?:how|what|which|when|why|where|should|can|could|is|are|do|does|am|will|would|any)\b"
# A question rather than a statement: a question mark, or a question's opening words.
QUESTION = re.compile(r"\?|^\s*" + QUESTION_OPENERS + r"|\b(am i|should i|can i|do i|is it|is this)\b", re.IGNORECASE)
# Openings of a follow-up put without a question word: "and heat?", "what about cycling".
FOLLOW_UP_OPENING = re.compile(r"^\s*(and|what about|how about|but|what if)\b", re.IGNORECASE)
# Words that point back at what was just talked about.
POINTS_BACK = re.compile(r"\b(it|its|it's|them|they|that|this|those|these|one|version)\b", re.IGNORECASE)
# A follow-up too short to name its own subject: "will it burst?", "and an X-ray?", "how often?".
FOLLOW_UP_MOST_WORDS = 6


def asks(text: str) -> bool:
    return bool(QUESTION.search(text))


def is_short_follow_up(text: str) -> bool:
    """Short, and asks something: a question, a follow-up's opening, or a request to make "it"
    easier or harder ("easier version pls"; "stairs are harder today" asks nothing)."""
    if len(re.findall(r"[A-Za-z']+", text)) > FOLLOW_UP_MOST_WORDS:
        return False
    changes_it = asks_to_change_difficulty(text) and bool(POINTS_BACK.search(text))
    return asks(text) or bool(FOLLOW_UP_OPENING.search(text)) or changes_it


# The overviews: what a question gets when NLU found no particular subject in it.
OVERVIEW_TOPICS = frozenset(OVERVIEW_OF_INTENT.values()) | frozenset(OVERVIEW_OF_INTENT)


def _area(topic: str) -> str:
    return topic.split("/", 1)[0]


def specific_follow_up(topic: str, response_selector: Mapping[str, Any] | None, text: str, last_topic: str | None) -> str:
    """For a short follow-up that NLU gave only an overview, or a topic it is unsure of, and that stays
    in the area of the last answer or points back at it ("what about heat?" after ice, "OK, how do I
    delete it?", "will it burst?"): the particular topic of that area the selector ranks close behind,
    else the topic answered last. Any other message keeps its topic: "what exercises should I do?"
    after ice is a new question, and "when should I see a doctor?" always gets its own answer."""
    if not last_topic or topic == WHEN_TO_SEE_DOCTOR or not is_short_follow_up(text):
        return topic
    ranking = selector_ranking(response_selector)
    if topic not in OVERVIEW_TOPICS and dict(ranking).get(topic, 0.0) >= SURE_OF_TOPIC:
        return topic
    if _area(topic) != _area(last_topic) and not POINTS_BACK.search(text):
        return topic
    for key, confidence in ranking[:3]:
        if _area(key) == _area(last_topic) and key not in OVERVIEW_TOPICS and confidence >= NAMED_SUBJECT_MIN_CONFIDENCE:
            return key
    return follow_up_subject(text, last_topic)


def follow_up_subject(text: str, last_topic: str) -> str:
    """What a follow-up naming no subject is about: the topic answered last, except that "easier
    version pls" after the exercise overview, with no one exercise in view, is about making any of
    them easier or harder."""
    if last_topic.startswith(EXERCISE_INTENT + "/") and asks_to_change_difficulty(text):
        return PROGRESSION_TOPIC
    return last_topic


def _selector_pick(response_selector: Mapping[str, Any] | None) -> tuple[str | None, float]:
    response = ((response_selector or {}).get("default") or {}).get("response") or {}
    key = response.get("intent_response_key")
    return (str(key) if key else None), float(response.get("confidence") or 0)


def confident_topic(response_selector: Mapping[str, Any] | None) -> str | None:
    """The selector's topic when it is sure enough to answer without the intent classifier, else None."""
    key, confidence = _selector_pick(response_selector)
    return key if confidence >= SELECTOR_ALONE_SURE else None


def described_pain_topic(response_selector: Mapping[str, Any] | None) -> str | None:
    """The cause topic of a message describing the pain, when the selector is sure of it, else None."""
    key, confidence = _selector_pick(response_selector)
    return key if key and _area(key) == CAUSES_INTENT and confidence >= SURE_OF_TOPIC else None


def question_part_topic(question_part: Mapping[str, Any] | None) -> str | None:
    """The topic of the question of a long message read on its own (bot/nlu/question_part.py): its
    question intent's topic, as a question put alone gets it; None when NLU did not read a question."""
    intent = str(((question_part or {}).get("intent") or {}).get("name") or "")
    if intent not in OVERVIEW_OF_INTENT:
        return None
    return question_topic(intent, (question_part or {}).get("response_selector"))


def surer_alone(question_part: Mapping[str, Any] | None, response_selector: Mapping[str, Any] | None) -> str | None:
    """The particular topic of a long message's question read on its own, when the selector is surer
    of it there than of its pick over the whole message ("I tore my meniscus in March, no surgery ...
    How long before this settles?": over the whole story, surgery). None otherwise."""
    topic = question_part_topic(question_part)
    if not topic or topic in OVERVIEW_TOPICS:
        return None
    _, alone = _selector_pick((question_part or {}).get("response_selector"))
    _, whole = _selector_pick(response_selector)
    return topic if alone > whole else None


def question_beside_description(
    text: str,
    deferred_topic: str | None,
    response_selector: Mapping[str, Any] | None,
    question_part: Mapping[str, Any] | None = None,
) -> str | None:
    """The topic of a question asked in the same message as a description of the pain ("it aches
    behind my knee when I run, can I keep training for my half marathon?"), to be answered before the
    intake's questions rather than only after them: the topic of its question read on its own (a long
    story's, bot/nlu/question_part.py), else, when the whole message asks, the question topic NLU
    kept beside the description (bot/nlu/description_first), else the selector's pick when it is sure
    of it without the intent classifier. None for an overview: the assessment answers "what should I
    do?" from the person's own plan. "When should I see a doctor?" is answered."""
    # The question part is an asking sentence by construction; the whole message must ask for the rest.
    candidates = [question_part_topic(question_part)]
    if asks(text):
        candidates += [deferred_topic, confident_topic(response_selector)]
    for topic in candidates:
        if topic and (topic not in OVERVIEW_TOPICS or topic == WHEN_TO_SEE_DOCTOR):
            return topic
    return None
