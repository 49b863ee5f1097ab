from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.support.assistant import PROJECT_ROOT
from tests.support.slack_api import SlackStandIn
from tests.support.telegram_api import TelegramStandIn

MODEL = PROJECT_ROOT / "models" / "poplit.tar.gz"


@pytest.fixture(scope="session")
def trained_model() -> Path:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests with `make test`, which trains first")
    return MODEL


@pytest.fixture(scope="session")
def slack_api() -> Iterator[SlackStandIn]:
    """A local stand-in for Slack's Web API (the e2e assistant and the cluster post to it)."""
    with SlackStandIn() as api:
        yield api


@pytest.fixture(scope="session")
def telegram_api() -> Iterator[TelegramStandIn]:
    """A local stand-in for Telegram's Bot API."""
    with TelegramStandIn() as api:
        yield api


_SUMMARY_LINES: list[str] = []


@pytest.fixture
def report() -> Callable[[str], None]:
    """Lines a test wants in the run's final summary (figures such as held-out F1 or triage tables)."""
    return _SUMMARY_LINES.append


def pytest_terminal_summary(terminalreporter: "pytest.TerminalReporter") -> None:
    if _SUMMARY_LINES:
        terminalreporter.section("Poplit figures")
        for line in _SUMMARY_LINES:
            terminalreporter.write_line(line)
