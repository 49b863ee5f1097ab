"""People, their assessments, scheduled follow-ups and check-ins: the store behind follow-up check-ins.

Every function takes an Engine (open_store) and works in one transaction. Times are timezone-aware and
come back in UTC; a naive time is refused.

Delivery is at least once, seen once: the worker claims due follow-ups with a lease (claim_due) and
triggers them; the check-in action calls mark_delivered before it speaks and stays silent when that
returns False. A worker that dies holding a claim loses it when the lease runs out.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Collection, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from bot.store.audit import list_escalations
from bot.store.database import store_errors
from bot.store.tables import assessments, check_ins, follow_ups, people, triage_escalations

CHANNELS = ("socketio", "slack", "telegram", "rest")
CONSENTS = ("none", "accepted", "declined", "paused", "stopped")
STATUSES = ("pending", "claimed", "delivered", "failed", "cancelled")
CHANGES = ("better", "same", "worse")
EXERCISES_DONE = ("yes", "some", "no")
# Consents under which no check-in is sent, whatever is scheduled.
_NO_CHECK_INS = ("declined", "stopped")
# Follow-ups still to be sent: what rescheduling and cancelling replace.
_OPEN = ("pending", "claimed")
_MAX_ERROR_CHARS = 2000
# Why an older follow-up was cancelled when a later one was delivered.
SUPERSEDED = "superseded by a later check-in"

logger = logging.getLogger("poplit.store")


@dataclass(frozen=True)
class Person:
    id: int
    channel: str
    sender_id: str
    consent: str
    timezone: str
    quiet_start: str
    quiet_end: str
    paused_until: Optional[datetime]
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class Assessment:
    id: int
    person_id: int
    created_at: datetime
    level: str
    rule_ids: tuple[str, ...]
    ruleset_version: str
    profile: dict[str, Any]
    exercises: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class FollowUp:
    id: int
    person_id: int
    due_at: datetime
    channel: str
    sender_id: str
    status: str
    attempts: int
    last_error: Optional[str]
    claimed_until: Optional[datetime]
    delivered_at: Optional[datetime]
    created_at: datetime
    public_id: Optional[str]

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class CheckIn:
    id: int
    person_id: int
    follow_up_id: Optional[int]
    created_at: datetime
    pain: Optional[int]
    change: Optional[str]
    exercises_done: Optional[str]
    new_signs: Optional[str]
    note: Optional[str]

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a timezone-aware time is needed, got {moment.isoformat()}")
    return moment.astimezone(timezone.utc)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _one_of(name: str, value: Optional[str], allowed: tuple[str, ...], nullable: bool = False) -> None:
    if value is None and nullable:
        return
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}{' or None' if nullable else ''}, got {value!r}")


def _person(row: RowMapping) -> Person:
    return Person(**{column.name: row[column.name] for column in people.columns})


def _follow_up(row: RowMapping) -> FollowUp:
    return FollowUp(**{column.name: row[column.name] for column in follow_ups.columns})


def _check_in(row: RowMapping) -> CheckIn:
    return CheckIn(**{column.name: row[column.name] for column in check_ins.columns})


def _assessment(row: RowMapping) -> Assessment:
    return Assessment(
        id=row["id"],
        person_id=row["person_id"],
        created_at=row["created_at"],
        level=row["level"],
        rule_ids=tuple(json.loads(row["rule_ids"])),
        ruleset_version=row["ruleset_version"],
        profile=json.loads(row["profile"]),
        exercises=tuple(json.loads(row["exercises"])),
    )


# People


def is_timezone(name: str) -> bool:
    """An IANA time zone name this machine knows (e.g. Europe/Berlin)."""
    if len(name) > people.c.timezone.type.length:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@store_errors
def get_or_create_person(engine: Engine, channel: str, sender_id: str, timezone: Optional[str] = None) -> Person:
    """The person on this channel, created (consent none) when new. A timezone given is kept: it is the
    newest word on where the person is (the browser, Slack's profile, or their answer). One that is not
    an IANA name is ignored, not an error: it comes from the person's client, which anyone can write."""
    _one_of("channel", channel, CHANNELS)
    if timezone is not None and not is_timezone(timezone):
        logger.warning("ignoring a time zone that is not an IANA name: %r", timezone[:40])
        timezone = None
    for _ in range(2):
        existing = find_person(engine, sender_id, channel)
        if existing is not None:
            if timezone is None or timezone == existing.timezone:
                return existing
            with engine.begin() as connection:
                connection.execute(update(people).where(people.c.id == existing.id).values(timezone=timezone, updated_at=_now()))
            return _get_person(engine, existing.id)
        now = _now()
        try:
            with engine.begin() as connection:
                connection.execute(
                    people.insert().values(
                        channel=channel,
                        sender_id=sender_id,
                        consent="none",
                        timezone=timezone or "UTC",
                        quiet_start="21:00",
                        quiet_end="08:00",
                        paused_until=None,
                        created_at=now,
                        updated_at=now,
                    )
                )
        except IntegrityError:
            continue  # another process created them between the look-up and the insert: read theirs
        created = find_person(engine, sender_id, channel)
        assert created is not None
        return created
    raise RuntimeError("the person could neither be found nor created")  # only if rows vanish in between


def _get_person(engine: Engine, person_id: int) -> Person:
    person = get_person(engine, person_id)
    if person is None:
        raise LookupError(f"no person with id {person_id}")
    return person


@store_errors
def get_person(engine: Engine, person_id: int) -> Optional[Person]:
    with engine.connect() as connection:
        row = connection.execute(select(people).where(people.c.id == person_id)).mappings().first()
    return None if row is None else _person(row)


@store_errors
def find_person(engine: Engine, sender_id: str, channel: Optional[str] = None) -> Optional[Person]:
    """The person with this sender id (on this channel when given; else the one seen most recently)."""
    query = select(people).where(people.c.sender_id == sender_id)
    if channel is not None:
        query = query.where(people.c.channel == channel)
    query = query.order_by(people.c.updated_at.desc(), people.c.id.desc()).limit(1)
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    return None if row is None else _person(row)


@store_errors
def set_consent(engine: Engine, person_id: int, consent: str, paused_until: Optional[datetime] = None) -> None:
    """Records the person's answer about check-ins. Declining or stopping also cancels every follow-up
    still to be sent, in the same transaction, so no check-in goes out after "stop". paused_until is kept
    only with "paused" (None there: paused until they resume)."""
    _one_of("consent", consent, CONSENTS)
    until = _utc(paused_until) if paused_until is not None and consent == "paused" else None
    with engine.begin() as connection:
        changed = connection.execute(
            update(people).where(people.c.id == person_id).values(consent=consent, paused_until=until, updated_at=_now())
        ).rowcount
        if not changed:
            raise LookupError(f"no person with id {person_id}")
        if consent in _NO_CHECK_INS:
            _cancel_open(connection, person_id)


# Assessments


@store_errors
def record_assessment(
    engine: Engine,
    person_id: int,
    level: str,
    rule_ids: list[str],
    ruleset_version: str,
    profile: dict[str, Any],
    exercises: list[str],
    at: Optional[datetime] = None,
) -> int:
    with engine.begin() as connection:
        result = connection.execute(
            assessments.insert().values(
                person_id=person_id,
                created_at=_utc(at) if at is not None else _now(),
                level=level,
                rule_ids=json.dumps(list(rule_ids)),
                ruleset_version=ruleset_version,
                profile=json.dumps(profile, sort_keys=True),
                exercises=json.dumps(list(exercises)),
            )
        )
        return int(result.inserted_primary_key[0])


@store_errors
def assessments_of(engine: Engine, person_id: int) -> list[Assessment]:
    """Oldest first."""
    query = select(assessments).where(assessments.c.person_id == person_id).order_by(assessments.c.created_at, assessments.c.id)
    with engine.connect() as connection:
        return [_assessment(row) for row in connection.execute(query).mappings()]


# Follow-ups


def _cancel_open(connection: Connection, person_id: int) -> int:
    # A claimed one may be in flight: cancelled, its mark_delivered returns False and the action stays silent.
    result = connection.execute(
        update(follow_ups)
        .where(follow_ups.c.person_id == person_id, follow_ups.c.status.in_(_OPEN))
        .values(status="cancelled", claimed_until=None)
    )
    return int(result.rowcount)


@store_errors
def schedule_follow_ups(engine: Engine, person_id: int, due_times: list[datetime]) -> list[int]:
    """Replaces the person's follow-ups still to be sent with one per due time (on the person's channel);
    returns the new ids in the order of due_times."""
    due = [_utc(moment) for moment in due_times]
    now = _now()
    with engine.begin() as connection:
        person = connection.execute(select(people.c.channel, people.c.sender_id).where(people.c.id == person_id)).first()
        if person is None:
            raise LookupError(f"no person with id {person_id}")
        _cancel_open(connection, person_id)
        ids = []
        for moment in due:
            result = connection.execute(
                follow_ups.insert().values(
                    person_id=person_id,
                    due_at=moment,
                    channel=person.channel,
                    sender_id=person.sender_id,
                    status="pending",
                    attempts=0,
                    created_at=now,
                    public_id=secrets.token_urlsafe(16),
                )
            )
            ids.append(int(result.inserted_primary_key[0]))
    return ids


@store_errors
def cancel_follow_ups(engine: Engine, person_id: int) -> int:
    """Cancels the person's follow-ups still to be sent; returns how many."""
    with engine.begin() as connection:
        return _cancel_open(connection, person_id)


@store_errors
def get_follow_up(engine: Engine, follow_up_id: int) -> Optional[FollowUp]:
    with engine.connect() as connection:
        row = connection.execute(select(follow_ups).where(follow_ups.c.id == follow_up_id)).mappings().first()
    return None if row is None else _follow_up(row)


@store_errors
def follow_up_for(engine: Engine, public_id: str, channel: str, sender_id: str) -> Optional[FollowUp]:
    """The follow-up with this public id, only if it is this person's (their channel and sender id)."""
    query = select(follow_ups).where(
        follow_ups.c.public_id == public_id, follow_ups.c.channel == channel, follow_ups.c.sender_id == sender_id
    )
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    return None if row is None else _follow_up(row)


@store_errors
def follow_ups_of(engine: Engine, person_id: int) -> list[FollowUp]:
    """Every follow-up of the person, in due order."""
    query = select(follow_ups).where(follow_ups.c.person_id == person_id).order_by(follow_ups.c.due_at, follow_ups.c.id)
    with engine.connect() as connection:
        return [_follow_up(row) for row in connection.execute(query).mappings()]


def _sendable(now: Any) -> Any:
    """Follow-ups to send at `now`: due, not taken (or their lease ran out), and the person has neither
    declined nor stopped check-ins nor paused them beyond `now` (a time, or a bind parameter for one).
    A query joining people."""
    return and_(
        follow_ups.c.due_at <= now,
        or_(follow_ups.c.status == "pending", and_(follow_ups.c.status == "claimed", follow_ups.c.claimed_until <= now)),
        people.c.consent.notin_(_NO_CHECK_INS),
        or_(people.c.consent != "paused", and_(people.c.paused_until.isnot(None), people.c.paused_until <= now)),
    )


@lru_cache(maxsize=1)
def _due_query() -> Any:
    # Built once: the REST channel asks on every message, and building the statement costs more than
    # running it.
    return (
        select(follow_ups)
        .select_from(follow_ups.join(people, people.c.id == follow_ups.c.person_id))
        .where(
            _sendable(bindparam("now")), people.c.channel == bindparam("channel"), people.c.sender_id == bindparam("sender_id")
        )
        .order_by(follow_ups.c.due_at.desc(), follow_ups.c.id.desc())
        .limit(1)
    )


@store_errors
def due_follow_up(engine: Engine, channel: str, sender_id: str, now: datetime) -> Optional[FollowUp]:
    """The person's follow-up to send now, the latest due if several are (channels without push open
    it when the person next writes)."""
    with engine.connect() as connection:
        row = connection.execute(_due_query(), {"now": _utc(now), "channel": channel, "sender_id": sender_id}).mappings().first()
    return None if row is None else _follow_up(row)


@store_errors
def claim_due(
    engine: Engine, now: datetime, limit: int, lease_seconds: float, skip_channels: Collection[str] = ()
) -> list[FollowUp]:
    """Claims up to `limit` follow-ups due by `now` (pending, or claimed under a lease that has run out),
    oldest due first: status claimed, claimed_until = now + lease, attempts + 1. Skips people who
    declined or stopped check-ins and people paused until after `now` (theirs stay pending), and
    follow-ups on `skip_channels` (channels that cannot start a conversation: they stay pending).

    Two workers never claim the same row while its lease holds: on PostgreSQL the rows are read
    `FOR UPDATE SKIP LOCKED` (a worker passes over rows another is claiming instead of waiting for them);
    on SQLite the claim runs under BEGIN IMMEDIATE, the database's single write lock."""
    now = _utc(now)
    query = (
        select(follow_ups.c.id)
        .select_from(follow_ups.join(people, people.c.id == follow_ups.c.person_id))
        .where(_sendable(now), follow_ups.c.channel.notin_(tuple(skip_channels)))
        .order_by(follow_ups.c.due_at, follow_ups.c.id)
        .limit(limit)
    )
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            # pysqlite begins only before the first write: take the write lock before reading the due rows.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            query = query.with_for_update(skip_locked=True, of=follow_ups)
        ids = list(connection.execute(query).scalars())
        if not ids:
            return []
        connection.execute(
            update(follow_ups)
            .where(follow_ups.c.id.in_(ids))
            .values(status="claimed", claimed_until=now + timedelta(seconds=lease_seconds), attempts=follow_ups.c.attempts + 1)
        )
        rows = connection.execute(select(follow_ups).where(follow_ups.c.id.in_(ids))).mappings().all()
    claimed = {row["id"]: _follow_up(row) for row in rows}
    return [claimed[follow_up_id] for follow_up_id in ids]


@store_errors
def mark_delivered(engine: Engine, follow_up_id: int, now: datetime) -> bool:
    """Marks the follow-up delivered in one UPDATE; True only for the call that changed it. False too
    when it was cancelled (the person stopped check-ins): the caller then says nothing."""
    with engine.begin() as connection:
        result = connection.execute(
            update(follow_ups)
            .where(follow_ups.c.id == follow_up_id, follow_ups.c.status.notin_(("delivered", "cancelled")))
            .values(status="delivered", delivered_at=_utc(now), claimed_until=None)
        )
    return bool(result.rowcount == 1)


@store_errors
def cancel_superseded(engine: Engine, follow_up_id: int) -> int:
    """Cancels the same person's follow-ups still open and due before this one: a person away for two
    weeks answers one check-in, not three in a row. Returns how many."""
    with engine.begin() as connection:
        later = connection.execute(
            select(follow_ups.c.person_id, follow_ups.c.due_at).where(follow_ups.c.id == follow_up_id)
        ).first()
        if later is None:
            return 0
        result = connection.execute(
            update(follow_ups)
            .where(follow_ups.c.person_id == later.person_id, follow_ups.c.status.in_(_OPEN), follow_ups.c.due_at < later.due_at)
            .values(status="cancelled", claimed_until=None, last_error=SUPERSEDED)
        )
    return int(result.rowcount)


@store_errors
def release_for_retry(engine: Engine, follow_up_id: int, error: str, retry_at: datetime) -> bool:
    """Gives a claimed follow-up back (pending, due again at retry_at) after a failed attempt. False when
    it is no longer claimed: delivered meanwhile (the request timed out but the check-in went out),
    cancelled, or reclaimed after the lease ran out... the row is left as it is then."""
    with engine.begin() as connection:
        result = connection.execute(
            update(follow_ups)
            .where(follow_ups.c.id == follow_up_id, follow_ups.c.status == "claimed")
            .values(status="pending", due_at=_utc(retry_at), claimed_until=None, last_error=error[:_MAX_ERROR_CHARS])
        )
    return bool(result.rowcount == 1)


@store_errors
def mark_failed(engine: Engine, follow_up_id: int, error: str) -> bool:
    """Gives up on a follow-up still to be sent, recording why; False when it was not open any more."""
    with engine.begin() as connection:
        result = connection.execute(
            update(follow_ups)
            .where(follow_ups.c.id == follow_up_id, follow_ups.c.status.in_(_OPEN))
            .values(status="failed", claimed_until=None, last_error=error[:_MAX_ERROR_CHARS])
        )
    return bool(result.rowcount == 1)


@store_errors
def latest_pending_follow_up(engine: Engine, person_id: int, now: Optional[datetime] = None) -> Optional[FollowUp]:
    """The person's follow-up still to be sent (pending or claimed) with the latest due time; with
    `now`, only those due by then (a person who comes back on their own answers the check-in that is due)."""
    query = select(follow_ups).where(follow_ups.c.person_id == person_id, follow_ups.c.status.in_(_OPEN))
    if now is not None:
        query = query.where(follow_ups.c.due_at <= _utc(now))
    query = query.order_by(follow_ups.c.due_at.desc(), follow_ups.c.id.desc()).limit(1)
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    return None if row is None else _follow_up(row)


@store_errors
def next_follow_up(engine: Engine, person_id: int, after: datetime) -> Optional[FollowUp]:
    """The person's next follow-up still to be sent, due after `after` (what "I'll check in again" names)."""
    query = (
        select(follow_ups)
        .where(follow_ups.c.person_id == person_id, follow_ups.c.status.in_(_OPEN), follow_ups.c.due_at > _utc(after))
        .order_by(follow_ups.c.due_at, follow_ups.c.id)
        .limit(1)
    )
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    return None if row is None else _follow_up(row)


# Check-ins


@store_errors
def record_check_in(
    engine: Engine,
    person_id: int,
    follow_up_id: Optional[int],
    pain: Optional[int],
    change: Optional[str],
    exercises_done: Optional[str],
    new_signs: Optional[str],
    note: Optional[str],
    at: Optional[datetime] = None,
) -> int:
    """Stores the person's answers (any may be None: not answered); returns the check-in's id."""
    if pain is not None and (isinstance(pain, bool) or not isinstance(pain, int) or not 0 <= pain <= 10):
        raise ValueError(f"pain must be a whole number from 0 to 10 or None, got {pain!r}")
    _one_of("change", change, CHANGES, nullable=True)
    _one_of("exercises_done", exercises_done, EXERCISES_DONE, nullable=True)
    with engine.begin() as connection:
        result = connection.execute(
            check_ins.insert().values(
                person_id=person_id,
                follow_up_id=follow_up_id,
                created_at=_utc(at) if at is not None else _now(),
                pain=pain,
                change=change,
                exercises_done=exercises_done,
                new_signs=new_signs,
                note=note,
            )
        )
        return int(result.inserted_primary_key[0])


@store_errors
def check_ins_of(engine: Engine, person_id: int) -> list[CheckIn]:
    """Oldest first."""
    query = select(check_ins).where(check_ins.c.person_id == person_id).order_by(check_ins.c.created_at, check_ins.c.id)
    with engine.connect() as connection:
        return [_check_in(row) for row in connection.execute(query).mappings()]


# Privacy: everything kept about a person, out or gone


@store_errors
def export_person(engine: Engine, channel: str, sender_id: str) -> dict[str, Any]:
    """Everything stored about the person as JSON-able data: their row, assessments, check-ins,
    follow-ups, and the escalations audited under their conversation (sender) id."""
    person = find_person(engine, sender_id, channel)
    return {
        "person": None if person is None else person.to_dict(),
        "assessments": [] if person is None else [item.to_dict() for item in assessments_of(engine, person.id)],
        "check_ins": [] if person is None else [item.to_dict() for item in check_ins_of(engine, person.id)],
        "follow_ups": [] if person is None else [item.to_dict() for item in follow_ups_of(engine, person.id)],
        "escalations": [record.to_dict() for record in list_escalations(engine, sender_id)],
    }


@store_errors
def delete_person(engine: Engine, channel: str, sender_id: str) -> dict[str, int]:
    """Deletes everything export_person returns, in one transaction; returns the rows deleted per table."""
    counts = {"check_ins": 0, "follow_ups": 0, "assessments": 0, "people": 0, "triage_escalations": 0}
    with engine.begin() as connection:
        person_id = connection.execute(
            select(people.c.id).where(people.c.channel == channel, people.c.sender_id == sender_id)
        ).scalar()
        if person_id is not None:
            # Children first: check-ins point at follow-ups, and everything at the person.
            for name, table in (("check_ins", check_ins), ("follow_ups", follow_ups), ("assessments", assessments)):
                counts[name] = int(connection.execute(delete(table).where(table.c.person_id == person_id)).rowcount)
            counts["people"] = int(connection.execute(delete(people).where(people.c.id == person_id)).rowcount)
        counts["triage_escalations"] = int(
            connection.execute(delete(triage_escalations).where(triage_escalations.c.conversation_id == sender_id)).rowcount
        )
    return counts


@store_errors
def count_follow_ups(engine: Engine, status: Optional[str] = None) -> int:
    """How many follow-ups there are (of a status): for health pages and tests."""
    query = select(func.count()).select_from(follow_ups)
    if status is not None:
        _one_of("status", status, STATUSES)
        query = query.where(follow_ups.c.status == status)
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())
