"""Rasa's SQL tracker store, plus the escalation audit written from the Rasa process.

RedFlagPolicy puts each escalation's record on the tracker (the `escalation` slot) on the turn it
happens. Saving the turn writes that record to the audit table, so the audit needs neither the
action server nor anything else to be up. Each record carries its own id and the table keeps one
row per id, so saving a turn again never doubles it; if the audit database is down, the record goes
to the fallback file (and the structured log) and the conversation carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Generator, Iterator

import rasa.shared.utils.cli
import sqlalchemy
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs, ensure_schema_exists
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import names
from bot.settings import current, var_dir
from bot.store import EscalationRecord, StoreUnavailable, database_url, save_escalation
from bot.store.database import use_write_ahead_log

logger = logging.getLogger(__name__)

RECORD_SLOT = names.ESCALATION_RECORD


# A session's events (a turn adds 10-20): past this a new session starts once no form is under way,
# past 1.5 times this even in a form, so no conversation makes every turn slower without bound. The
# earlier sessions stay stored (and exported); only the working tracker starts afresh.
def max_session_events() -> int:
    return current().max_session_events


def session_is_full(tracker: DialogueStateTracker, limit: int) -> bool:
    """`tracker` holds the current session's events (Rasa's SQL store reads no earlier ones)."""
    size = len(tracker.events)
    return size >= limit * 3 // 2 or (size >= limit and not tracker.active_loop_name)


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
        # Rasa's engine, except that a pooled connection is tested before each use: one that died
        # while idle (the database restarted in a quiet hour) is replaced, instead of failing the next
        # person's message. Rasa's engine made the tables; it has nothing else to do.
        rasa_engine: Engine = self.engine
        self.engine: Engine = sqlalchemy.create_engine(
            rasa_engine.url, pool_pre_ping=True, **create_engine_kwargs(rasa_engine.url)
        )
        self.sessionmaker = sessionmaker(bind=self.engine)
        rasa_engine.dispose()
        # Each turn reads the conversation and writes it back: on SQLite, in WAL mode (bot.store).
        use_write_ahead_log(self.engine)

    @contextlib.contextmanager
    def session_scope(self) -> Generator[Session, None, None]:
        """Rasa's, except that only a missing PostgreSQL schema ends the process. Rasa's took every
        ValueError inside the scope for that, so one message whose id could not be encoded (a lone
        surrogate) stopped the server; such an error now fails that message alone."""
        session = self.sessionmaker()
        try:
            try:
                ensure_schema_exists(session)
            except ValueError as missing:
                rasa.shared.utils.cli.print_error_and_exit(
                    f"Requested PostgreSQL schema '{missing}' was not found in the database. Create it, or "
                    "unset POSTGRESQL_SCHEMA to use the default schema. Exiting."
                )
            yield session
        finally:
            session.close()

    async def save(self, tracker: DialogueStateTracker) -> None:
        erased = await self._save_turn(tracker)
        if not erased and session_is_full(tracker, max_session_events()):
            logger.info("a conversation reached %d events in one session: a new session starts", len(tracker.events))
            # As Rasa starts a session (action_session_start, SessionStarted, listen): the next turn
            # reads from here on. Slots are not carried over (domain.yml), as after 12 quiet hours.
            for event in (ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(), ActionExecuted(ACTION_LISTEN_NAME)):
                tracker.update(event)
            await super().save(tracker)

    async def _save_turn(self, tracker: DialogueStateTracker) -> bool:
        """Saves the turn; True when the person's erasure request deleted the conversation instead."""
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
            return True
        await super().save(tracker)
        return False
