from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

# The schema is changed only through migrations (bot/store/migrations); a change here needs a new revision
# there, and a test compares the two.
metadata = MetaData()

# One row per escalation (urgent or emergency finding), for clinicians to audit.
triage_escalations = Table(
    "triage_escalations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Chosen when the escalation is decided; unique, so a record written twice is stored once.
    Column("escalation_id", String(64), nullable=True, unique=True),
    Column("conversation_id", String(255), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("level", String(32), nullable=False),
    Column("rule_ids", Text, nullable=False),  # JSON list
    Column("evidence", Text, nullable=False),  # JSON list of {rule_id, finding, text}
    Column("ruleset_version", String(64), nullable=False),
    Column("message_text", Text, nullable=False),
    # JSON: each file the engine read (rules, lexicon, lemma tables) with its version or digest.
    Column("engine_files", Text, nullable=True),
)


class UTCDateTime(TypeDecorator):
    """A timezone-aware time, always UTC in Python. SQLite keeps no zone (it stores the wall-clock
    fields), so every value is converted to UTC before it is written and comes back marked UTC; a naive
    value is refused rather than guessed at. Comparisons in SQL then hold on both databases."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"the store keeps timezone-aware times only, got naive {value.isoformat()}")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


# A person on one channel (the same human on Slack and Telegram is two people: nothing links them).
people = Table(
    "people",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(32), nullable=False),  # socketio | slack | telegram | rest
    Column("sender_id", String(255), nullable=False),
    Column("consent", String(16), nullable=False, default="none"),  # none | accepted | declined | paused | stopped
    Column("timezone", String(64), nullable=False, default="UTC"),  # IANA name
    Column("quiet_start", String(5), nullable=False, default="21:00"),  # local HH:MM: no check-in from here ...
    Column("quiet_end", String(5), nullable=False, default="08:00"),  # ... until here
    Column("paused_until", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_people_channel_sender_id", "channel", "sender_id", unique=True),
)

# What the triage concluded for a person, kept so later check-ins can compare against it.
assessments = Table(
    "assessments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", Integer, ForeignKey("people.id", name="fk_assessments_person_id"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("level", String(32), nullable=False),
    Column("rule_ids", Text, nullable=False),  # JSON list
    Column("ruleset_version", String(64), nullable=False),
    Column("profile", Text, nullable=False),  # JSON object: the symptom profile read back to the person
    Column("exercises", Text, nullable=False),  # JSON list of exercise names
)

# A check-in is scheduled (follow_ups) and then, when the person answers, recorded (check_ins).
follow_ups = Table(
    "follow_ups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", Integer, ForeignKey("people.id", name="fk_follow_ups_person_id"), nullable=False, index=True),
    Column("due_at", UTCDateTime, nullable=False),
    Column("channel", String(32), nullable=False),
    Column("sender_id", String(255), nullable=False),
    Column("status", String(16), nullable=False, default="pending"),  # pending | claimed | delivered | failed | cancelled
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    # The lease: a worker that claimed the row and died is replaced once this time has passed.
    Column("claimed_until", UTCDateTime, nullable=True),
    Column("delivered_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    # What the check-in trigger carries (random; the row id is a guessable sequence number).
    Column("public_id", String(32), nullable=True, unique=True, index=True),
    # The worker's query: due rows of a status, oldest first.
    Index("ix_follow_ups_status_due_at", "status", "due_at"),
)

check_ins = Table(
    "check_ins",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", Integer, ForeignKey("people.id", name="fk_check_ins_person_id"), nullable=False, index=True),
    # Null when the person came back on their own rather than answering a scheduled check-in.
    Column("follow_up_id", Integer, ForeignKey("follow_ups.id", name="fk_check_ins_follow_up_id"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("pain", Integer, nullable=True),  # 0-10
    Column("change", String(8), nullable=True),  # better | same | worse
    Column("exercises_done", String(8), nullable=True),  # yes | some | no
    Column("new_signs", Text, nullable=True),
    Column("note", Text, nullable=True),
    CheckConstraint("pain IS NULL OR (pain >= 0 AND pain <= 10)", name="ck_check_ins_pain_range"),
)
