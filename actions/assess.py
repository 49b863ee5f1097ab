from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.check_ins import offer_check_ins, record_assessment
from actions.conversation import (
    accumulated_red_flags,
    deferred_questions,
    said_since_last_assessment,
    session_assessment,
    session_profile,
)
from bot import names
from bot.intake import summarize
from bot.knowledge import load_knowledge, render_advice
from bot.levels import highest
from bot.settings import emergency_number
from bot.triage import findings_from_profile


class ActionAssess(Action):
    """Ends the intake: triage of everything said, a read-back, and advice matched to the level."""

    def name(self) -> str:
        return names.ACTION_ASSESS

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        knowledge = load_knowledge()
        profile = session_profile(tracker)

        assessment = session_assessment(tracker, known_findings=findings_from_profile(profile))
        level = highest(assessment.level, tracker.get_slot(names.TRIAGE_LEVEL))
        red_flags = accumulated_red_flags(tracker, assessment)

        events: list[EventType] = []
        if not tracker.get_slot(names.DISCLAIMER_GIVEN):
            dispatcher.utter_message(text=knowledge.disclaimer)
            events.append(SlotSet(names.DISCLAIMER_GIVEN, True))
        dispatcher.utter_message(text=summarize(profile))
        advice = knowledge.advise(profile, level)
        for message in render_advice(advice, emergency_number()):
            dispatcher.utter_message(text=message)
        already_said = said_since_last_assessment(tracker)
        for topic in deferred_questions(tracker):
            answer = knowledge.personal_answer(topic, advice) or knowledge.answer(topic, level)
            # A question answered when it was asked (actions/intake_form) is said again only as it
            # applies to this person's plan.
            if answer not in already_said:
                dispatcher.utter_message(text=f"About what you mentioned earlier: {answer}")
        record_assessment(tracker, level.value, red_flags, profile, [exercise.name for exercise in advice.exercises])
        events += offer_check_ins(dispatcher, level.value)
        return events + [
            SlotSet(names.TRIAGE_LEVEL, level.value),
            SlotSet(names.RED_FLAGS, red_flags),
            SlotSet(names.ASSESSMENT_DONE, True),
        ]
