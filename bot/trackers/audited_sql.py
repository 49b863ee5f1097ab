"""Rasa's SQL tracker store, plus the escalation audit written from the Rasa process.

RedFlagPolicy puts each escalation's record on the tracker (the `escalation` slot) on the turn it
happens. Saving the turn writes that record to the audit table, so the audit needs neither the
action server nor anything else to be up. Each record carries its own id and the table keeps one
row per id, so saving a turn again never doubles it; if the audit database is down, the record goes
to the fallback file (and the structured log) and the conversation carries on.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Iterator

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import names
from bot.settings import var_dir
from bot.store import EscalationRecord, StoreUnavailable, database_url, save_escalation
from bot.store.database import use_write_ahead_log

logger = logging.getLogger(__name__)

RECORD_SLOT = names.ESCALATION_RECORD


def escalations_this_turn(tracker: DialogueStateTracker) -> Iterator[EscalationRecord]:
    """Records set on the tracker since the person's latest message."""
    found: list[EscalationRecord] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, SlotSet) and event.key == RECORD_SLOT and isinstance(event.value, dict):
            found.append(EscalationRecord.from_dict(event.value))
    return reversed(found)


def write_escalation(record: EscalationRecord) -> None:
    try:
        save_escalation(record, database_url(), var_dir() / "escalations-unsaved.jsonl")
    except StoreUnavailable as error:
        logger.error("escalation for %s kept in the fallback file: %s", record.conversation_id, error)
    except Exception:  # a misconfigured store must not cost the person their conversation
        logger.exception("escalation for %s could not be recorded", record.conversation_id)


def erasure_requested_this_turn(tracker: DialogueStateTracker) -> bool:
    """The person confirmed "delete my data" on this turn (action_delete_my_data set the slot)."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, SlotSet) and event.key == names.ERASE_CONVERSATION and event.value is True:
            return True
    return False


class AuditedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Each turn reads the conversation and writes it back: on SQLite, in WAL mode (bot.store).
        use_write_ahead_log(self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        for record in escalations_this_turn(tracker):
            # In a worker thread: a slow audit database must not hold up other conversations.
            await asyncio.to_thread(write_escalation, record)
        if erasure_requested_this_turn(tracker):
            # The conversation's events go, including this turn's; the next message starts afresh.
            # (Deleting from the action server would not do: Rasa saves the whole turn again after it.)
            with self.session_scope() as session:
                deleted = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == tracker.sender_id).delete()
                session.commit()
            logger.info("a conversation's %d events were deleted at the person's request", deleted)
            return
        await super().save(tracker)
