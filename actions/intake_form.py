from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import latest_intent, session_readings
from bot import names
from bot.feelings import acknowledgements
from bot.intake import INTAKE_SLOTS, IntakeUpdate, answers_despite_intent, update_intake
from bot.knowledge import load_knowledge
from bot.knowledge.topics import described_pain_topic, question_beside_description
from bot.levels import TriageLevel, highest
from bot.settings import emergency_number
from bot.triage.annotation import MessageReading
from bot.triage.screening import is_long_story_trigger

# A question asked in the middle of the intake is answered by a rule, never taken as an answer.
NOT_ANSWERS = {
    "ask_exercises",
    "ask_treatment",
    "ask_causes",
    "ask_prevention",
    "ask_when_to_see_doctor",
    "stop",
    "greet",
    "goodbye",
    "bot_challenge",
    "thank",
    names.EXTERNAL_CHECK_IN,  # a check-in from the scheduler replaces an unfinished intake
}

# Intents NLU may see in an answer ("maybe 3 weeks?" a question, a bare "normal" a stop), which is
# still the answer when it reads as one (bot.intake.answers_despite_intent).
# Pleasantries too: "normal ty" is the answer, thanks said on the way.
SOCIAL = {"thank", "greet", "goodbye"}
MISTAKABLE = {intent for intent in NOT_ANSWERS if intent.startswith("ask_")} | {"stop"} | SOCIAL

# Actions that may run between a person's message and this validation without having handled it.
# action_stop_intake is one when it declined to stop (an answer NLU took for a stop).
_TRANSPARENT_ACTIONS = {
    "action_listen",
    "action_extract_slots",
    names.INTAKE_FORM,
    names.VALIDATE_INTAKE_FORM,
    "action_stop_intake",
}


def _answers_latest_message(tracker: Tracker) -> bool:
    """True when the latest message is still unhandled: the form runs right after it, not after
    another action (e.g. an answer to a question asked mid-intake) already dealt with it."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in _TRANSPARENT_ACTIONS:
            return False
    return False


def opening_of_the_intake(tracker: Tracker, reading: MessageReading) -> tuple[list[str], list[EventType]]:
    """What the intake's first reply says before its first question, and the slots that sets: the
    answer to a question asked beside the description ("can I keep running?", "do I need to see
    someone?"), which a follow-up then refers to; else what the way of hurting the person described,
    or the cause they ask about, can point to ("it hurts when I bend it all the way", "is that the
    arthritis?"); else nothing.
    Nothing at an urgent or emergency level (the message's own or the session's), nor when the
    message looks like a red flag the rules could not place: the screening question then comes
    first, alone. A long story with a symptom word outside every finding calls for the screening
    too, but only as a catch-all, so it holds nothing back. Beside a finding that calls for a
    clinician ("it isn't getting any better") the question is answered, and no hint is given."""
    level = highest(reading.assessment.level, tracker.get_slot(names.TRIAGE_LEVEL))
    if level in (TriageLevel.URGENT, TriageLevel.EMERGENCY):
        return [], []
    if reading.screening_trigger and not is_long_story_trigger(reading.screening_trigger):
        return [], []
    knowledge = load_knowledge()
    message = tracker.latest_message or {}
    selector = message.get("response_selector")
    topic = question_beside_description(
        reading.text, message.get(names.DEFERRED_QUESTION_KEY), selector, message.get(names.QUESTION_PART_KEY)
    )
    # A question about a cause or a way of hurting ("is that the arthritis?") gets what it can point
    # to, with the caveat: the assessment says more once the questions are answered.
    asked_hint = knowledge.pain_story_hint(topic) if topic else None
    if topic and asked_hint is None:
        answer = knowledge.answer(topic, level)
        return [answer, knowledge.content.notes["questions_after_answer"].text], [SlotSet(names.LAST_TOPIC, topic)]
    described = described_pain_topic(selector)
    hint = asked_hint or (knowledge.pain_story_hint(described) if described else None)
    # Beside a finding that calls for a clinician ("it isn't getting any better"), no reassurance.
    if not hint or reading.assessment.level is not TriageLevel.SELF_CARE:
        return [], []
    return [hint], ([SlotSet(names.LAST_TOPIC, topic)] if topic else [])


def _times_asked(tracker: Tracker) -> dict[str, int]:
    """How often each intake question has been asked in this session."""
    counts: dict[str, int] = {}
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            break
        if event.get("event") == "bot":
            name = str((event.get("metadata") or {}).get("utter_action") or "")
            if name.startswith(names.ASK_PREFIX):
                slot = name[len(names.ASK_PREFIX) :]
                counts[slot] = counts.get(slot, 0) + 1
    return counts


class ValidateSymptomIntakeForm(Action):
    """Reads every message of the intake with bot.intake (the triage engine's reader): whatever it
    answers, in any order and several at once, fills those questions; a later answer corrects an
    earlier one; what earlier messages of the session said is never asked again; an answer that
    cannot be read gets a hint once, then the question is left as unknown."""

    def name(self) -> str:
        return names.VALIDATE_INTAKE_FORM

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        readings = session_readings(tracker)
        latest_is_answer = _answers_latest_message(tracker) and bool(readings)
        asked = tracker.get_slot(names.REQUESTED_SLOT)
        intent = latest_intent(tracker)
        if latest_is_answer and intent in NOT_ANSWERS:
            if not (intent in MISTAKABLE and answers_despite_intent(readings[-1], asked, social=intent in SOCIAL)):
                # Nothing validated: Rasa rejects the form for this turn, and the rules answer the
                # question (or stop the intake) before the form asks its question again.
                return []
        earlier = readings[:-1] if latest_is_answer else readings
        update: IntakeUpdate = update_intake(
            current={slot: tracker.get_slot(slot) for slot in INTAKE_SLOTS},
            # Earlier messages are read once, when the intake starts (or starts again); later each
            # new message is read as it comes.
            earlier_messages=earlier if asked is None else [],
            latest_message=readings[-1] if latest_is_answer else None,
            asked=asked,
            misses=dict(tracker.get_slot(names.INTAKE_MISSES) or {}),
            times_asked=_times_asked(tracker),
        )
        opening_events: list[EventType] = []
        if latest_is_answer:
            for response in acknowledgements(readings[-1].text):
                dispatcher.utter_message(response=response)
            if asked is None:
                opening, opening_events = opening_of_the_intake(tracker, readings[-1])
                for text in opening:
                    dispatcher.utter_message(text=text)
        for response in update.responses:
            dispatcher.utter_message(response=response, emergency_number=emergency_number())
        events: list[EventType] = [SlotSet(slot, value) for slot, value in update.changes.items()]
        events += opening_events
        if update.duration_days_changed:
            events.append(SlotSet(names.PAIN_DURATION_DAYS, update.duration_days))
        # Always one event, so that Rasa takes the turn as handled and asks the pending question
        # again rather than rejecting the form.
        events.append(SlotSet(names.INTAKE_MISSES, update.misses))
        return events
