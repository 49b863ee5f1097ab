"""Every setting Poplit reads from the environment, in one frozen object, each with its variable and
its default spelled here once. The supervisor, the servers it starts, the worker, the store and the
door all read `current()` (or `Settings.from_env` for an environment of their own).

A value that cannot be used is a SettingsError naming the variable, when the process starts.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Mapping, Optional

from pydantic import BaseModel, Field, ValidationError, validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EMERGENCY_NUMBER = "112"


class SettingsError(ValueError):
    """A setting in the environment that cannot be used as given."""


Port = Annotated[int, Field(ge=1, le=65535)]
PositiveSeconds = Annotated[float, Field(gt=0)]
InstanceCount = Annotated[Optional[int], Field(ge=1, le=16)]


class Settings(BaseModel):
    class Config:
        frozen = True

    var_dir: Path = PROJECT_ROOT / "var"
    model: Path = PROJECT_ROOT / "models" / "poplit.tar.gz"
    venv: Path = PROJECT_ROOT / ".venv"
    # Where the servers listen (the supervisor's health check and the worker's on loopback by default).
    rasa_host: str = "127.0.0.1"
    rasa_port: Port = 5005
    actions_port: Port = 5055
    health_port: Port = 5056
    followups_port: Port = 5057
    followups_host: str = "127.0.0.1"
    # The address people use, behind a proxy; else Rasa's own (public_base_url()).
    public_base_url: str = ""
    emergency_number: str = DEFAULT_EMERGENCY_NUMBER
    # Rasa's tracker store; Poplit's own tables use store_url, else the same database.
    database_url: str = ""
    store_url: str = ""
    # Connections each process keeps to PostgreSQL (twice this at a peak): instances x this must stay
    # under the server's max_connections.
    store_pool_size: Annotated[int, Field(ge=1, le=100)] = 5
    # Several instances share their lock, Socket.IO emits, deliveries and rate limits here.
    redis_url: str = ""
    rasa_auth_token: str = ""
    # Where the worker reaches Rasa's HTTP API (a container names Rasa's Service); else this machine's.
    rasa_url: str = ""
    rate_per_sender: str = "20/60"
    rate_per_address: str = "120/60"
    action_timeout_seconds: PositiveSeconds = 4.0
    # An action server silent this long is restarted; "off" (or 0) never.
    restart_silent_actions_seconds: Optional[float] = 30.0
    followups_interval_seconds: PositiveSeconds = 15.0
    # A claimed check-in returns to the pool when its lease runs out without being marked delivered
    # (its worker died). Longer than a trigger may take, so a slow delivery is not sent twice.
    followups_lease_seconds: Annotated[int, Field(gt=0)] = 300
    followups_max_attempts: Annotated[int, Field(ge=1)] = 8
    # Past this a conversation starts a new session (earlier ones stay stored).
    max_session_events: Annotated[int, Field(ge=10)] = 1000
    # `make cluster`: how many of each (2 each unless set), and where the instances listen.
    rasa_instances: InstanceCount = None
    action_servers: InstanceCount = None
    followup_workers: InstanceCount = None
    cluster_ports_from: Annotated[int, Field(ge=1024, le=65000)] = 5100
    balancer_status_port: Port = 5058

    @validator("restart_silent_actions_seconds", pre=True)
    def _off_is_none(cls, value: object) -> object:  # noqa: N805 (pydantic's validator signature)
        return None if str(value).strip().lower() in ("off", "0", "0.0") else value

    @validator("public_base_url")
    def _no_trailing_slash(cls, value: str) -> str:  # noqa: N805
        return value.rstrip("/")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Settings":
        values = {field: env[variable].strip() for field, variable in ENVIRONMENT.items() if env.get(variable, "").strip()}
        try:
            return cls.parse_obj(values)
        except ValidationError as error:
            problem = error.errors()[0]
            field = str(problem["loc"][0])
            raise SettingsError(f"{ENVIRONMENT[field]}: {problem['msg']}, got {values.get(field)!r}") from None


# The environment variable of each setting.
ENVIRONMENT = {
    "var_dir": "VAR_DIR",
    "model": "MODEL",
    "venv": "VENV",
    "rasa_host": "RASA_HOST",
    "rasa_port": "RASA_PORT",
    "actions_port": "ACTIONS_PORT",
    "health_port": "HEALTH_PORT",
    "followups_port": "FOLLOWUPS_PORT",
    "followups_host": "FOLLOWUPS_HOST",
    "public_base_url": "PUBLIC_BASE_URL",
    "emergency_number": "POPLIT_EMERGENCY_NUMBER",
    "database_url": "DATABASE_URL",
    "store_url": "POPLIT_STORE_URL",
    "store_pool_size": "POPLIT_STORE_POOL_SIZE",
    "redis_url": "REDIS_URL",
    "rasa_auth_token": "RASA_AUTH_TOKEN",
    "rasa_url": "RASA_URL",
    "rate_per_sender": "POPLIT_RATE_PER_SENDER",
    "rate_per_address": "POPLIT_RATE_PER_ADDRESS",
    "action_timeout_seconds": "POPLIT_ACTION_TIMEOUT_SECONDS",
    "restart_silent_actions_seconds": "POPLIT_RESTART_SILENT_ACTIONS_SECONDS",
    "followups_interval_seconds": "FOLLOWUPS_INTERVAL",
    "followups_lease_seconds": "FOLLOWUPS_LEASE_SECONDS",
    "followups_max_attempts": "FOLLOWUPS_MAX_ATTEMPTS",
    "max_session_events": "POPLIT_MAX_SESSION_EVENTS",
    "rasa_instances": "RASA_INSTANCES",
    "action_servers": "ACTION_SERVERS",
    "followup_workers": "FOLLOWUP_WORKERS",
    "cluster_ports_from": "CLUSTER_PORTS_FROM",
    "balancer_status_port": "BALANCER_STATUS_PORT",
}


def current() -> Settings:
    """This process's settings. Parsed once for a given environment (tests change it as they go)."""
    return _parsed(tuple((variable, os.environ.get(variable)) for variable in ENVIRONMENT.values()))


@lru_cache(maxsize=16)
def _parsed(values: tuple[tuple[str, Optional[str]], ...]) -> Settings:
    return Settings.from_env({variable: value for variable, value in values if value is not None})


def emergency_number() -> str:
    """The number the emergency message names; 112 unless POPLIT_EMERGENCY_NUMBER says otherwise
    (999 in the UK, 911 in the US and Canada)."""
    return current().emergency_number


def var_dir() -> Path:
    """Where runtime files live: VAR_DIR, else var/ in the project."""
    return current().var_dir


def public_base_url(env: Optional[Mapping[str, str]] = None) -> str:
    """Where people reach Rasa: PUBLIC_BASE_URL behind a proxy, else Rasa's own address."""
    settings = current() if env is None else Settings.from_env(env)
    if settings.public_base_url:
        return settings.public_base_url
    host = "127.0.0.1" if settings.rasa_host in ("", "0.0.0.0", "::") else settings.rasa_host
    return f"http://{host}:{settings.rasa_port}"
