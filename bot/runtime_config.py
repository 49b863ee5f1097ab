"""Turns environment variables into the endpoints and credentials files Rasa starts with.

Rasa's own `${VAR}` substitution fails when a variable is unset, so `make run` writes concrete
files under var/ instead: SQLite and in-memory locks by default, PostgreSQL / Redis by URL, and
Slack / Telegram only when their credentials are present.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any, Mapping, Optional
from urllib.parse import unquote, urlparse

import yaml

from bot.settings import SettingsError, public_base_url

ACTION_SERVER_URL = "http://127.0.0.1:5055/webhook"
# Rasa's SQL tracker store that also writes each escalation to the audit table (bot/trackers).
TRACKER_STORE_TYPE = "bot.trackers.audited_sql.AuditedSQLTrackerStore"
LOCK_STORE_TYPE = "bot.trackers.redis_lock.AtomicRedisLockStore"
STATIC_CREDENTIALS = Path(__file__).resolve().parents[1] / "credentials.yml"
# Channel keys as Rasa reads them from the credentials file: the connector classes in bot/channels.
SOCKETIO_CHANNEL = "bot.channels.socketio.PoplitSocketIOInput"
SLACK_CHANNEL = "bot.channels.slack.PoplitSlackInput"
TELEGRAM_CHANNEL = "bot.channels.telegram.PoplitTelegramInput"
# The platforms' real APIs; tests point these at local stand-ins (SLACK_API_URL, TELEGRAM_API_URL).
SLACK_API_URL = "https://slack.com/api/"
TELEGRAM_API_URL = "https://api.telegram.org"


# A setting in the environment that cannot be used as given (one error type for all settings).
ConfigError = SettingsError


def tracker_store_config(database_url: Optional[str], var_dir: Path) -> dict[str, Any]:
    if not database_url:
        return {"type": TRACKER_STORE_TYPE, "dialect": "sqlite", "db": str(var_dir / "poplit-tracker.db")}
    parsed = urlparse(database_url)
    scheme = parsed.scheme.split("+", 1)[0]
    if scheme == "sqlite":
        return {
            "type": TRACKER_STORE_TYPE,
            "dialect": "sqlite",
            "db": unquote(parsed.path.lstrip("/")) or str(var_dir / "poplit-tracker.db"),
        }
    if scheme not in ("postgresql", "postgres"):
        raise ConfigError(f"DATABASE_URL must be sqlite:///PATH or postgresql://..., got scheme {parsed.scheme!r}")
    config: dict[str, Any] = {
        "type": TRACKER_STORE_TYPE,
        "dialect": "postgresql",
        "url": parsed.hostname or "127.0.0.1",
        "port": parsed.port or 5432,
        "db": unquote(parsed.path.lstrip("/")) or "postgres",
    }
    if parsed.username:
        config["username"] = unquote(parsed.username)
    if parsed.password:
        config["password"] = unquote(parsed.password)
    return config


def lock_store_config(redis_url: Optional[str]) -> Optional[dict[str, Any]]:
    """The race-safe Redis lock (bot/trackers/redis_lock.py) when REDIS_URL is set; else Rasa's in-memory
    lock, which is right for one instance only."""
    if not redis_url:
        return None
    parsed = urlparse(redis_url)
    if parsed.scheme not in ("redis", "rediss"):
        raise ConfigError(f"REDIS_URL must start with redis://, got {redis_url!r}")
    return {"type": LOCK_STORE_TYPE, "url": redis_url, "key_prefix": "poplit"}


def endpoints_config(env: Mapping[str, str], var_dir: Path) -> dict[str, Any]:
    config: dict[str, Any] = {
        "action_endpoint": {"url": env.get("ACTION_SERVER_URL") or ACTION_SERVER_URL},
        "tracker_store": tracker_store_config(env.get("DATABASE_URL"), var_dir),
    }
    lock_store = lock_store_config(env.get("REDIS_URL"))
    if lock_store:
        config["lock_store"] = lock_store
    return config


ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def allowed_origins(env: Mapping[str, str]) -> list[str]:
    """Sites allowed to embed the chat page and call the server from a browser (POPLIT_ALLOWED_ORIGINS,
    comma-separated). None by default: the page then works only on the server's own origin."""
    origins = [origin.strip().rstrip("/") for origin in env.get("POPLIT_ALLOWED_ORIGINS", "").split(",") if origin.strip()]
    for origin in origins:
        # Strict, because the value also goes into the page's Content-Security-Policy header.
        if not ORIGIN.match(origin):
            raise ConfigError(f"POPLIT_ALLOWED_ORIGINS entries look like https://clinic.example, got {origin!r}")
    return origins


def public_origin(env: Mapping[str, str]) -> str:
    """The origin people reach the server at: PUBLIC_BASE_URL's behind a proxy, else Rasa's own address."""
    url = public_base_url(env)
    parsed = urlparse(url)
    origin = f"{parsed.scheme}://{parsed.netloc}"
    if not ORIGIN.match(origin):
        raise ConfigError(f"PUBLIC_BASE_URL must look like https://poplit.example.org, got {url!r}")
    return origin


def own_origins(env: Mapping[str, str]) -> list[str]:
    """The page's own origins: the public one, and on this machine (no PUBLIC_BASE_URL, Rasa on
    127.0.0.1) also localhost, the other name people type for it. A rebinding site's own name is
    never among them, whatever it resolves to."""
    origin = public_origin(env)
    parsed = urlparse(origin)
    if not env.get("PUBLIC_BASE_URL", "").strip() and parsed.hostname == "127.0.0.1":
        return [origin, f"{parsed.scheme}://localhost:{parsed.port}"]
    return [origin]


def credentials_config(env: Mapping[str, str], var_dir: Optional[Path] = None) -> dict[str, Any]:
    """credentials.yml (the channels always on) plus Slack and Telegram when their variables are set."""
    config: dict[str, Any] = yaml.safe_load(STATIC_CREDENTIALS.read_text())
    # The page's own origin is the public one (PUBLIC_BASE_URL, else Rasa's own address), never what a
    # request's Host header claims; then the sites configured to embed it.
    config[SOCKETIO_CHANNEL]["allowed_origins"] = [*own_origins(env), *allowed_origins(env)]
    # Several instances share Socket.IO emits and the memory of platform deliveries through Redis.
    shared = {"redis_url": env["REDIS_URL"]} if env.get("REDIS_URL") else {}
    config[SOCKETIO_CHANNEL].update(shared)
    if env.get("SLACK_BOT_TOKEN") and env.get("SLACK_SIGNING_SECRET"):
        config[SLACK_CHANNEL] = {
            "slack_token": env["SLACK_BOT_TOKEN"],
            "slack_signing_secret": env["SLACK_SIGNING_SECRET"],
            "slack_api_url": env.get("SLACK_API_URL") or SLACK_API_URL,
            **shared,
        }
    if env.get("TELEGRAM_TOKEN") and env.get("TELEGRAM_VERIFY") and env.get("TELEGRAM_WEBHOOK_URL"):
        config[TELEGRAM_CHANNEL] = {
            "access_token": env["TELEGRAM_TOKEN"],
            "verify": env["TELEGRAM_VERIFY"],
            "webhook_url": env["TELEGRAM_WEBHOOK_URL"],
            "secret_token": telegram_secret_token(env, var_dir),
            "api_url": env.get("TELEGRAM_API_URL") or TELEGRAM_API_URL,
            **shared,
        }
    return config


def telegram_secret_token(env: Mapping[str, str], var_dir: Optional[Path]) -> str:
    """The secret Telegram sends back on every update: TELEGRAM_SECRET_TOKEN, or one kept under var/."""
    if env.get("TELEGRAM_SECRET_TOKEN"):
        return env["TELEGRAM_SECRET_TOKEN"]
    if var_dir is None:
        raise ConfigError("TELEGRAM_SECRET_TOKEN is unset and there is no var/ folder to keep a generated one in")
    return _kept_secret(var_dir / "telegram-secret-token")


def auth_token(env: Mapping[str, str], var_dir: Path) -> tuple[str, str]:
    """The HTTP API token and where it came from: RASA_AUTH_TOKEN, or a file kept under var/."""
    if env.get("RASA_AUTH_TOKEN"):
        return env["RASA_AUTH_TOKEN"], "RASA_AUTH_TOKEN"
    token_file = var_dir / "rasa-auth-token"
    return _kept_secret(token_file), str(token_file)


def _kept_secret(path: Path) -> str:
    """A random secret made once and kept in a file only its owner can read."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def describe_tracker_store(config: dict[str, Any]) -> str:
    """One line for the start-up banner, without credentials."""
    if config.get("dialect") == "sqlite":
        return f"SQLite file {config['db']}"
    return f"PostgreSQL {config['url']}:{config['port']}/{config['db']}"


def write_runtime_files(var_dir: Path, env: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    env = os.environ if env is None else env
    var_dir.mkdir(parents=True, exist_ok=True)
    endpoints_path = var_dir / "endpoints.runtime.yml"
    credentials_path = var_dir / "credentials.runtime.yml"
    endpoints = endpoints_config(env, var_dir)
    endpoints_path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    credentials_path.write_text(yaml.safe_dump(credentials_config(env, var_dir), sort_keys=False))
    token, token_source = auth_token(env, var_dir)
    return {
        "endpoints": str(endpoints_path),
        "credentials": str(credentials_path),
        "token": token,
        "token_source": token_source,
        "tracker_store": describe_tracker_store(endpoints["tracker_store"]),
        "lock_store": "Redis" if "lock_store" in endpoints else "in memory (one Rasa instance)",
    }
