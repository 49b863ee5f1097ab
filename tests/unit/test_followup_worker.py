"""The follow-up worker against a real SQLite store and a local stand-in of Rasa's trigger_intent
endpoint: due rows delivered, REST rows left for the person's next message, retries with backoff while
Rasa fails or is down, giving up with the reason, the test clock, and a worker killed mid-delivery."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, Optional
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from sqlalchemy.engine import Engine

from bot.followups import worker
from bot.followups.worker import (
    CHECK_IN_INTENT,
    LEASE_SECONDS,
    MAX_ATTEMPTS,
    WorkerSettings,
    WorkerState,
    retry_delay,
    run_round,
    start_health_server,
)
from bot.serve import ServeSettings, service_specs
from bot.store import checkins, open_store
from tests.support.assistant import PROJECT_ROOT, free_port

UTC = timezone.utc
TOKEN = "stand-in-token"
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


class RasaStandIn:
    """Answers POST /conversations/<sender>/trigger_intent like Rasa, and plays the check-in action:
    mark_delivered before "speaking", silent when that returns False. `fail` makes it answer 500;
    `hold` keeps the first request for a follow-up waiting until `release` is set."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.fail = False
        self.act = True
        self.triggers: list[dict[str, Any]] = []
        self.spoken: Counter[int] = Counter()
        self.silent: Counter[int] = Counter()
        self.hold: Optional[int] = None
        self.held = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                stand_in.handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        url = urlparse(request.path)
        body = json.loads(request.rfile.read(int(request.headers["Content-Length"])))
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        parts = url.path.split("/")
        if query.get("token") != TOKEN:
            return self.answer(request, 401, {"message": "bad token"})
        if self.fail:
            return self.answer(request, 500, {"message": "the model is still loading"})
        # As action_start_check_in: the public id names a follow-up only together with its person.
        owned = checkins.follow_up_for(self.engine, body["entities"]["follow_up_id"], query["output_channel"], unquote(parts[2]))
        if owned is None:
            return self.answer(request, 200, {"tracker": {}, "messages": []})
        follow_up_id = owned.id
        with self.lock:
            first = follow_up_id not in {trigger["follow_up_id"] for trigger in self.triggers}
            self.triggers.append(
                {
                    "sender": unquote(parts[2]),
                    "channel": query["output_channel"],
                    "name": body["name"],
                    "follow_up_id": follow_up_id,
                }
            )
        if first and follow_up_id == self.hold:
            self.held.set()
            self.release.wait(30)
        # The check-in action: marked delivered before it speaks, silent if it already was.
        if self.act:
            if checkins.mark_delivered(self.engine, follow_up_id, datetime.now(UTC)):
                self.spoken[follow_up_id] += 1
            else:
                self.silent[follow_up_id] += 1
        self.answer(request, 200, {"tracker": {}, "messages": []})

    @staticmethod
    def answer(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except OSError:
            pass  # the worker that asked was killed meanwhile

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'poplit.db'}"


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    engine = open_store(store_url)
    yield engine
    engine.dispose()
    open_store.cache_clear()


@pytest.fixture
def rasa(engine: Engine) -> Iterator[RasaStandIn]:
    stand_in = RasaStandIn(engine)
    yield stand_in
    stand_in.close()


def settings_for(url: str, **overrides: Any) -> WorkerSettings:
    return WorkerSettings(rasa_url=url, rasa_token=TOKEN, **{"http_timeout_seconds": 5.0, **overrides})


def person_with_follow_ups(engine: Engine, channel: str, sender: str, due: list[datetime]) -> list[int]:
    person = checkins.get_or_create_person(engine, channel, sender)
    checkins.set_consent(engine, person.id, "accepted")
    return checkins.schedule_follow_ups(engine, person.id, due)


def follow_up(engine: Engine, follow_up_id: int) -> checkins.FollowUp:
    record = checkins.get_follow_up(engine, follow_up_id)
    assert record is not None
    return record


def test_due_follow_ups_are_triggered_on_the_persons_channel(
    engine: Engine, rasa: RasaStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="poplit.followups")
    (web,) = person_with_follow_ups(engine, "socketio", "web session/1", [T0 - timedelta(hours=1)])
    slack, later = person_with_follow_ups(engine, "slack", "U0SLACK", [T0 - timedelta(minutes=1), T0 + timedelta(days=5)])
    report = run_round(engine, settings_for(rasa.url), T0)
    assert (report.claimed, report.triggered) == (2, 2)
    assert rasa.triggers == [
        {"sender": "web session/1", "channel": "socketio", "name": CHECK_IN_INTENT, "follow_up_id": web},
        {"sender": "U0SLACK", "channel": "slack", "name": CHECK_IN_INTENT, "follow_up_id": slack},
    ]
    assert [follow_up(engine, id_).status for id_ in (web, slack, later)] == ["delivered", "delivered", "pending"]
    assert run_round(engine, settings_for(rasa.url), T0 + timedelta(hours=1)).claimed == 0
    # The log says what happened to which follow-up, and nothing about whom.
    messages = [record.getMessage() for record in caplog.records]
    assert any(f"follow-up {web} triggered on socketio" in message for message in messages)
    assert not any("web session" in message or "U0SLACK" in message for message in messages)


def test_a_trigger_that_times_out_is_retried_and_a_check_in_that_ran_after_all_is_not_sent_again(
    engine: Engine, rasa: RasaStandIn
) -> None:
    (only,) = person_with_follow_ups(engine, "telegram", "12345", [T0])
    rasa.hold, rasa.release = only, threading.Event()
    # The action is slow: the worker's request times out before it marks anything.
    thread = threading.Thread(target=run_round, args=(engine, settings_for(rasa.url, http_timeout_seconds=0.5), T0))
    thread.start()
    assert rasa.held.wait(10)
    thread.join(10)
    assert follow_up(engine, only).status == "pending" and "no answer from Rasa within 0.5 s" in (
        follow_up(engine, only).last_error or ""
    )
    rasa.release.set()  # ... then it runs after all: delivered, and said once
    deadline = time.monotonic() + 10
    while not rasa.spoken[only] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert follow_up(engine, only).status == "delivered"
    assert run_round(engine, settings_for(rasa.url), T0 + timedelta(hours=2)).claimed == 0
    assert rasa.spoken[only] == 1


def test_a_follow_up_rasa_took_but_no_check_in_marked_is_triggered_again_when_its_lease_runs_out(
    engine: Engine, rasa: RasaStandIn
) -> None:
    (only,) = person_with_follow_ups(engine, "socketio", "b" * 32, [T0])
    rasa.act = False  # Rasa answers, but the check-in action never runs (the action server is down, say)
    settings = settings_for(rasa.url)
    assert run_round(engine, settings, T0).triggered == 1
    assert follow_up(engine, only).status == "claimed"
    assert run_round(engine, settings, T0 + timedelta(seconds=LEASE_SECONDS - 1)).claimed == 0
    rasa.act = True
    assert run_round(engine, settings, T0 + timedelta(seconds=LEASE_SECONDS)).triggered == 1
    record = follow_up(engine, only)
    assert (record.status, record.attempts, len(rasa.triggers), rasa.spoken[only]) == ("delivered", 2, 2, 1)


def test_a_follow_up_whose_check_in_never_starts_is_given_up_after_max_attempts(engine: Engine, rasa: RasaStandIn) -> None:
    (only,) = person_with_follow_ups(engine, "slack", "U0NEVER", [T0])
    rasa.act = False
    for lease in range(MAX_ATTEMPTS + 3):
        run_round(engine, settings_for(rasa.url), T0 + lease * timedelta(seconds=LEASE_SECONDS))
    record = follow_up(engine, only)
    assert (record.status, len(rasa.triggers)) == ("failed", MAX_ATTEMPTS)
    assert record.last_error == f"gave up: Rasa took the trigger {MAX_ATTEMPTS} times but the check-in never started"


def test_rest_follow_ups_stay_pending_for_the_persons_next_message(engine: Engine, rasa: RasaStandIn) -> None:
    (rest,) = person_with_follow_ups(engine, "rest", "rest-person", [T0])
    for hours in (0, 30, 60, 24 * 14):
        report = run_round(engine, settings_for(rasa.url), T0 + timedelta(hours=hours))
        assert report.claimed == report.triggered == report.failed == 0
    record = follow_up(engine, rest)
    assert (record.status, record.attempts, record.due_at) == ("pending", 0, T0) and not rasa.triggers
    person = checkins.find_person(engine, "rest-person", "rest")
    assert person is not None and checkins.latest_pending_follow_up(engine, person.id) == record


def rounds_until(engine: Engine, settings: WorkerSettings, follow_up_id: int, start: datetime, status: str) -> list[datetime]:
    """Runs rounds at each retry time until the follow-up reaches `status`; the times it was tried at."""
    now, tried = start, []
    for _ in range(MAX_ATTEMPTS + 2):
        if run_round(engine, settings, now).claimed:
            tried.append(now)
        record = follow_up(engine, follow_up_id)
        if record.status == status:
            return tried
        now = record.due_at
    raise AssertionError(f"follow-up {follow_up_id} never became {status}: {follow_up(engine, follow_up_id)}")


def test_rasa_answering_500_is_retried_with_backoff_then_delivered(
    engine: Engine, rasa: RasaStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="poplit.followups")
    (only,) = person_with_follow_ups(engine, "socketio", "s", [T0])
    rasa.fail = True
    settings = settings_for(rasa.url)
    run_round(engine, settings, T0)
    record = follow_up(engine, only)
    assert (record.status, record.attempts, record.due_at) == ("pending", 1, T0 + timedelta(seconds=30))
    assert "HTTP 500" in (record.last_error or "") and "still loading" in (record.last_error or "")
    # The log names the status, not what Rasa said (its errors can quote a conversation).
    assert "Rasa answered HTTP 500" in caplog.text and "still loading" not in caplog.text
    assert run_round(engine, settings, T0 + timedelta(seconds=29)).claimed == 0  # not before its time
    run_round(engine, settings, T0 + timedelta(seconds=30))
    run_round(engine, settings, T0 + timedelta(seconds=90))
    assert follow_up(engine, only).due_at == T0 + timedelta(seconds=90 + 120)
    rasa.fail = False
    run_round(engine, settings, T0 + timedelta(seconds=210))
    record = follow_up(engine, only)
    assert (record.status, record.attempts, rasa.spoken[only]) == ("delivered", 4, 1)


def test_rasa_down_is_retried_and_after_max_attempts_the_follow_up_fails_with_the_reason(engine: Engine) -> None:
    (only,) = person_with_follow_ups(engine, "slack", "U1", [T0])
    nobody = f"http://127.0.0.1:{free_port()}"
    tried = rounds_until(engine, settings_for(nobody), only, T0, "failed")
    gaps = [(later - earlier).total_seconds() for earlier, later in zip(tried, tried[1:], strict=False)]
    assert gaps == [30, 60, 120, 240, 480, 960, 1800]  # doubling from 30 s, at most 30 min
    record = follow_up(engine, only)
    assert record.attempts == MAX_ATTEMPTS == 8
    assert record.last_error is not None and record.last_error.startswith("gave up after 8 attempts: could not reach Rasa")
    assert run_round(engine, settings_for(nobody), T0 + timedelta(days=30)).claimed == 0
    assert [retry_delay(attempts).total_seconds() for attempts in (1, 2, 6, 7, 20)] == [30, 60, 960, 1800, 1800]


def test_stopped_and_paused_people_get_no_trigger(engine: Engine, rasa: RasaStandIn) -> None:
    (stopped,) = person_with_follow_ups(engine, "socketio", "stopper", [T0])
    (paused,) = person_with_follow_ups(engine, "socketio", "pauser", [T0])
    for sender, consent, until in (("stopper", "stopped", None), ("pauser", "paused", T0 + timedelta(days=3))):
        person = checkins.find_person(engine, sender, "socketio")
        assert person is not None
        checkins.set_consent(engine, person.id, consent, paused_until=until)
    assert run_round(engine, settings_for(rasa.url), T0 + timedelta(hours=1)).claimed == 0
    assert run_round(engine, settings_for(rasa.url), T0 + timedelta(days=3)).triggered == 1
    assert [trigger["follow_up_id"] for trigger in rasa.triggers] == [paused]
    assert follow_up(engine, stopped).status == "cancelled"


def test_health_answers_until_rounds_stop_finishing(monkeypatch: pytest.MonkeyPatch) -> None:
    state = WorkerState()
    port = free_port()
    server = start_health_server(state, port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
            assert response.status == 200 and json.loads(response.read())["status"] == "ok"
        monkeypatch.setattr(worker, "STALE_AFTER_SECONDS", 0.0)
        with pytest.raises(urllib.error.HTTPError) as stalled:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5)
        assert stalled.value.code == 503 and json.loads(stalled.value.read())["status"] == "stalled"
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/other", timeout=5)
        assert missing.value.code == 404
    finally:
        server.shutdown()
        server.server_close()


def test_make_run_supervises_the_worker_with_rasas_address_and_token() -> None:
    settings = ServeSettings.from_env({"RASA_HOST": "0.0.0.0", "RASA_PORT": "5111", "FOLLOWUPS_PORT": "5222", "VENV": "/v"})
    runtime = {"token": "secret-token", "endpoints": "e.yml", "credentials": "c.yml"}
    specs = {spec.name: spec for spec in service_specs(settings, runtime, {"PATH": "/bin"})}
    assert list(specs) == ["actions", "rasa", "followups"]
    followups = specs["followups"]
    assert followups.argv == ["/v/bin/python", "-m", "bot", "followups", "run"]
    assert followups.env["RASA_URL"] == "http://127.0.0.1:5111" and followups.env["RASA_AUTH_TOKEN"] == "secret-token"
    assert followups.env["FOLLOWUPS_PORT"] == "5222" and followups.ready_url == "http://127.0.0.1:5222/health"
    assert ServeSettings.from_env({}).followups_port == 5057


# ---- the worker as a process ---------------------------------------------------------------------


def worker_process(store_url: str, rasa_url: str, *args: str, port: Optional[int] = None) -> subprocess.Popen:
    env = {
        "PATH": "/usr/bin:/bin",
        "POPLIT_STORE_URL": store_url,
        "RASA_URL": rasa_url,
        "RASA_AUTH_TOKEN": TOKEN,
        "FOLLOWUPS_PORT": str(port or free_port()),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "followups", "run", *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_now_sets_the_workers_clock(store_url: str, engine: Engine, rasa: RasaStandIn) -> None:
    (only,) = person_with_follow_ups(engine, "telegram", "777", [T0])
    early = worker_process(store_url, rasa.url, "--once", "--now", (T0 - timedelta(minutes=1)).isoformat())
    assert early.wait(60) == 0, early.communicate()[0]
    assert follow_up(engine, only).status == "pending" and not rasa.triggers
    due = worker_process(store_url, rasa.url, "--once", "--now", (T0 + timedelta(minutes=1)).isoformat())
    output = due.communicate(timeout=60)[0]
    assert due.returncode == 0, output
    assert follow_up(engine, only).status == "delivered" and rasa.spoken[only] == 1
    assert "1 claimed, 1 triggered" in output and "777" not in output


def test_a_worker_killed_mid_delivery_and_restarted_delivers_each_check_in_once(
    store_url: str, engine: Engine, rasa: RasaStandIn
) -> None:
    ids = person_with_follow_ups(engine, "socketio", "a" * 32, [T0])
    ids += person_with_follow_ups(engine, "slack", "U0B", [T0 + timedelta(seconds=1)])
    ids += person_with_follow_ups(engine, "telegram", "42", [T0 + timedelta(seconds=2)])
    first = ids[0]
    rasa.hold = first  # Rasa takes the first trigger and is still busy with it when the worker dies
    port = free_port()
    claimed_at = T0 + timedelta(minutes=1)
    doomed = worker_process(store_url, rasa.url, "--now", claimed_at.isoformat(), "--interval", "0.2", port=port)
    try:
        assert rasa.held.wait(30), "the worker never triggered the first follow-up"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
            assert json.loads(response.read())["status"] == "ok"
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
    assert [follow_up(engine, id_).status for id_ in ids] == ["claimed"] * 3
    # Restarted once the dead worker's leases have run out: it triggers all three again.
    restarted = worker_process(
        store_url, rasa.url, "--once", "--now", (claimed_at + timedelta(seconds=LEASE_SECONDS + 1)).isoformat()
    )
    output = restarted.communicate(timeout=60)[0]
    assert restarted.returncode == 0, output
    rasa.release.set()  # the first trigger's check-in finally runs: already delivered, so silent
    deadline = time.monotonic() + 10
    while not rasa.silent[first] and time.monotonic() < deadline:
        time.sleep(0.05)
    triggered = Counter(trigger["follow_up_id"] for trigger in rasa.triggers)
    assert triggered == {first: 2, ids[1]: 1, ids[2]: 1}  # at least once each
    assert rasa.spoken == {id_: 1 for id_ in ids} and rasa.silent == {first: 1}  # seen once each
    assert [follow_up(engine, id_).status for id_ in ids] == ["delivered"] * 3


# ---- the person's commands: report, export, checkins ----------------------------------------------


def run_cli(store_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "POPLIT_STORE_URL": store_url, "POPLIT_CLOCK": (T0 + timedelta(days=14)).isoformat()}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_report_export_and_checkins_commands(store_url: str, engine: Engine, tmp_path: Path) -> None:
    person = checkins.get_or_create_person(engine, "telegram", "99", timezone="Europe/Berlin")
    checkins.record_assessment(
        engine, person.id, "see_clinician", ["trauma"], "v1", {"pain_score": 7, "location": "back_of_knee"}, ["Calf raise"], at=T0
    )
    for days, pain in ((2, 7), (7, 6), (14, 6)):
        checkins.record_check_in(engine, person.id, None, pain, "same", "some", None, None, at=T0 + timedelta(days=days))
    report_file = tmp_path / "report.html"
    report = run_cli(store_url, "report", "99", "--out", str(report_file))
    assert report.returncode == 0, report.stderr
    page = report_file.read_text()
    assert "data:image/png;base64," in page and "trauma" in page and "Calf raise" in page and "not improving" in page
    listed = run_cli(store_url, "checkins", "99", "--channel", "telegram", "--json")
    assert [item["pain"] for item in json.loads(listed.stdout)] == [7, 6, 6]
    exported = json.loads(run_cli(store_url, "export", "99").stdout)
    assert exported["person"]["channel"] == "telegram" and len(exported["check_ins"]) == 3 and exported["assessments"]
    unknown = run_cli(store_url, "report", "nobody")
    assert unknown.returncode == 1 and "nothing is stored for nobody" in unknown.stderr


def test_a_backlog_for_one_person_sends_only_the_latest_check_in(engine: Engine, rasa: RasaStandIn) -> None:
    """The worker was down for two weeks: the person gets one check-in, not three in a row."""
    days_2, days_7, days_14 = person_with_follow_ups(
        engine, "telegram", "away-for-a-while", [T0, T0 + timedelta(days=5), T0 + timedelta(days=12)]
    )
    report = run_round(engine, settings_for(rasa.url), T0 + timedelta(days=13))
    assert (report.claimed, report.triggered) == (3, 1)
    assert [trigger["follow_up_id"] for trigger in rasa.triggers] == [days_14]
    for superseded in (days_2, days_7):
        record = follow_up(engine, superseded)
        assert (record.status, record.last_error) == ("cancelled", checkins.SUPERSEDED)
