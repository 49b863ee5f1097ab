"""The follow-up delivery worker (`python -m bot followups run`): claims due follow-ups from the store
and starts each check-in through Rasa's HTTP API (`trigger_intent` on the person's own channel).

Delivery is at least once: a follow-up stays claimed under a lease after its trigger, and only the
check-in action marks it delivered (before it speaks, staying silent if it already was). A worker
killed mid-delivery leaves the lease to run out and the next round claims the row again. Rasa down
or answering an error: the row goes back to pending with a backoff (30 s, 1 min, 2 min ... at most
30 min); after MAX_ATTEMPTS (failed triggers, or triggers no check-in ever confirmed) it is marked
failed with the reason. REST has no way to reach a person: the worker leaves those rows pending and
the check-in opens on the person's next message (bot/channels/rest.py).

Logs say which follow-up and what happened, never what anyone said about their knee.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping, Optional
from urllib.parse import quote, urlencode

from sqlalchemy.engine import Engine

from bot.followups.schedule import UTC, current_time, parse_clock
from bot.settings import Settings

logger = logging.getLogger("poplit.followups")

CHECK_IN_INTENT = "EXTERNAL_check_in"
# The defaults are bot/settings.py's (spelled there once).
_DEFAULTS = Settings()
MAX_ATTEMPTS = _DEFAULTS.followups_max_attempts
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(minutes=30)
# A claimed row comes back to the pool when its lease runs out without the check-in marking it
# delivered (the worker died, or Rasa took the trigger but the check-in never ran).
LEASE_SECONDS = _DEFAULTS.followups_lease_seconds
HTTP_TIMEOUT_SECONDS = 60.0
DEFAULT_INTERVAL_SECONDS = _DEFAULTS.followups_interval_seconds
DEFAULT_BATCH = 20
DEFAULT_PORT = _DEFAULTS.followups_port
# Channels with no way to start a conversation: their follow-ups wait for the person's next message.
NO_PUSH_CHANNELS = frozenset({"rest"})
# /health answers 503 when no round has finished for this long (the store unreachable, say).
STALE_AFTER_SECONDS = 300.0

Clock = Callable[[], datetime]


class DeliveryError(RuntimeError):
    """Rasa did not take the trigger; the message says why (kept as the follow-up's last error).
    `summary` leaves out Rasa's answer, which the log does not repeat (it could quote a conversation)."""

    def __init__(self, message: str, summary: Optional[str] = None) -> None:
        super().__init__(message)
        self.summary = summary or message


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after failed attempt number `attempts` (1, 2, ...): 30 s doubling, at most 30 min."""
    return min(MAX_RETRY, FIRST_RETRY * 2 ** max(0, attempts - 1))


@dataclass(frozen=True)
class WorkerSettings:
    rasa_url: str
    rasa_token: str
    port: int = DEFAULT_PORT
    # Where /health listens: loopback under `make run`; a container's probes need 0.0.0.0.
    host: str = _DEFAULTS.followups_host
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS
    batch: int = DEFAULT_BATCH
    lease_seconds: int = LEASE_SECONDS
    max_attempts: int = MAX_ATTEMPTS
    http_timeout_seconds: float = HTTP_TIMEOUT_SECONDS

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "WorkerSettings":
        settings = Settings.from_env(env)
        return cls(
            rasa_url=(settings.rasa_url or f"http://127.0.0.1:{settings.rasa_port}").rstrip("/"),
            rasa_token=settings.rasa_auth_token,
            port=settings.followups_port,
            host=settings.followups_host,
            interval_seconds=settings.followups_interval_seconds,
            lease_seconds=settings.followups_lease_seconds,
            max_attempts=settings.followups_max_attempts,
        )


def trigger_url(settings: WorkerSettings, sender_id: str, channel: str) -> str:
    query = urlencode({"output_channel": channel, "token": settings.rasa_token})
    return f"{settings.rasa_url}/conversations/{quote(sender_id, safe='')}/trigger_intent?{query}"


def trigger_check_in(settings: WorkerSettings, public_id: str, sender_id: str, channel: str) -> None:
    """Asks Rasa to start the check-in (by the follow-up's public id); DeliveryError unless it answers 2xx."""
    body = json.dumps({"name": CHECK_IN_INTENT, "entities": {"follow_up_id": public_id}}).encode()
    request = urllib.request.Request(
        trigger_url(settings, sender_id, channel), data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.http_timeout_seconds) as response:
            response.read()
    except urllib.error.HTTPError as error:
        # Rasa's error body says why (an unknown intent, a bad token): kept with the follow-up for whoever
        # runs the service; the log gets the status only.
        detail = error.read(300).decode(errors="replace").strip()
        raise DeliveryError(f"Rasa answered HTTP {error.code}: {detail}", f"Rasa answered HTTP {error.code}") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError):  # socket.timeout is TimeoutError since Python 3.10
            raise DeliveryError(f"no answer from Rasa within {settings.http_timeout_seconds:g} s") from error
        raise DeliveryError(f"could not reach Rasa at {settings.rasa_url}: {reason}") from error


Deliver = Callable[[WorkerSettings, str, str, str], None]


@dataclass
class RoundReport:
    claimed: int = 0
    triggered: int = 0
    retrying: int = 0
    failed: int = 0


def run_round(engine: Engine, settings: WorkerSettings, now: datetime, deliver: Deliver = trigger_check_in) -> RoundReport:
    """One pass: claim what is due at `now` and trigger each."""
    from bot.store import checkins

    report = RoundReport()
    claimed = checkins.claim_due(engine, now, settings.batch, settings.lease_seconds, skip_channels=NO_PUSH_CHANNELS)
    # Several due for one person (the worker was down, say): only the latest is sent, the rest superseded.
    latest = {follow_up.person_id: follow_up for follow_up in claimed}  # claimed oldest due first
    for follow_up in claimed:
        report.claimed += 1
        if latest[follow_up.person_id] is not follow_up:
            continue
        checkins.cancel_superseded(engine, follow_up.id)
        if follow_up.attempts > settings.max_attempts:
            # Each earlier trigger was taken by Rasa, yet no check-in marked it delivered (the action failing,
            # say): stop rather than trigger it every lease for ever.
            reason = f"gave up: Rasa took the trigger {follow_up.attempts - 1} times but the check-in never started"
            checkins.mark_failed(engine, follow_up.id, reason)
            logger.warning("follow-up %s failed: %s", follow_up.id, reason)
            report.failed += 1
            continue
        try:
            deliver(settings, follow_up.public_id or "", follow_up.sender_id, follow_up.channel)
        except DeliveryError as error:
            if follow_up.attempts >= settings.max_attempts:
                reason = f"gave up after {follow_up.attempts} attempts: {error}"
                checkins.mark_failed(engine, follow_up.id, reason)
                logger.warning("follow-up %s failed after %s attempts: %s", follow_up.id, follow_up.attempts, error.summary)
                report.failed += 1
            else:
                retry_at = now + retry_delay(follow_up.attempts)
                checkins.release_for_retry(engine, follow_up.id, str(error), retry_at)
                logger.info(
                    "follow-up %s attempt %s did not go through (%s); next try at %s",
                    follow_up.id,
                    follow_up.attempts,
                    error.summary,
                    retry_at.isoformat(),
                )
                report.retrying += 1
            continue
        # Stays claimed until the check-in action marks it delivered; should the action never run,
        # the lease runs out and a later round triggers it again.
        logger.info("follow-up %s triggered on %s (attempt %s)", follow_up.id, follow_up.channel, follow_up.attempts)
        report.triggered += 1
    return report


@dataclass
class WorkerState:
    """What /health reports."""

    started_at: float = field(default_factory=time.monotonic)
    last_round_at: Optional[float] = None
    last_clock: Optional[str] = None
    rounds: int = 0
    last_error: Optional[str] = None
    totals: dict[str, int] = field(default_factory=lambda: {"triggered": 0, "retrying": 0, "failed": 0})

    def health(self) -> tuple[int, dict[str, Any]]:
        now = time.monotonic()
        since = now - (self.last_round_at if self.last_round_at is not None else self.started_at)
        ok = since < STALE_AFTER_SECONDS
        return (200 if ok else 503), {
            "status": "ok" if ok else "stalled",
            "rounds": self.rounds,
            "seconds_since_last_round": None if self.last_round_at is None else round(now - self.last_round_at, 1),
            "clock": self.last_clock,
            "last_error": self.last_error,
            **self.totals,
        }


def start_health_server(state: WorkerState, port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """GET /health on a background thread, for the supervisor (bot/serve.py)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path.split("?", 1)[0] != "/health":
                status, body = 404, {"error": "not found"}
            else:
                status, body = state.health()
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # the supervisor polls often: no access log
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="followups-health", daemon=True).start()
    return server


def make_clock(now: Optional[str], env: Mapping[str, str]) -> Clock:
    """--now (fixed, or an offset / @file as POPLIT_CLOCK takes), else POPLIT_CLOCK, else real time."""
    if now:
        return lambda: parse_clock(now, datetime.now(UTC))
    return lambda: current_time(env)


def run(
    engine: Engine,
    settings: WorkerSettings,
    clock: Clock,
    stop: threading.Event,
    once: bool = False,
    state: Optional[WorkerState] = None,
    deliver: Deliver = trigger_check_in,
) -> WorkerState:
    """Rounds every `interval_seconds` until `stop` is set (or one round with `once`)."""
    state = state or WorkerState()
    while not stop.is_set():
        try:
            now = clock()
            state.last_clock = now.isoformat()
            report = run_round(engine, settings, now, deliver)
        except Exception as error:  # the store unreachable, say: keep going, /health says so if it lasts
            state.last_error = f"{error.__class__.__name__}: {error}"
            logger.warning("follow-up round failed: %s", state.last_error)
            if once:
                raise
        else:
            state.rounds += 1
            state.last_round_at = time.monotonic()
            state.last_error = None
            for key in state.totals:
                state.totals[key] += getattr(report, key)
            if report.claimed:
                logger.info(
                    "round at %s: %s claimed, %s triggered, %s to retry, %s failed",
                    state.last_clock,
                    report.claimed,
                    report.triggered,
                    report.retrying,
                    report.failed,
                )
        if once:
            break
        stop.wait(settings.interval_seconds)
    return state


def main(
    once: bool = False, now: Optional[str] = None, interval: Optional[float] = None, env: Optional[Mapping[str, str]] = None
) -> int:
    """`python -m bot followups run`."""
    from bot.store import database_url, open_store

    env = dict(os.environ if env is None else env)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = WorkerSettings.from_env(env)
    if interval is not None:
        settings = WorkerSettings(**{**settings.__dict__, "interval_seconds": interval})
    if not settings.rasa_token:
        logger.warning("RASA_AUTH_TOKEN is not set: Rasa will refuse the triggers if its API needs a token")
    clock = make_clock(now, env)
    engine = open_store(database_url(env))
    stop = threading.Event()
    if once:
        run(engine, settings, clock, stop, once=True)  # an error surfaces with its traceback
        return 0
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    state = WorkerState()
    server = start_health_server(state, settings.port, settings.host)
    logger.info("follow-up worker: Rasa at %s, health on %s:%s", settings.rasa_url, settings.host, settings.port)
    try:
        run(engine, settings, clock, stop, state=state)
    finally:
        server.shutdown()
    return 0
