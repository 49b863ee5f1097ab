"""Settings read from the environment, with the embedded defaults `make run` uses."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Optional

DEFAULT_EMERGENCY_NUMBER = "112"


def emergency_number() -> str:
    """The number the emergency message names; 112 unless POPLIT_EMERGENCY_NUMBER says otherwise
    (999 in the UK, 911 in the US and Canada)."""
    return os.environ.get("POPLIT_EMERGENCY_NUMBER", "").strip() or DEFAULT_EMERGENCY_NUMBER


def var_dir() -> Path:
    """Where runtime files live: VAR_DIR, else var/ in the project."""
    configured = os.environ.get("VAR_DIR", "").strip()
    return Path(configured) if configured else Path(__file__).resolve().parent.parent / "var"


def public_base_url(env: Optional[Mapping[str, str]] = None) -> str:
    """Where people reach Rasa: PUBLIC_BASE_URL behind a proxy, else Rasa's own address (RASA_HOST,
    RASA_PORT as `make run` reads them)."""
    env = os.environ if env is None else env
    configured = env.get("PUBLIC_BASE_URL", "").strip().rstrip("/")
    if configured:
        return configured
    host = env.get("RASA_HOST", "").strip()
    host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    return f"http://{host}:{env.get('RASA_PORT', '5005').strip() or '5005'}"
