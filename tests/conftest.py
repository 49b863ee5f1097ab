from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.assistant import PROJECT_ROOT

MODEL = PROJECT_ROOT / "models" / "poplit.tar.gz"


@pytest.fixture(scope="session")
def trained_model() -> Path:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests with `make test`, which trains first")
    return MODEL
