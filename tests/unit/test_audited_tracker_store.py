"""The escalation audit written from the Rasa process when a turn is saved: once per escalation,
whatever the number of saves, on SQLite and PostgreSQL, and into the fallback file when the audit
database is down, with the conversation itself still saved."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import urlparse

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.escalation import escalation_for
from bot.levels import TriageLevel
from bot.runtime_config import TRACKER_STORE_TYPE
from bot.store import list_escalations, open_store
from bot.trackers.audited_sql import AuditedSQLTrackerStore
from bot.triage import load_rules, screen
from tests.support.assistant import PROJECT_ROOT
from tests.support.databases import fresh_postgres_database

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))
TEXT = "my foot has gone cold and pale and I can't feel my toes"


def escalated_tracker(sender: str) -> DialogueStateTracker:
    escalation = escalation_for(screen(TEXT), TriageLevel.EMERGENCY, sender, TEXT, "112")
    events = [
        ActionExecuted("action_listen"),
        UserUttered(TEXT, {"name": "describe_symptoms"}),
        SlotSet("triage_level", "emergency"),
        SlotSet("escalation", escalation.record.to_dict()),
        ActionExecuted("utter_escalation"),
    ]
    return DialogueStateTracker.from_events(sender, events, DOMAIN.slots)


@pytest.fixture(params=["sqlite", "postgresql"])
def audit_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'audit.db'}" if request.param == "sqlite" else fresh_postgres_database("poplit_unit_audit")
    monkeypatch.setenv("POPLIT_STORE_URL", url)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    return url


def test_the_runtime_config_names_this_store() -> None:
    module, _, name = TRACKER_STORE_TYPE.rpartition(".")
    assert getattr(__import__(module, fromlist=[name]), name) is AuditedSQLTrackerStore


def test_saving_a_turn_writes_its_escalation_once(audit_url: str, tmp_path: Path) -> None:
    store = AuditedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    tracker = escalated_tracker("audited-person")
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(tracker))  # the same turn saved again
    records = list_escalations(open_store(audit_url), "audited-person")
    assert len(records) == 1 and records[0].level == "emergency" and records[0].message_text == TEXT
    files = dict(records[0].engine_files)
    assert files["rules.yml"].startswith(load_rules().version) and files["lexicon.yml"].startswith("sha256:")
    assert asyncio.run(store.retrieve("audited-person")) is not None
    open_store(audit_url).dispose()
    open_store.cache_clear()


def test_an_audit_database_that_is_down_sends_the_record_to_the_fallback_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POPLIT_STORE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    store = AuditedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    asyncio.run(store.save(escalated_tracker("offline-audit")))
    saved = [json.loads(line) for line in (tmp_path / "escalations-unsaved.jsonl").read_text().splitlines()]
    assert [record["conversation_id"] for record in saved] == ["offline-audit"]
    assert asyncio.run(store.retrieve("offline-audit")) is not None


def _tracker_store(which: str, tmp_path: Path) -> AuditedSQLTrackerStore:
    if which == "sqlite":
        return AuditedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    url = urlparse(fresh_postgres_database("poplit_unit_tracker"))
    return AuditedSQLTrackerStore(
        domain=DOMAIN, dialect="postgresql", host=url.hostname, port=url.port, db=url.path.lstrip("/"), username=url.username
    )


@pytest.mark.parametrize(
    "which, sender",
    [("sqlite", "\ud800"), ("postgresql", "\ud800"), ("postgresql", "nul\x00byte")],  # SQLite keeps a NUL
)
def test_a_conversation_id_the_database_cannot_take_fails_that_save_and_does_not_stop_the_process(
    which: str, sender: str, tmp_path: Path
) -> None:
    """Rasa's session_scope took any ValueError for a missing PostgreSQL schema and exited the process
    (SystemExit); the error now stays with the one message."""
    store = _tracker_store(which, tmp_path)
    tracker = DialogueStateTracker.from_events(sender, [ActionExecuted("action_listen"), UserUttered("hi")], DOMAIN.slots)
    with pytest.raises(Exception) as failed:
        asyncio.run(store.save(tracker))
    assert not isinstance(failed.value, SystemExit)
    asyncio.run(store.save(DialogueStateTracker.from_events("fine", [UserUttered("hi")], DOMAIN.slots)))
    assert asyncio.run(store.retrieve("fine")) is not None


def test_a_session_past_the_cap_is_followed_by_a_new_one_and_nothing_stored_is_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POPLIT_MAX_SESSION_EVENTS", "20")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    store = _tracker_store("sqlite", tmp_path)
    tracker = DialogueStateTracker.from_events("long-talker", [ActionExecuted("action_listen")], DOMAIN.slots)
    for turn in range(15):
        tracker.update(UserUttered(f"message {turn}"))
        tracker.update(ActionExecuted("utter_greet"))
        tracker.update(ActionExecuted("action_listen"))
        asyncio.run(store.save(tracker))
        tracker = asyncio.run(store.retrieve("long-talker"))
        assert tracker is not None and len(tracker.events) <= 22
    everything = asyncio.run(store.retrieve_full_tracker("long-talker"))
    assert everything is not None
    assert [event.text for event in everything.events if isinstance(event, UserUttered)] == [
        f"message {turn}" for turn in range(15)
    ]
    assert sum(isinstance(event, SessionStarted) for event in everything.events) >= 2
