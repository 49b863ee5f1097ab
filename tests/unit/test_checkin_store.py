"""The check-in store on SQLite and on the machine's real PostgreSQL: every function of its API, its
migrations (a fresh database, one made by create_all before migrations, upgrading twice, several
processes upgrading at once), leases, and two competing worker processes delivering 200 follow-ups."""

from __future__ import annotations

import json
import logging
import multiprocessing
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, delete, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.cli import main as cli_main
from bot.store import (
    SUPERSEDED,
    EscalationRecord,
    assessments_of,
    cancel_follow_ups,
    cancel_superseded,
    check_ins_of,
    checkins,
    claim_due,
    count_follow_ups,
    create_store_engine,
    delete_person,
    export_person,
    find_person,
    follow_ups_of,
    get_follow_up,
    get_or_create_person,
    get_person,
    latest_pending_follow_up,
    list_escalations,
    mark_delivered,
    mark_failed,
    next_follow_up,
    open_store,
    record_assessment,
    record_check_in,
    record_escalation,
    release_for_retry,
    schedule_follow_ups,
    set_consent,
)
from bot.store.migrate import POSTGRES_LOCK_KEY, SchemaAhead, current, head, upgrade
from bot.store.tables import assessments, check_ins, follow_ups, metadata, people, triage_escalations
from tests.support.databases import fresh_postgres_database

BACKENDS = ["sqlite", "postgresql"]
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
NEW_TABLES = {"people", "assessments", "check_ins", "follow_ups"}
# spawn, not fork: a forked child would share the parent's pooled connections.
SPAWN = multiprocessing.get_context("spawn")


def _new_url(backend: str, directory: Path, name: str) -> str:
    return f"sqlite:///{directory / f'{name}.db'}" if backend == "sqlite" else fresh_postgres_database(name)


@pytest.fixture(scope="module", params=BACKENDS)
def migrated_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = _new_url(request.param, tmp_path_factory.mktemp("store"), "poplit_store_test")
    upgrade(url)
    return url


@pytest.fixture
def engine(migrated_url: str) -> Iterator[Engine]:
    """The migrated store, emptied before each test (cheaper than a new database per test)."""
    engine = create_store_engine(migrated_url)
    with engine.begin() as connection:
        for table in (check_ins, follow_ups, assessments, people, triage_escalations):
            connection.execute(delete(table))
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def new_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own, for the migration tests."""
    yield _new_url(request.param, tmp_path, "poplit_store_test_migrations")
    open_store.cache_clear()


def _person_with_follow_ups(engine: Engine, sender: str, due: list[datetime], channel: str = "socketio") -> tuple[int, list[int]]:
    person = get_or_create_person(engine, channel, sender)
    set_consent(engine, person.id, "accepted")
    return person.id, schedule_follow_ups(engine, person.id, due)


# People and consent


def test_a_person_is_one_row_per_channel_and_sender(engine: Engine) -> None:
    first = get_or_create_person(engine, "slack", "U123", timezone="Europe/Berlin")
    assert (first.consent, first.timezone, first.quiet_start, first.quiet_end, first.paused_until) == (
        "none",
        "Europe/Berlin",
        "21:00",
        "08:00",
        None,
    )
    assert first.created_at.tzinfo == timezone.utc
    assert get_or_create_person(engine, "slack", "U123").id == first.id
    assert get_or_create_person(engine, "slack", "U123", timezone="America/New_York").timezone == "America/New_York"
    other_channel = get_or_create_person(engine, "telegram", "U123")
    assert other_channel.id != first.id and other_channel.timezone == "UTC"
    assert find_person(engine, "U123", "slack") == get_person(engine, first.id)
    assert find_person(engine, "U123") is not None and find_person(engine, "nobody") is None
    assert get_person(engine, 999_999) is None
    assert get_or_create_person(engine, "slack", "U123", timezone="Mars/Olympus").timezone == "America/New_York"
    assert get_or_create_person(engine, "slack", "U124", timezone="../../etc/passwd").timezone == "UTC"
    with pytest.raises(ValueError):
        get_or_create_person(engine, "fax", "U125")


def test_a_person_created_by_another_process_at_the_same_moment_is_read_back(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = get_or_create_person(engine, "socketio", "twice-at-once")
    real_find = checkins.find_person
    looks = iter([None])  # the first look-up ran before the other process's insert
    monkeypatch.setattr(checkins, "find_person", lambda *args: next(looks, real_find(*args)))
    assert get_or_create_person(engine, "socketio", "twice-at-once") == theirs


def test_consent_is_recorded_and_stopping_cancels_what_is_scheduled(engine: Engine) -> None:
    person_id, ids = _person_with_follow_ups(engine, "consenting", [T0 + timedelta(days=2), T0 + timedelta(days=7)])
    assert get_person(engine, person_id).consent == "accepted"  # type: ignore[union-attr]
    berlin = timezone(timedelta(hours=1))
    set_consent(engine, person_id, "paused", paused_until=datetime(2026, 11, 10, 10, 0, tzinfo=berlin))
    paused = get_person(engine, person_id)
    assert paused is not None and paused.consent == "paused"
    assert paused.paused_until == datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)
    assert [item.status for item in follow_ups_of(engine, person_id)] == ["pending", "pending"]  # kept while paused
    set_consent(engine, person_id, "stopped")
    stopped = get_person(engine, person_id)
    assert stopped is not None and stopped.consent == "stopped" and stopped.paused_until is None
    assert [item.status for item in follow_ups_of(engine, person_id)] == ["cancelled", "cancelled"]
    with pytest.raises(ValueError):
        set_consent(engine, person_id, "maybe")
    with pytest.raises(LookupError):
        set_consent(engine, 999_999, "accepted")


def test_assessments_round_trip(engine: Engine) -> None:
    person = get_or_create_person(engine, "rest", "assessed")
    profile = {"location": "back of knee", "swelling": True, "duration_days": 10}
    first = record_assessment(engine, person.id, "self_care", [], "2026.11.1", profile, ["heel slides", "calf stretch"], at=T0)
    second = record_assessment(engine, person.id, "see_clinician", ["not_improving"], "2026.11.1", {}, [])
    stored = assessments_of(engine, person.id)
    assert [item.id for item in stored] == [first, second]
    assert stored[0].profile == profile and stored[0].exercises == ("heel slides", "calf stretch")
    assert stored[0].created_at == T0 and stored[1].rule_ids == ("not_improving",)
    assert assessments_of(engine, get_or_create_person(engine, "rest", "someone else").id) == []


# Scheduling


def test_scheduling_replaces_what_is_still_to_be_sent(engine: Engine) -> None:
    person = get_or_create_person(engine, "telegram", "4242")
    first = schedule_follow_ups(engine, person.id, [T0 + timedelta(days=days) for days in (2, 7, 14)])
    assert len(first) == 3
    delivered = first[0]
    assert mark_delivered(engine, delivered, T0 + timedelta(days=2))
    second = schedule_follow_ups(engine, person.id, [T0 + timedelta(days=3), T0 + timedelta(days=10)])
    by_id = {item.id: item for item in follow_ups_of(engine, person.id)}
    assert by_id[delivered].status == "delivered"  # what happened stays as it was
    assert [by_id[i].status for i in first[1:]] == ["cancelled", "cancelled"]
    assert [by_id[i].status for i in second] == ["pending", "pending"]
    assert all(by_id[i].channel == "telegram" and by_id[i].sender_id == "4242" for i in second)
    assert by_id[second[0]].due_at == T0 + timedelta(days=3) and by_id[second[0]].attempts == 0
    with pytest.raises(ValueError):
        schedule_follow_ups(engine, person.id, [datetime(2026, 11, 20, 9, 0)])  # naive: whose 9 o'clock?
    with pytest.raises(LookupError):
        schedule_follow_ups(engine, 999_999, [T0])
    assert cancel_follow_ups(engine, person.id) == 2
    assert cancel_follow_ups(engine, person.id) == 0
    assert count_follow_ups(engine, "cancelled") == 4 and count_follow_ups(engine) == 5


def test_latest_pending_follow_up(engine: Engine) -> None:
    person_id, ids = _person_with_follow_ups(engine, "returning", [T0 + timedelta(days=days) for days in (2, 7, 14)])
    assert latest_pending_follow_up(engine, person_id).id == ids[2]  # type: ignore[union-attr]
    assert latest_pending_follow_up(engine, person_id, now=T0 + timedelta(days=8)).id == ids[1]  # type: ignore[union-attr]
    assert latest_pending_follow_up(engine, person_id, now=T0 + timedelta(days=1)) is None
    assert next_follow_up(engine, person_id, T0 + timedelta(days=8)).id == ids[2]  # type: ignore[union-attr]
    assert next_follow_up(engine, person_id, T0 + timedelta(days=15)) is None
    # The person answers the week's check-in: the one of day 2, never answered, is superseded.
    mark_delivered(engine, ids[1], T0 + timedelta(days=8))
    assert cancel_superseded(engine, ids[1]) == 1 and cancel_superseded(engine, ids[1]) == 0
    skipped = get_follow_up(engine, ids[0])
    assert skipped is not None and (skipped.status, skipped.last_error) == ("cancelled", SUPERSEDED)
    assert latest_pending_follow_up(engine, person_id, now=T0 + timedelta(days=8)) is None
    assert latest_pending_follow_up(engine, person_id).id == ids[2]  # type: ignore[union-attr]
    cancel_follow_ups(engine, person_id)
    assert latest_pending_follow_up(engine, person_id) is None


# Claiming and delivering


def test_claim_due_takes_due_rows_oldest_first_under_a_lease(engine: Engine) -> None:
    _, ids = _person_with_follow_ups(engine, "claimed", [T0 + timedelta(minutes=minutes) for minutes in (20, 10, 30, 24 * 60)])
    now = T0 + timedelta(hours=1)
    batch = claim_due(engine, now, limit=2, lease_seconds=120)
    assert [item.id for item in batch] == [ids[1], ids[0]]
    assert all(item.status == "claimed" and item.attempts == 1 for item in batch)
    assert all(item.claimed_until == now + timedelta(seconds=120) for item in batch)
    assert [item.id for item in claim_due(engine, now, limit=10, lease_seconds=120)] == [ids[2]]  # the rest that is due
    assert claim_due(engine, now + timedelta(seconds=60), limit=10, lease_seconds=120) == []  # leases hold
    assert get_follow_up(engine, ids[3]).status == "pending"  # type: ignore[union-attr]  # tomorrow's


def test_a_claim_whose_worker_vanished_is_taken_again_after_the_lease(engine: Engine) -> None:
    _, (follow_up_id,) = _person_with_follow_ups(engine, "lost-claim", [T0])
    (claimed,) = claim_due(engine, T0, limit=10, lease_seconds=300)  # ... and this worker dies here
    assert claim_due(engine, T0 + timedelta(seconds=299), limit=10, lease_seconds=300) == []
    (reclaimed,) = claim_due(engine, T0 + timedelta(seconds=300), limit=10, lease_seconds=300)
    assert reclaimed.id == claimed.id and reclaimed.attempts == 2
    assert reclaimed.claimed_until == T0 + timedelta(seconds=600)
    assert mark_delivered(engine, follow_up_id, T0 + timedelta(seconds=310))
    assert not mark_delivered(engine, follow_up_id, T0 + timedelta(seconds=320))  # the first worker, back from the dead


def test_no_check_in_is_claimed_for_people_who_stopped_or_are_paused(engine: Engine) -> None:
    stopped_id, _ = _person_with_follow_ups(engine, "stopper", [T0])
    paused_id, (paused_follow_up,) = _person_with_follow_ups(engine, "pauser", [T0])
    _, (active_follow_up,) = _person_with_follow_ups(engine, "active", [T0])
    set_consent(engine, paused_id, "paused", paused_until=T0 + timedelta(days=3))
    # Stopped after scheduling: claim_due must hold even if a row was left pending by another path.
    with engine.begin() as connection:
        connection.execute(people.update().where(people.c.id == stopped_id).values(consent="stopped"))
    assert [item.id for item in claim_due(engine, T0 + timedelta(days=1), limit=10, lease_seconds=60)] == [active_follow_up]
    assert mark_delivered(engine, active_follow_up, T0 + timedelta(days=1))
    assert [item.id for item in claim_due(engine, T0 + timedelta(days=3), limit=10, lease_seconds=60)] == [paused_follow_up]


def test_mark_delivered_is_true_once(engine: Engine) -> None:
    _, (first, second) = _person_with_follow_ups(engine, "delivered", [T0, T0 + timedelta(days=1)])
    claim_due(engine, T0, limit=10, lease_seconds=60)
    assert mark_delivered(engine, first, T0 + timedelta(seconds=5)) is True
    assert mark_delivered(engine, first, T0 + timedelta(seconds=6)) is False
    delivered = get_follow_up(engine, first)
    assert delivered is not None and delivered.status == "delivered" and delivered.claimed_until is None
    assert delivered.delivered_at == T0 + timedelta(seconds=5)
    cancel_follow_ups(engine, get_follow_up(engine, second).person_id)  # type: ignore[union-attr]
    assert mark_delivered(engine, second, T0) is False  # the person stopped: the action stays silent
    assert mark_delivered(engine, 999_999, T0) is False


def test_release_for_retry_and_mark_failed(engine: Engine) -> None:
    _, (follow_up_id, other) = _person_with_follow_ups(engine, "retried", [T0, T0])
    claim_due(engine, T0, limit=10, lease_seconds=60)
    assert release_for_retry(engine, follow_up_id, "ConnectError: Rasa is down", T0 + timedelta(seconds=30))
    released = get_follow_up(engine, follow_up_id)
    assert released is not None and (released.status, released.last_error) == ("pending", "ConnectError: Rasa is down")
    assert released.due_at == T0 + timedelta(seconds=30) and released.claimed_until is None
    assert claim_due(engine, T0 + timedelta(seconds=29), limit=10, lease_seconds=60) == []
    (again,) = claim_due(engine, T0 + timedelta(seconds=30), limit=10, lease_seconds=60)
    assert again.attempts == 2
    assert mark_failed(engine, follow_up_id, "gave up after 2 attempts: HTTP 502")
    failed = get_follow_up(engine, follow_up_id)
    assert failed is not None and failed.status == "failed" and failed.last_error == "gave up after 2 attempts: HTTP 502"
    assert not mark_failed(engine, follow_up_id, "again")
    # Delivered while the worker's request timed out: the retry must not put it back.
    assert mark_delivered(engine, other, T0 + timedelta(seconds=1))
    assert not release_for_retry(engine, other, "ReadTimeout", T0 + timedelta(seconds=60))
    assert get_follow_up(engine, other).status == "delivered"  # type: ignore[union-attr]


# Check-ins


def test_check_ins_round_trip_and_answers_are_checked(engine: Engine) -> None:
    person_id, (follow_up_id,) = _person_with_follow_ups(engine, "checking-in", [T0])
    first = record_check_in(engine, person_id, follow_up_id, 6, "same", "some", None, None, at=T0)
    second = record_check_in(
        engine, person_id, None, 3, "better", "yes", "a little swelling", "walked to work", at=T0 + timedelta(days=7)
    )
    unanswered = record_check_in(engine, person_id, None, None, None, None, None, None)
    stored = check_ins_of(engine, person_id)
    assert [item.id for item in stored] == [first, second, unanswered]
    assert (stored[0].pain, stored[0].change, stored[0].exercises_done, stored[0].follow_up_id) == (
        6,
        "same",
        "some",
        follow_up_id,
    )
    assert stored[1].new_signs == "a little swelling" and stored[1].note == "walked to work"
    assert stored[1].created_at == T0 + timedelta(days=7)
    for bad in ({"pain": 11}, {"pain": -1}, {"pain": True}, {"change": "fine"}, {"exercises_done": "lots"}):
        answers: dict[str, Any] = {"pain": 5, "change": "same", "exercises_done": "yes", **bad}
        with pytest.raises(ValueError):
            record_check_in(engine, person_id, None, new_signs=None, note=None, **answers)
    with pytest.raises(IntegrityError):  # the database refuses it too
        with engine.begin() as connection:
            connection.execute(check_ins.insert().values(person_id=person_id, created_at=T0, pain=12))


# Privacy


def test_export_and_delete_cover_everything_about_one_person(engine: Engine) -> None:
    person_id, (follow_up_id,) = _person_with_follow_ups(engine, "leaving", [T0], channel="slack")
    record_assessment(engine, person_id, "self_care", [], "2026.11.1", {"pain": 4}, ["heel slides"])
    record_check_in(engine, person_id, follow_up_id, 4, "same", "yes", None, None)
    escalation = EscalationRecord(
        conversation_id="leaving",
        level="urgent",
        rule_ids=("dvt_signs",),
        evidence=({"rule_id": "dvt_signs", "finding": "calf_swelling", "text": "swollen calf"},),
        ruleset_version="2026.11.1",
        message_text="my calf is swollen",
        escalation_id="esc-leaving",
    )
    record_escalation(engine, escalation)
    staying_id, _ = _person_with_follow_ups(engine, "staying", [T0], channel="slack")
    record_check_in(engine, staying_id, None, 2, "better", "yes", None, None)

    exported = export_person(engine, "slack", "leaving")
    assert json.loads(json.dumps(exported)) == exported  # JSON as it is
    assert exported["person"]["sender_id"] == "leaving" and exported["person"]["channel"] == "slack"
    assert [len(exported[key]) for key in ("assessments", "check_ins", "follow_ups", "escalations")] == [1, 1, 1, 1]
    assert exported["check_ins"][0]["pain"] == 4 and exported["escalations"][0]["escalation_id"] == "esc-leaving"
    assert exported["follow_ups"][0]["due_at"] == T0.isoformat()

    counts = delete_person(engine, "slack", "leaving")
    assert counts == {"check_ins": 1, "follow_ups": 1, "assessments": 1, "people": 1, "triage_escalations": 1}
    assert export_person(engine, "slack", "leaving") == {
        "person": None,
        "assessments": [],
        "check_ins": [],
        "follow_ups": [],
        "escalations": [],
    }
    assert delete_person(engine, "slack", "leaving") == dict.fromkeys(counts, 0)
    assert len(check_ins_of(engine, staying_id)) == 1 and len(follow_ups_of(engine, staying_id)) == 1


# Locking


def test_postgresql_claims_skip_rows_another_worker_is_claiming(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises claims with BEGIN IMMEDIATE")
    _, ids = _person_with_follow_ups(engine, "contended", [T0, T0, T0])
    other = create_store_engine(str(engine.url))
    # Waiting for the lock would wait for this very test: fail after 3 s instead of hanging.
    impatient = create_engine(engine.url, future=True, connect_args={"options": "-c lock_timeout=3000"})
    try:
        with other.begin() as connection:  # another worker in the middle of its claim of the first row
            connection.execute(select(follow_ups.c.id).where(follow_ups.c.id == ids[0]).with_for_update())
            started = time.monotonic()
            assert [item.id for item in claim_due(impatient, T0, limit=10, lease_seconds=60)] == ids[1:]
            assert time.monotonic() - started < 2  # passed over, not waited for
    finally:
        other.dispose()
        impatient.dispose()
    assert [item.id for item in claim_due(engine, T0, limit=10, lease_seconds=60)] == ids[:1]


def _deliver_due(url: str, barrier: Any, results: Any, name: str) -> None:
    """A worker process: claims in small batches and delivers, until nothing is left for it."""
    engine = create_store_engine(url)
    claimed: list[int] = []
    delivered: list[int] = []
    barrier.wait(timeout=60)
    while batch := claim_due(engine, T0, limit=5, lease_seconds=600):
        for follow_up in batch:
            claimed.append(follow_up.id)
            if mark_delivered(engine, follow_up.id, T0):
                delivered.append(follow_up.id)
    engine.dispose()
    results.put((name, claimed, delivered))


def test_two_workers_deliver_each_of_200_follow_ups_exactly_once(engine: Engine) -> None:
    every = set()
    for person in range(20):
        every |= set(_person_with_follow_ups(engine, f"crowd-{person}", [T0 - timedelta(minutes=m) for m in range(10)])[1])
    assert len(every) == 200
    barrier, results = SPAWN.Barrier(2), SPAWN.Queue()
    workers = [SPAWN.Process(target=_deliver_due, args=(str(engine.url), barrier, results, name)) for name in ("a", "b")]
    for worker in workers:
        worker.start()
    outcomes = {name: (claimed, delivered) for name, claimed, delivered in (results.get(timeout=60) for _ in workers)}
    for worker in workers:
        worker.join(timeout=10)
        assert worker.exitcode == 0
    (claimed_a, delivered_a), (claimed_b, delivered_b) = outcomes["a"], outcomes["b"]
    assert claimed_a and claimed_b, "both workers took part"
    assert not set(claimed_a) & set(claimed_b), "no row claimed by both while its lease held"
    assert sorted(claimed_a + claimed_b) == sorted(every)  # each claimed exactly once
    assert sorted(delivered_a + delivered_b) == sorted(every)  # each delivered exactly once
    assert count_follow_ups(engine, "delivered") == 200
    with engine.connect() as connection:
        assert set(connection.execute(select(follow_ups.c.attempts)).scalars()) == {1}  # no claim was taken over


# Migrations


def test_a_fresh_database_is_migrated_to_head_and_matches_the_tables(new_url: str) -> None:
    assert current(new_url) is None
    engine = open_store(new_url)
    assert current(engine) == head() == "0003"
    assert NEW_TABLES | {"triage_escalations", "alembic_version"} <= set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        # What tables.py says and what the migrations made agree (a change to one needs the other).
        assert compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata) == []
    engine.dispose()


def _old_audit_table(engine: Engine, before_escalation_ids: bool) -> None:
    """The audit table as create_all made it before migrations; or older still, before escalation ids."""
    if not before_escalation_ids:
        old = MetaData()
        triage_escalations.to_metadata(old)
        old.create_all(engine)
        return
    sqlite = engine.dialect.name == "sqlite"
    key, timestamp = ("INTEGER PRIMARY KEY", "DATETIME") if sqlite else ("SERIAL PRIMARY KEY", "TIMESTAMP WITH TIME ZONE")
    with engine.begin() as connection:
        connection.execute(
            text(
                f"CREATE TABLE triage_escalations (id {key}, conversation_id VARCHAR(255) NOT NULL, "
                f"created_at {timestamp} NOT NULL, level VARCHAR(32) NOT NULL, rule_ids TEXT NOT NULL, "
                "evidence TEXT NOT NULL, ruleset_version VARCHAR(64) NOT NULL, message_text TEXT NOT NULL)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO triage_escalations (conversation_id, created_at, level, rule_ids, evidence, "
                "ruleset_version, message_text) VALUES ('old-person', '2026-01-01 10:00:00', 'urgent', '[]', '[]', "
                "'2026.1', 'old text')"
            )
        )


@pytest.mark.parametrize("before_escalation_ids", [False, True], ids=["create_all", "before_escalation_ids"])
def test_a_database_made_before_migrations_is_stamped_then_upgraded(new_url: str, before_escalation_ids: bool) -> None:
    old = create_engine(new_url, future=True)
    _old_audit_table(old, before_escalation_ids)
    if not before_escalation_ids:
        record_escalation(old, EscalationRecord("old-person", "urgent", (), (), "2026.1", "old text", escalation_id="e-old"))
    old.dispose()
    engine = open_store(new_url)
    assert current(engine) == head()
    assert NEW_TABLES <= set(inspect(engine).get_table_names())
    assert [record.conversation_id for record in list_escalations(engine)] == ["old-person"]  # kept, not recreated
    record = EscalationRecord("new-person", "urgent", (), (), "2026.1", "text", escalation_id="e-new")
    assert record_escalation(engine, record) and not record_escalation(engine, record)
    engine.dispose()


def test_upgrading_twice_changes_nothing(new_url: str) -> None:
    assert upgrade(new_url) == head()
    assert upgrade(new_url) == head()
    engine = create_store_engine(new_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head()]
    engine.dispose()


def _upgrade_when_told(url: str, barrier: Any, results: Any) -> None:
    barrier.wait(timeout=60)
    try:
        results.put(upgrade(url))
    except Exception as error:  # reported to the test rather than lost in the child
        results.put(f"{error.__class__.__name__}: {error}")


def test_processes_starting_at_once_upgrade_the_database_once(new_url: str) -> None:
    barrier, results = SPAWN.Barrier(3), SPAWN.Queue()
    processes = [SPAWN.Process(target=_upgrade_when_told, args=(new_url, barrier, results)) for _ in range(3)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=10)
    assert outcomes == [head()] * 3
    engine = create_store_engine(new_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head()]
    engine.dispose()


def test_an_upgrade_waits_for_the_migration_lock(new_url: str) -> None:
    holder = create_store_engine(new_url)
    outcome: list[str] = []
    with holder.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_LOCK_KEY})
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        upgrading = threading.Thread(target=lambda: outcome.append(upgrade(new_url)))
        upgrading.start()
        upgrading.join(timeout=1.5)
        assert upgrading.is_alive() and current(new_url) is None  # waiting, nothing done
        connection.rollback()
    upgrading.join(timeout=20)
    holder.dispose()
    assert outcome == [head()] and current(new_url) == head()


def test_a_database_from_newer_code_is_used_as_it_is(new_url: str, caplog: pytest.LogCaptureFixture) -> None:
    upgrade(new_url)
    engine = create_store_engine(new_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaAhead):
        upgrade(engine)
    engine.dispose()
    with caplog.at_level(logging.WARNING, logger="poplit.store"):
        opened = open_store(new_url)
    assert "9999" in caplog.text and current(opened) == "9999"
    opened.dispose()


def test_the_db_command_upgrades_the_configured_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POPLIT_STORE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert cli_main(["db", "current"]) == 0 and "none" in capsys.readouterr().out
    assert cli_main(["db", "upgrade"]) == 0 and f"revision {head()}" in capsys.readouterr().out
    assert cli_main(["db", "current"]) == 0 and capsys.readouterr().out.strip() == head()
