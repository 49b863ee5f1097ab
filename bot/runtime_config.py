"""Turns environment variables into the endpoints and credentials files Rasa starts with.

Rasa's own `${VAR}` substitution fails when a variable is unset, so `make run` writes concrete
files under var/ instead: SQLite and in-memory locks by default, PostgreSQL / Redis by URL, and
Slack / Telegram only when their credentials are present.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Mapping, Optional
from urllib.parse import unquote, urlparse

import yaml

ACTION_SERVER_URL = "http://127.0.0.1:5055/webhook"
# Rasa's SQL tracker store that also writes each escalation to the audit table (bot/trackers).
TRACKER_STORE_TYPE = "bot.trackers.audited_sql.AuditedSQLTrackerStore"


class ConfigError(ValueError):
    """A setting in the environment that cannot be used as given."""


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
    if not redis_url:
        return None
    parsed = urlparse(redis_url)
    if parsed.scheme not in ("redis", "rediss"):
        raise ConfigError(f"REDIS_URL must start with redis://, got {redis_url!r}")
    config: dict[str, Any] = {
        "type": "redis",
        "url": parsed.hostname or "127.0.0.1",
        "port": parsed.port or 6379,
        "db": int(parsed.path.lstrip("/") or 0),
        "key_prefix": "poplit",
    }
    if parsed.password:
        config["password"] = unquote(parsed.password)
    if parsed.scheme == "rediss":
        config["use_ssl"] = True
    return config


def endpoints_config(env: Mapping[str, str], var_dir: Path) -> dict[str, Any]:
    config: dict[str, Any] = {
        "action_endpoint": {"url": env.get("ACTION_SERVER_URL") or ACTION_SERVER_URL},
        "tracker_store": tracker_store_config(env.get("DATABASE_URL"), var_dir),
    }
    lock_store = lock_store_config(env.get("REDIS_URL"))
    if lock_store:
        config["lock_store"] = lock_store
    return config


def credentials_config(env: Mapping[str, str]) -> dict[str, Any]:
    config: dict[str, Any] = {
        "bot.channels.rest.ValidatedRestInput": None,
        "socketio": {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": True},
    }
    if env.get("SLACK_BOT_TOKEN") and env.get("SLACK_SIGNING_SECRET"):
        config["slack"] = {"slack_token": env["SLACK_BOT_TOKEN"], "slack_signing_secret": env["SLACK_SIGNING_SECRET"]}
    if env.get("TELEGRAM_TOKEN") and env.get("TELEGRAM_VERIFY") and env.get("TELEGRAM_WEBHOOK_URL"):
        config["telegram"] = {
            "access_token": env["TELEGRAM_TOKEN"],
            "verify": env["TELEGRAM_VERIFY"],
            "webhook_url": env["TELEGRAM_WEBHOOK_URL"],
        }
    return config


def auth_token(env: Mapping[str, str], var_dir: Path) -> tuple[str, str]:
    """The HTTP API token and where it came from: RASA_AUTH_TOKEN, or a file kept under var/."""
    if env.get("RASA_AUTH_TOKEN"):
        return env["RASA_AUTH_TOKEN"], "RASA_AUTH_TOKEN"
    token_file = var_dir / "rasa-auth-token"
    if not token_file.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        token_file.write_text(secrets.token_urlsafe(32) + "\n")
        token_file.chmod(0o600)
    return token_file.read_text().strip(), str(token_file)


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
    credentials_path.write_text(yaml.safe_dump(credentials_config(env), sort_keys=False))
    token, token_source = auth_token(env, var_dir)
    return {
        "endpoints": str(endpoints_path),
        "credentials": str(credentials_path),
        "token": token,
        "token_source": token_source,
        "tracker_store": describe_tracker_store(endpoints["tracker_store"]),
        "lock_store": "Redis" if "lock_store" in endpoints else "in memory (one Rasa instance)",
    }
