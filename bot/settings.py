"""Settings read from the environment, with the embedded defaults `make run` uses."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_EMERGENCY_NUMBER = "112"


def emergency_number() -> str:
    """The number the emergency message names; 112 unless POPLIT_EMERGENCY_NUMBER says otherwise
    (999 in the UK, 911 in the US and Canada)."""
    return os.environ.get("POPLIT_EMERGENCY_NUMBER", "").strip() or DEFAULT_EMERGENCY_NUMBER


def var_dir() -> Path:
    """Where runtime files live: VAR_DIR, else var/ in the project."""
    configured = os.environ.get("VAR_DIR", "").strip()
    return Path(configured) if configured else Path(__file__).resolve().parent.parent / "var"
