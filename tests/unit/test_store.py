"""The audit store on SQLite and on a real PostgreSQL database, and what happens when it is down."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.store import EscalationRecord, StoreUnavailable, list_escalations, open_store, record_escalation, save_escalation
from tests.support.databases import fresh_postgres_database

RECORD = EscalationRecord(
    conversation_id="person-1",
    level="emergency",
    rule_ids=("pe_signs", "dvt_signs"),
    evidence=({"rule_id": "pe_signs", "finding": "breathless", "text": "can't catch my breath"},),
    ruleset_version="2026.11.1",
    message_text="calf swollen and I can't catch my breath",
)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'poplit.db'}"
    return fresh_postgres_database("poplit_unit_store")


def test_escalation_round_trip(store_url: str) -> None:
    engine = open_store(store_url)
    record_escalation(engine, RECORD)
    record_escalation(engine, EscalationRecord(**{**RECORD.__dict__, "conversation_id": "person-2"}))
    stored = list_escalations(engine, "person-1")
    assert len(stored) == 1
    assert stored[0].rule_ids == RECORD.rule_ids and stored[0].evidence == RECORD.evidence
    assert stored[0].created_at.tzinfo is not None
    assert len(list_escalations(engine)) == 2
    engine.dispose()
    open_store.cache_clear()


def test_a_record_written_twice_is_stored_once(store_url: str) -> None:
    engine = open_store(store_url)
    record = EscalationRecord(**{**RECORD.__dict__, "escalation_id": "e-1"})
    assert record_escalation(engine, record) is True
    assert record_escalation(engine, record) is False
    assert [stored.escalation_id for stored in list_escalations(engine)] == ["e-1"]
    engine.dispose()
    open_store.cache_clear()


def test_an_audit_table_from_before_escalation_ids_is_upgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE triage_escalations (id INTEGER PRIMARY KEY, conversation_id VARCHAR(255) NOT NULL, "
                "created_at DATETIME NOT NULL, level VARCHAR(32) NOT NULL, rule_ids TEXT NOT NULL, evidence TEXT NOT NULL, "
                "ruleset_version VARCHAR(64) NOT NULL, message_text TEXT NOT NULL)"
            )
        )
    upgraded = open_store(url)
    record = EscalationRecord(**{**RECORD.__dict__, "escalation_id": "e-2"})
    assert record_escalation(upgraded, record) and not record_escalation(upgraded, record)
    upgraded.dispose()
    open_store.cache_clear()


def test_database_down_keeps_the_record_in_the_fallback_file(tmp_path: Path) -> None:
    fallback = tmp_path / "unsaved.jsonl"
    with pytest.raises(StoreUnavailable):
        save_escalation(RECORD, "postgresql://postgres@127.0.0.1:1/nowhere", fallback)
    saved = [json.loads(line) for line in fallback.read_text().splitlines()]
    assert saved[0]["rule_ids"] == ["pe_signs", "dvt_signs"] and saved[0]["conversation_id"] == "person-1"


def test_sqlite_stores_run_in_wal_mode_so_readers_do_not_wait_for_writers(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


def test_a_store_that_is_down_raises_store_unavailable_from_every_function(tmp_path: Path) -> None:
    """Callers handle one error: an unreachable database, and one that goes away after opening."""
    from bot.store import checkins

    with pytest.raises(StoreUnavailable):
        open_store("postgresql://poplit@127.0.0.1:1/nowhere")
    engine = open_store(f"sqlite:///{tmp_path / 'gone.db'}")
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE follow_ups"))
    with pytest.raises(StoreUnavailable):
        checkins.count_follow_ups(engine)
