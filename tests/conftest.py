from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from tests.support.assistant import PROJECT_ROOT

MODEL = PROJECT_ROOT / "models" / "poplit.tar.gz"


@pytest.fixture(scope="session")
def trained_model() -> Path:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests with `make test`, which trains first")
    return MODEL


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
