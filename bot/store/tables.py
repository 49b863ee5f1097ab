from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text

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
