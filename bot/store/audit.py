"""The escalation audit trail: what was flagged, by which rules, on what evidence, when."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.store.database import StoreUnavailable
from bot.store.tables import triage_escalations

logger = logging.getLogger("poplit.audit")


@dataclass(frozen=True)
class EscalationRecord:
    conversation_id: str
    level: str
    rule_ids: tuple[str, ...]
    evidence: tuple[dict[str, Any], ...]
    ruleset_version: str
    message_text: str
    created_at: datetime = datetime.fromtimestamp(0, timezone.utc)
    escalation_id: Optional[str] = None  # records written before ids existed have none
    # Each file the engine read (rules, lexicon, lemma tables) with its version or digest.
    engine_files: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "EscalationRecord":
        """The inverse of to_dict (e.g. a record carried on the tracker as a slot value)."""
        return cls(
            conversation_id=str(data["conversation_id"]),
            level=str(data["level"]),
            rule_ids=tuple(data["rule_ids"]),
            evidence=tuple(data["evidence"]),
            ruleset_version=str(data["ruleset_version"]),
            message_text=str(data["message_text"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            escalation_id=data.get("escalation_id"),
            engine_files=tuple(sorted((data.get("engine_files") or {}).items())),
        )

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["created_at"] = self.created_at.isoformat()
        record["rule_ids"] = list(self.rule_ids)
        record["evidence"] = list(self.evidence)
        record["engine_files"] = dict(self.engine_files)
        return record


def _append_to_fallback(record: EscalationRecord, fallback_file: Path) -> None:
    fallback_file.parent.mkdir(parents=True, exist_ok=True)
    with fallback_file.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record.to_dict(), sort_keys=True) + "\n")


def record_escalation(engine: Engine, record: EscalationRecord, fallback_file: Optional[Path] = None) -> bool:
    """Writes the record and returns True, or False when a record with its escalation id is already
    stored (so writing it again never doubles it). If the database fails, appends the record to
    `fallback_file` and raises StoreUnavailable.

    A structured log line is written for every new record, stored or not, so an escalation is never
    lost silently.
    """
    if record.created_at.timestamp() == 0:
        record = EscalationRecord(**{**record.__dict__, "created_at": datetime.now(timezone.utc)})
    try:
        if record.escalation_id is not None and _is_stored(engine, record.escalation_id):
            return False
        with engine.begin() as connection:
            connection.execute(
                triage_escalations.insert().values(
                    escalation_id=record.escalation_id,
                    conversation_id=record.conversation_id,
                    created_at=record.created_at,
                    level=record.level,
                    rule_ids=json.dumps(list(record.rule_ids)),
                    evidence=json.dumps(list(record.evidence)),
                    ruleset_version=record.ruleset_version,
                    message_text=record.message_text,
                    engine_files=json.dumps(dict(record.engine_files), sort_keys=True),
                )
            )
    except IntegrityError:
        if record.escalation_id is None or not _is_stored(engine, record.escalation_id):
            raise
        return False  # another writer stored it between the check and the insert
    except SQLAlchemyError as error:
        logger.warning("triage escalation %s (not stored, kept in the fallback file)", _summary(record))
        if fallback_file is not None:
            _append_to_fallback(record, fallback_file)
        raise StoreUnavailable(f"escalation not written to the database: {error.__class__.__name__}") from error
    logger.warning("triage escalation %s", _summary(record))
    return True


def _summary(record: EscalationRecord) -> str:
    """What the log may say of an escalation: no words of the person's (those stay in the audit table)."""
    return f"{record.escalation_id} level={record.level} rules={','.join(record.rule_ids)} ruleset={record.ruleset_version}"


def _is_stored(engine: Engine, escalation_id: str) -> bool:
    query = select(triage_escalations.c.id).where(triage_escalations.c.escalation_id == escalation_id)
    with engine.connect() as connection:
        return connection.execute(query).first() is not None


def list_escalations(engine: Engine, conversation_id: Optional[str] = None) -> list[EscalationRecord]:
    query = select(triage_escalations).order_by(triage_escalations.c.id)
    if conversation_id is not None:
        query = query.where(triage_escalations.c.conversation_id == conversation_id)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [
        EscalationRecord(
            conversation_id=row["conversation_id"],
            level=row["level"],
            rule_ids=tuple(json.loads(row["rule_ids"])),
            evidence=tuple(json.loads(row["evidence"])),
            ruleset_version=row["ruleset_version"],
            message_text=row["message_text"],
            escalation_id=row["escalation_id"],
            engine_files=tuple(sorted(json.loads(row["engine_files"] or "{}").items())),
            created_at=row["created_at"] if row["created_at"].tzinfo else row["created_at"].replace(tzinfo=timezone.utc),
        )
        for row in rows
    ]


def save_escalation(record: EscalationRecord, url: str, fallback_file: Path) -> bool:
    """Opens the store and writes the record (False: it was already stored); whatever fails, the
    record ends up in `fallback_file` and StoreUnavailable is raised."""
    from bot.store.database import open_store

    try:
        engine = open_store(url)
    except StoreUnavailable:
        _append_to_fallback(record, fallback_file)
        raise
    return record_escalation(engine, record, fallback_file)
