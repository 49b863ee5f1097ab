"""Two running assistants shared by the end-to-end modules (starting one costs ~50 s):
- `assistant`: SQLite, every channel on, Slack and Telegram pointed at local stand-ins of their APIs;
- `postgres_assistant`: PostgreSQL tracker store and audit, Redis lock store, a short action timeout
  (the fault tests hang and kill its action server; the supervisor brings it back).
Each test uses its own sender ids, so conversations do not mix. Tests marked runs_last run
last.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.assistant import RunningAssistant, running_assistant
from tests.support.databases import fresh_postgres_database, redis_is_up
from tests.support.slack_api import SlackStandIn
from tests.support.telegram_api import TelegramStandIn

# The action server's time limit for the PostgreSQL assistant (the fault tests wait for it).
ACTION_TIMEOUT_SECONDS = 3.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that stop a shared assistant or read what the others left go last, whatever their module's name."""
    items.sort(key=lambda item: item.get_closest_marker("runs_last") is not None)


class EmbeddingSite:
    """Another website (its own origin) that embeds the chat with the documented one-line snippet."""

    def __init__(self) -> None:
        self.assistant_url = ""
        site = self

        class Page(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                body = (
                    "<!doctype html><html lang='en'><head><title>A physiotherapy clinic</title></head><body>"
                    "<h1>A physiotherapy clinic</h1>"
                    f'<script src="{site.assistant_url}/chat/embed.js" async></script></body></html>'
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
        # "localhost" rather than 127.0.0.1: a different origin from the assistant's, as another site is.
        self.origin = f"http://localhost:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="session")
def embedding_site() -> Iterator[EmbeddingSite]:
    site = EmbeddingSite()
    yield site
    site.close()


@pytest.fixture(scope="session")
def assistant(
    trained_model: Path,
    slack_api: SlackStandIn,
    telegram_api: TelegramStandIn,
    embedding_site: EmbeddingSite,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningAssistant]:
    var_dir = tmp_path_factory.mktemp("var")
    env = {
        **slack_api.assistant_env(),
        **telegram_api.assistant_env(),
        "POPLIT_ALLOWED_ORIGINS": embedding_site.origin,
        # Every server reads the time from this file (none: the real time); the `clock` fixture moves it.
        "POPLIT_CLOCK": f"@{var_dir / MovableClock.FILE_NAME}",
    }
    with running_assistant(var_dir, env=env) as running:
        embedding_site.assistant_url = running.base_url
        telegram_api.calls_at_start = list(telegram_api.calls)
        yield running


class MovableClock:
    """The shared assistant's clock (POPLIT_CLOCK=@file): set to an offset such as "+3d" for a test."""

    FILE_NAME = "clock"

    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self, spec: str) -> None:
        self.path.write_text(spec)

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)


@pytest.fixture
def clock(assistant: RunningAssistant) -> Iterator[MovableClock]:
    """Moves the shared assistant's time for one test; back to the real time afterwards."""
    moved = MovableClock(assistant.var_dir / MovableClock.FILE_NAME)
    yield moved
    moved.reset()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return fresh_postgres_database("poplit_e2e")


@pytest.fixture(scope="session")
def postgres_assistant(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory, postgres_url: str
) -> Iterator[RunningAssistant]:
    assert redis_is_up(), "Redis must run on 127.0.0.1:6379 (see .ci/run)"
    env = {
        "DATABASE_URL": postgres_url,
        "REDIS_URL": "redis://127.0.0.1:6379/6",
        "POPLIT_ACTION_TIMEOUT_SECONDS": str(ACTION_TIMEOUT_SECONDS),
    }
    with running_assistant(tmp_path_factory.mktemp("var-postgres"), env=env) as running:
        yield running


# The guarded assistant's limits, small enough for a test to reach (the shared ones are set out of reach).
GUARDED_PER_SENDER = 10
GUARDED_PER_ADDRESS = 30
GUARDED_SESSION_EVENTS = 40


@pytest.fixture(scope="session")
def guarded_assistant(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAssistant]:
    """An assistant with rate limits and a session cap a test can reach, behind one (pretend) proxy:
    each test names its own client address in X-Forwarded-For, as a proxy would."""
    env = {
        "POPLIT_RATE_PER_SENDER": f"{GUARDED_PER_SENDER}/60",
        "POPLIT_RATE_PER_ADDRESS": f"{GUARDED_PER_ADDRESS}/60",
        "POPLIT_MAX_SESSION_EVENTS": str(GUARDED_SESSION_EVENTS),
        "SANIC_PROXIES_COUNT": "1",
    }
    with running_assistant(tmp_path_factory.mktemp("var-guarded"), env=env) as running:
        yield running
