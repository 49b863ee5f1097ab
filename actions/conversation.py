"""Reading the current conversation session out of a rasa_sdk Tracker."""
from __future__ import annotations

from typing import Any, Iterator

from rasa_sdk import Tracker

from bot.intake import Entity


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


def session_user_texts(tracker: Tracker) -> list[str]:
    return [event.get("text") or "" for event in session_user_events(tracker) if not (event.get("text") or "").startswith("/")]


def entities_in(message: dict[str, Any]) -> list[Entity]:
    text = message.get("text") or ""
    found = []
    for entity in message.get("entities") or []:
        start, end = entity.get("start"), entity.get("end")
        span = text[start:end] if isinstance(start, int) and isinstance(end, int) else ""
        found.append(Entity(entity=str(entity.get("entity")), value=str(entity.get("value") or span), text=span))
    return found


def session_entities(tracker: Tracker) -> list[Entity]:
    found: list[Entity] = []
    for event in session_user_events(tracker):
        found.extend(entities_in(event.get("parse_data") or {"text": event.get("text"), "entities": []}))
    return found


def latest_intent(tracker: Tracker) -> str:
    """The intent NLU settled on for the latest message (after the red-flag annotator and fallback)."""
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")
