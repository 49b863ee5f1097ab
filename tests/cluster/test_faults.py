"""Faults under load, each with its figures in the run's summary: a Rasa instance and an action server
killed (SIGKILL), PostgreSQL taken away and brought back, Redis away for 20 s. Throughout, people keep
writing through the balancer; afterwards every message that was answered is in its conversation once,
in order, and nothing had to be restarted by hand."""

from __future__ import annotations

import os
import secrets
import signal
import statistics
import threading
import time
import urllib.error
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional

import pytest

from bot.channels.door import SERVICE_TROUBLE
from bot.knowledge import load_knowledge
from bot.levels import TriageLevel
from bot.settings import emergency_number
from bot.store import get_follow_up, get_or_create_person, open_store, schedule_follow_ups, set_consent
from tests.cluster.test_cluster import WORDS, turn_problems
from tests.support.assistant import RunningAssistant
from tests.support.fault_proxy import FaultProxy
from tests.support.slack_api import SlackStandIn, deliver, dm_channel

pytestmark = pytest.mark.e2e

EMERGENCY = "my calf is swollen and I suddenly can't breathe and have chest pain"
# The start of the reply a message gets when the lock store or the database is away.
TROUBLE = SERVICE_TROUBLE.split(" because")[0]


@dataclass
class Attempt:
    sender: str
    text: str
    started: float
    ended: float = 0.0
    request_id: str = field(default_factory=lambda: secrets.token_hex(12))
    replies: Optional[list[dict[str, Any]]] = None  # None: no answer (an error status or no connection)
    error: str = ""

    @property
    def answered(self) -> bool:
        return bool(self.replies) and not self.trouble

    @property
    def trouble(self) -> bool:
        return any(TROUBLE in (reply.get("text") or "") for reply in self.replies or [])


@dataclass
class Load:
    """`people` writing through the balancer one message after another, until stopped (the words of
    WORDS in turn, each message with its own X-Request-ID)."""

    cluster: RunningAssistant
    people: int = 6
    attempts: list[Attempt] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> "Load":
        for number in range(self.people):
            thread = threading.Thread(target=self._person, args=(f"load-{number}-{secrets.token_hex(3)}",), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)

    def _person(self, sender: str) -> None:
        turn = 0
        while not self._stop.is_set():
            attempt = Attempt(sender, WORDS[turn % len(WORDS)], time.monotonic())
            try:
                attempt.replies = self.cluster.say(sender, attempt.text, timeout=30, request_id=attempt.request_id)
            except (urllib.error.URLError, OSError) as error:
                attempt.error = str(error)
                time.sleep(0.2)
            attempt.ended = time.monotonic()
            self.attempts.append(attempt)
            turn += 1

    def after(self, moment: float) -> list[Attempt]:
        return [attempt for attempt in self.attempts if attempt.started >= moment]


def stored_message_ids(cluster: RunningAssistant, sender: str) -> list[str]:
    events = cluster.rest_tracker(sender)["events"]
    return [
        str(event.get("message_id"))
        for event in events
        if event.get("event") == "user" and not (event.get("text") or "").startswith("EXTERNAL: ")
    ]


def nothing_answered_was_lost(cluster: RunningAssistant, attempts: list[Attempt]) -> tuple[int, list[str]]:
    """Every answered message is in its conversation once, the stored ones in the order they were
    sent, and none stored that was not sent; whole turns only. Each message carries its own
    X-Request-ID, which Rasa stores as its message_id. Returns the number answered and the problems."""
    problems: list[str] = []
    for sender in sorted({attempt.sender for attempt in attempts}):
        sent = [attempt.request_id for attempt in attempts if attempt.sender == sender]
        stored = stored_message_ids(cluster, sender)
        if len(set(stored)) != len(stored):
            problems.append(f"{sender}: a message stored twice")
        if [request_id for request_id in sent if request_id in set(stored)] != stored:
            problems.append(f"{sender}: stored messages that were not sent, or not in the order sent")
        lost = [a.text for a in attempts if a.sender == sender and a.answered and a.request_id not in set(stored)]
        if lost:
            problems.append(f"{sender}: answered but not stored: {lost}")
        problems += [f"{sender}: {problem}" for problem in turn_problems(cluster.rest_tracker(sender))]
    return sum(attempt.answered for attempt in attempts), problems


def describe(attempt: Attempt, since: float) -> str:
    """One attempt, for a failing assertion: when it was sent and ended (from `since`) and what came back."""
    outcome = attempt.error or str([reply.get("text", "")[:80] for reply in attempt.replies or []])
    return f"{attempt.sender} {attempt.text!r} sent at {attempt.started - since:+.2f} s, ended at {attempt.ended - since:+.2f} s: {outcome}"


def restarts(cluster: RunningAssistant) -> dict[str, int]:
    return {name: state["restarts"] for name, state in cluster.health()["services"].items()}


def emergency_reply(cluster: RunningAssistant) -> tuple[bool, float]:
    started = time.monotonic()
    replies = cluster.say(f"emergency-{secrets.token_hex(3)}", EMERGENCY, timeout=30)
    seconds = time.monotonic() - started
    expected = load_knowledge().level_message(TriageLevel.EMERGENCY, emergency_number())[:60]
    return any(expected in (reply.get("text") or "") for reply in replies), seconds


def summary(attempts: list[Attempt]) -> str:
    # Every reply counts, the plain "not now" too: how long people waited for an answer of any kind.
    latencies = sorted(attempt.ended - attempt.started for attempt in attempts if attempt.replies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    median = statistics.median(latencies) if latencies else float("nan")
    failed = sum(not attempt.answered for attempt in attempts)
    return f"{len(attempts)} messages, {failed} not handled, replies in p50 {median:.2f} s, p95 {p95:.2f} s"


def wait_for_balancer(cluster: RunningAssistant, name: str, timeout: float = 90) -> None:
    """Until the supervisor has `name` up again and the balancer sends it traffic."""
    cluster.wait_until_up(name, timeout)
    time.sleep(3)  # two passing health checks a second apart bring it back into the rotation


def test_killing_a_rasa_instance_loses_no_answered_message(cluster: RunningAssistant, report: Callable[[str], None]) -> None:
    before = restarts(cluster)
    with Load(cluster) as load:
        time.sleep(3)
        killed_at = time.monotonic()
        os.kill(cluster.service_pid("rasa-1"), signal.SIGKILL)
        is_emergency, emergency_seconds = emergency_reply(cluster)
        time.sleep(8)
    after_kill = load.after(killed_at)
    first_answer = min((a.ended for a in after_kill if a.answered), default=float("inf")) - killed_at
    # Those sent once the kill had happened (not those already inside the dying instance).
    sent_after = load.after(killed_at + 0.1)
    answered, problems = nothing_answered_was_lost(cluster, load.attempts)
    report(
        f"fault, Rasa instance SIGKILLed: first answer after {first_answer:.2f} s, emergency reply in "
        f"{emergency_seconds:.2f} s; after the kill {summary(after_kill)}; {answered} answered messages all stored"
    )
    assert is_emergency and emergency_seconds < 2
    assert first_answer < 5
    assert all(attempt.answered for attempt in sent_after), [a for a in sent_after if not a.answered][:3]
    assert not problems, "\n".join(problems)
    wait_for_balancer(cluster, "rasa-1")
    assert restarts(cluster)["rasa-1"] == before["rasa-1"] + 1


def test_killing_an_action_server_keeps_the_conversations_going(cluster: RunningAssistant, report: Callable[[str], None]) -> None:
    with Load(cluster) as load:
        time.sleep(3)
        killed_at = time.monotonic()
        os.kill(cluster.service_pid("actions-1"), signal.SIGKILL)
        is_emergency, emergency_seconds = emergency_reply(cluster)
        time.sleep(8)
    # A call already inside the killed server fails (the turn gets the short apology); the balancer
    # sends every later call to the other one.
    late = load.after(killed_at + 1)
    answered, problems = nothing_answered_was_lost(cluster, load.attempts)
    apologies = sum(attempt.trouble or "went wrong on my side" in str(attempt.replies) for attempt in load.after(killed_at))
    report(
        f"fault, action server SIGKILLed: emergency reply in {emergency_seconds:.2f} s; after the kill "
        f"{summary(load.after(killed_at))}, {apologies} apologies; {answered} answered messages all stored"
    )
    assert is_emergency and emergency_seconds < 2
    assert all(attempt.answered for attempt in late)
    assert not problems, "\n".join(problems)
    wait_for_balancer(cluster, "actions-1")


@dataclass
class Outage:
    load: Load
    during: list[Attempt]  # the messages sent while the line was cut
    back_at: float


def outage(cluster: RunningAssistant, line: FaultProxy, seconds: float, settle: float) -> Outage:
    """People writing through the balancer while `line` is cut for `seconds`, then for `settle` more."""
    with Load(cluster) as load:
        time.sleep(3)
        cut_at = time.monotonic()
        line.cut()
        time.sleep(seconds)
        during = [a for a in load.after(cut_at + 0.5) if a.started < time.monotonic()]
        line.restore()
        back_at = time.monotonic()
        time.sleep(settle)
    return Outage(load, during, back_at)


def test_postgresql_away_then_back_recovers_without_a_restart(
    cluster: RunningAssistant, postgres_line: FaultProxy, report: Callable[[str], None]
) -> None:
    before = restarts(cluster)
    cut = outage(cluster, postgres_line, seconds=5, settle=10)
    first_answer = min((a.ended for a in cut.load.after(cut.back_at) if a.answered), default=float("inf")) - cut.back_at
    answered, problems = nothing_answered_was_lost(cluster, cut.load.attempts)
    report(
        f"fault, PostgreSQL away 5 s: while away {summary(cut.during)} ({sum(a.trouble for a in cut.during)} told plainly); "
        f"first answer {first_answer:.2f} s after it was back; {answered} answered messages all stored"
    )
    assert cut.during and all(attempt.trouble for attempt in cut.during), [a.replies or a.error for a in cut.during][:3]
    assert max(attempt.ended - attempt.started for attempt in cut.during) < 5  # no hang
    assert first_answer < 10
    unanswered = [a for a in cut.load.after(cut.back_at + 5) if not a.answered]
    assert not unanswered, [describe(a, cut.back_at) for a in unanswered][:5]
    assert not problems, "\n".join(problems)
    assert restarts(cluster) == before


def test_after_a_database_restart_while_nobody_wrote_the_next_messages_are_answered(
    cluster: RunningAssistant, postgres_line: FaultProxy, report: Callable[[str], None]
) -> None:
    """A restart in a quiet hour: the connections each Rasa instance keeps open die without anyone's
    message noticing, and the next people to write must not be the ones who find out."""
    with Load(cluster):
        time.sleep(2)  # each instance now holds open connections
    postgres_line.cut()
    time.sleep(1)
    postgres_line.restore()
    attempts = []
    for number in range(8):  # the balancer takes turns: each instance gets four
        attempt = Attempt(f"after-restart-{number}-{secrets.token_hex(3)}", WORDS[0], time.monotonic())
        attempt.replies = cluster.say(attempt.sender, attempt.text, timeout=30, request_id=attempt.request_id)
        attempt.ended = time.monotonic()
        attempts.append(attempt)
    report(f"fault, PostgreSQL restarted while nobody wrote: the next {summary(attempts)}")
    assert all(attempt.answered for attempt in attempts), [describe(a, attempts[0].started) for a in attempts if not a.answered]


def test_redis_away_for_20_seconds_gets_a_clear_apology_and_recovers_by_itself(
    cluster: RunningAssistant, redis_line: FaultProxy, report: Callable[[str], None]
) -> None:
    before = restarts(cluster)
    cut = outage(cluster, redis_line, seconds=20, settle=8)
    first_answer = min((a.ended for a in cut.load.after(cut.back_at) if a.answered), default=float("inf")) - cut.back_at
    answered, problems = nothing_answered_was_lost(cluster, cut.load.attempts)
    slowest = max(attempt.ended - attempt.started for attempt in cut.during)
    report(
        f"fault, Redis away 20 s: while away {summary(cut.during)}, slowest reply {slowest:.2f} s, "
        f"{sum(a.trouble for a in cut.during)} told plainly; first answer {first_answer:.2f} s after it was back; "
        f"{answered} answered messages all stored"
    )
    assert cut.during and all(attempt.trouble for attempt in cut.during)
    assert slowest < 3  # no hang
    assert first_answer < 5
    unanswered = [a for a in cut.load.after(cut.back_at + 2) if not a.answered]
    assert not unanswered, [describe(a, cut.back_at) for a in unanswered][:5]
    assert not problems, "\n".join(problems)
    assert restarts(cluster) == before


def test_a_worker_killed_mid_delivery_leaves_each_check_in_sent_once(
    cluster: RunningAssistant, cluster_database: str, slack_api: SlackStandIn, report: Callable[[str], None]
) -> None:
    """Twelve Slack check-ins fall due while only the first worker runs (the second is stopped); it is
    killed once it has sent the first of them. The second, resumed, takes over what the first had not sent once
    its lease ran out (8 s here), and nobody is asked twice."""
    engine = open_store(cluster_database)
    users = [f"UWORKER{secrets.token_hex(3).upper()}" for _ in range(12)]
    for user in users:  # each has talked to Poplit on Slack (a check-in goes only to its own conversation)
        body = slack_api.message_event(user, "hi")
        assert (
            deliver(f"{cluster.base_url}/webhooks/slack/webhook", body, "application/json", slack_api.signed_headers(body))[0]
            == 200
        )
    deadline = time.monotonic() + 60
    while not all(slack_api.posted_to(dm_channel(user)) for user in users):
        assert time.monotonic() < deadline, "no greeting on Slack"
        time.sleep(0.2)
    time.sleep(2)
    second = cluster.service_pid("followups-2")
    os.kill(second, signal.SIGSTOP)
    try:
        follow_up_ids = []
        for user in users:
            person = get_or_create_person(engine, "slack", user)
            set_consent(engine, person.id, "accepted")
            follow_up_ids += schedule_follow_ups(engine, person.id, [datetime.now(timezone.utc) - timedelta(seconds=1)])
        deadline = time.monotonic() + 30
        # Killed once it has sent the first: the rest of its batch is claimed but not sent.
        while not any(get_follow_up(engine, i).status == "delivered" for i in follow_up_ids):  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the first worker sent nothing"
            time.sleep(0.01)
        os.kill(cluster.service_pid("followups-1"), signal.SIGKILL)
        killed_at = time.monotonic()
    finally:
        os.kill(second, signal.SIGCONT)
    sent_by_the_first = sum(get_follow_up(engine, i).status == "delivered" for i in follow_up_ids)  # type: ignore[union-attr]

    def asked() -> dict[str, int]:
        # A pushed message goes to the person (their user id), which Slack opens as the DM.
        return {
            u: sum(
                "checking in" in (c.params.get("text") or "") for c in slack_api.posted_to(u) + slack_api.posted_to(dm_channel(u))
            )
            for u in users
        }

    deadline = time.monotonic() + 60
    while not all(get_follow_up(engine, i).status == "delivered" for i in follow_up_ids):  # type: ignore[union-attr]
        assert time.monotonic() < deadline, [get_follow_up(engine, i) for i in follow_up_ids]
        time.sleep(0.5)
    all_sent = time.monotonic() - killed_at
    time.sleep(3)  # anything sent twice would have arrived by now
    report(
        f"fault, follow-up worker SIGKILLed mid-delivery: {sent_by_the_first} of 12 check-ins sent before the kill, "
        f"all 12 sent {all_sent:.1f} s after it (lease 8 s), each person asked {sorted(set(asked().values()))} time(s)"
    )
    assert set(asked().values()) == {1}, asked()
    wait_for_balancer(cluster, "followups-1")
