"""The safety reply survives faults, with the real servers under `make run`'s supervisor, on
PostgreSQL (tracker and audit) with a Redis lock store:

- action server hung (SIGSTOP): an emergency or urgent message is answered by Rasa itself within
  2 s, an ordinary one gets a short apology within the time limit, and after SIGCONT the
  conversation and the intake carry on, with exactly one audit row per escalation;
- action server killed (SIGKILL) mid-intake: the emergency path works in the gap, the supervisor
  has it back within seconds, and the intake continues where it was.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import psycopg2
import pytest
import yaml

from bot.channels.door import rest_conversation_id
from bot.knowledge import load_knowledge
from bot.levels import TriageLevel
from bot.settings import emergency_number
from tests.e2e.conftest import ACTION_TIMEOUT_SECONDS
from tests.support.assistant import PROJECT_ROOT, RunningAssistant

pytestmark = pytest.mark.e2e

EMERGENCY = "my calf is swollen and I suddenly can't breathe and have chest pain"
URGENT = "I twisted it at football and now I can't put any weight on it at all"
INTAKE_START = "the back of my knee has been aching"
ONSET_QUESTION = "How did it start"
SCREENING_QUESTION = "signs that need care quickly"
DURATION_QUESTION = "How long have you had this pain"
TIMINGS: dict[str, list[float]] = {}


def start_intake(assistant: RunningAssistant, sender: str) -> str:
    """The description, then "None of these" to the screening question: the replies to the latter."""
    assert SCREENING_QUESTION in " ".join(texts(assistant.say(sender, INTAKE_START)))
    return " ".join(texts(assistant.say(sender, "None of these")))


@pytest.fixture
def database_url(postgres_url: str) -> str:
    return postgres_url


@pytest.fixture
def assistant(postgres_assistant: RunningAssistant) -> RunningAssistant:
    return postgres_assistant


def texts(replies: list[dict]) -> list[str]:
    return [reply.get("text", "") for reply in replies]


def timed_say(assistant: RunningAssistant, sender: str, text: str) -> tuple[list[str], float]:
    started = time.monotonic()
    replies = texts(assistant.say(sender, text))
    return replies, time.monotonic() - started


def level_message(level: TriageLevel) -> str:
    return load_knowledge().level_message(level, emergency_number())


def apology() -> str:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    return domain["responses"]["utter_service_trouble"][0]["text"].replace("{emergency_number}", emergency_number())


def audit_rows(database_url: str, sender: str) -> int:
    """The audit rows of a REST sender's conversation (REST ids live under rest:)."""
    sender = rest_conversation_id(sender)
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("select count(*) from triage_escalations where conversation_id = %s", (sender,))
        return int(cursor.fetchone()[0])


@contextmanager
def action_server_hung(assistant: RunningAssistant) -> Iterator[None]:
    pid = assistant.service_pid("actions")
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def test_emergency_with_the_action_server_up(assistant: RunningAssistant) -> None:
    replies, seconds = timed_say(assistant, "up-emergency", EMERGENCY)
    TIMINGS.setdefault("up", []).append(seconds)
    assert replies[0] == level_message(TriageLevel.EMERGENCY) and "chest pain" in replies[1]
    assert seconds < 2


def test_hung_action_server_emergency_in_time_apology_then_carry_on(assistant: RunningAssistant, database_url: str) -> None:
    assert texts(assistant.say("hung", "hi"))  # an ordinary conversation first
    with action_server_hung(assistant):
        replies, seconds = timed_say(assistant, "hung", EMERGENCY)
        TIMINGS.setdefault("hung", []).append(seconds)
        assert replies[0] == level_message(TriageLevel.EMERGENCY), replies
        assert seconds < 2, seconds
        replies, seconds = timed_say(assistant, "hung", "what can cause pain behind the knee?")
        assert replies == [apology()], replies
        assert seconds < ACTION_TIMEOUT_SECONDS + 2, seconds
    time.sleep(0.5)
    replies, _ = timed_say(assistant, "hung", "hello again")
    assert replies and apology() not in replies, replies
    tracker = assistant.rest_tracker("hung")
    assert tracker["slots"]["triage_level"] == "emergency"
    assert audit_rows(database_url, "hung") == 1


def test_hung_mid_intake_urgent_and_emergency_end_the_form_in_time(assistant: RunningAssistant, database_url: str) -> None:
    for sender, text, level in (
        ("hung-intake-urgent", URGENT, TriageLevel.URGENT),
        ("hung-intake-emergency", EMERGENCY, TriageLevel.EMERGENCY),
    ):
        assert ONSET_QUESTION in start_intake(assistant, sender)
        with action_server_hung(assistant):
            replies, seconds = timed_say(assistant, sender, text)
            TIMINGS.setdefault("hung", []).append(seconds)
            assert replies[0] == level_message(level), replies
            assert seconds < 2, seconds
        tracker = assistant.rest_tracker(sender)
        assert not tracker["active_loop"].get("name") and tracker["slots"]["triage_level"] == level.value
        assert audit_rows(database_url, sender) == 1


def test_hung_mid_intake_the_question_is_asked_again_and_the_form_resumes(assistant: RunningAssistant) -> None:
    assert ONSET_QUESTION in start_intake(assistant, "hung-form")
    with action_server_hung(assistant):
        replies, _ = timed_say(assistant, "hung-form", "it came on gradually")
        assert replies[0] == apology() and ONSET_QUESTION in replies[-1], replies
    time.sleep(0.5)
    replies, _ = timed_say(assistant, "hung-form", "it came on gradually")
    assert DURATION_QUESTION in " ".join(replies), replies
    assert assistant.rest_tracker("hung-form")["slots"]["pain_onset"] == "gradual"


def test_killed_mid_intake_back_within_seconds_emergency_works_in_the_gap(
    assistant: RunningAssistant, database_url: str, report: Callable[[str], None]
) -> None:
    assert ONSET_QUESTION in start_intake(assistant, "killed-intake")
    restarts_before = assistant.health()["services"]["actions"]["restarts"]
    os.kill(assistant.service_pid("actions"), signal.SIGKILL)
    killed_at = time.monotonic()
    replies, seconds = timed_say(assistant, "killed-gap-emergency", EMERGENCY)
    TIMINGS.setdefault("dead", []).append(seconds)
    assert replies[0] == level_message(TriageLevel.EMERGENCY) and seconds < 2
    replies, seconds = timed_say(assistant, "killed-gap-urgent", URGENT)
    TIMINGS.setdefault("dead", []).append(seconds)
    assert replies[0] == level_message(TriageLevel.URGENT) and seconds < 2
    assistant.wait_until_up("actions", timeout=60)
    back_after = time.monotonic() - killed_at
    assert back_after < 30, back_after
    assert assistant.health()["services"]["actions"]["restarts"] == restarts_before + 1
    replies, _ = timed_say(assistant, "killed-intake", "it came on gradually")
    assert DURATION_QUESTION in " ".join(replies), replies
    assert audit_rows(database_url, "killed-gap-emergency") == 1 and audit_rows(database_url, "killed-gap-urgent") == 1
    report(f"Action server killed: back up after {back_after:.1f} s (supervisor restart with backoff)")
    for state, seconds_list in TIMINGS.items():
        report(
            f"Time to the escalation reply, action server {state}: "
            f"max {max(seconds_list) * 1000:.0f} ms over {len(seconds_list)} message(s)"
        )


@pytest.mark.runs_last
def test_sigterm_stops_every_process_it_started(assistant: RunningAssistant) -> None:
    """Run last (conftest): it stops the assistant other tests used, as Ctrl-C on `make run` does."""
    children = [
        int(pid)
        for pid in subprocess.run(["pgrep", "-P", str(assistant.process.pid)], capture_output=True, text=True).stdout.split()
    ]
    assert len(children) >= 2
    assistant.process.send_signal(signal.SIGTERM)
    assistant.process.wait(timeout=60)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in children):
        time.sleep(0.2)
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]
