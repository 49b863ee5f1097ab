"""Reading the current conversation session out of a rasa_sdk Tracker."""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from rasa_sdk import Tracker

from bot import names
from bot.intake import INTAKE_SLOTS, Entity, build_profile, read_message, without_excluded_spans
from bot.profile import LOCATIONS, SymptomProfile
from bot.triage import Assessment, Finding, assess, grow_red_flags
from bot.triage.annotation import MessageReading


def _session_events(tracker: Tracker) -> list[dict[str, Any]]:
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "session_started":
            return events[index + 1 :]
    return events


def session_user_events(tracker: Tracker) -> Iterator[dict[str, Any]]:
    for event in _session_events(tracker):
        if event.get("event") == "user":
            yield event


def _parse_data(event: dict[str, Any]) -> dict[str, Any]:
    return {"text": event.get("text"), "entities": [], **(event.get("parse_data") or {})}


def session_readings(tracker: Tracker) -> list[MessageReading]:
    """The reading the NLU stored on each message of the session (bot/triage/annotation.py)."""
    return [MessageReading.from_parse_data(_parse_data(event)) for event in session_user_events(tracker)]


def entities_in(message: dict[str, Any]) -> list[Entity]:
    """The message's NLU entities, less those the triage engine found negated or not current."""
    text = message.get("text") or ""
    reading = MessageReading.from_parse_data(message)
    found, starts = [], []
    for entity in message.get("entities") or []:
        start, end = entity.get("start"), entity.get("end")
        has_span = isinstance(start, int) and isinstance(end, int)
        span = text[start:end] if has_span else ""
        value = str(entity.get("value") or span)
        if entity.get("entity") == "body_location" and value not in LOCATIONS and has_span:
            # DIET sometimes cuts a location short ("back of my" in "back of my left knee"); the rest
            # of the sentence lets the intake's own reading recover it.
            value = read_message(_from(reading, start)).answers.get("pain_location", value)
        found.append(Entity(entity=str(entity.get("entity")), value=value, text=span))
        starts.append(start if has_span else -1)
    return without_excluded_spans(found, reading.excluded_spans, starts)


def _from(reading: MessageReading, start: int) -> MessageReading:
    """The reading of a message from `start` on: its mentions there."""
    mentions = tuple(m for m in reading.mentions if m.finding.start >= start)
    return MessageReading(reading.text, reading.normalised, mentions)


def session_entities(tracker: Tracker) -> list[Entity]:
    found: list[Entity] = []
    for event in session_user_events(tracker):
        found.extend(entities_in(_parse_data(event)))
    return found


def latest_intent(tracker: Tracker) -> str:
    """The intent NLU settled on for the latest message (after the red-flag annotator and fallback)."""
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


def session_findings(tracker: Tracker) -> list[Finding]:
    """Red-flag findings from every message of the session, as the NLU annotator stored them."""
    return [finding for reading in session_readings(tracker) for finding in reading.findings]


def session_assessment(tracker: Tracker, known_findings: Iterable[Finding] = ()) -> Assessment:
    """All findings of the session (plus e.g. intake answers) assessed together, so signs spread
    over several messages still combine; the rules only ever add up, so this covers each message too."""
    return assess([*session_findings(tracker), *known_findings])


def accumulated_red_flags(tracker: Tracker, assessment: Assessment) -> list[str]:
    return grow_red_flags(tracker.get_slot(names.RED_FLAGS), assessment.rule_ids)


def session_profile(tracker: Tracker) -> SymptomProfile:
    """The intake answers plus everything the session's messages mentioned."""
    return build_profile({slot: tracker.get_slot(slot) for slot in INTAKE_SLOTS}, session_entities(tracker))


def said_since_last_assessment(tracker: Tracker) -> set[str]:
    """The texts of what the assistant said in this session since its last assessment."""
    said: set[str] = set()
    for event in _session_events(tracker):
        if event.get("event") == "action" and event.get("name") == names.ACTION_ASSESS:
            said = set()
        if event.get("event") == "bot" and event.get("text"):
            said.add(str(event["text"]))
    return said


def deferred_questions(tracker: Tracker) -> list[str]:
    """Question topics NLU saw in messages that were taken as descriptions (bot/nlu/description_first)
    since the last assessment, for the assessment to answer after its advice."""
    topics: list[str] = []
    for event in _session_events(tracker):
        if event.get("event") == "action" and event.get("name") == names.ACTION_ASSESS:
            topics = []
        topic = (event.get("parse_data") or {}).get(names.DEFERRED_QUESTION_KEY) if event.get("event") == "user" else None
        if topic and topic not in topics:
            topics.append(str(topic))
    return topics
