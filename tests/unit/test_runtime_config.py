from pathlib import Path

import pytest
import yaml

from bot.runtime_config import (
    LOCK_STORE_TYPE,
    SLACK_CHANNEL,
    SOCKETIO_CHANNEL,
    TELEGRAM_CHANNEL,
    TRACKER_STORE_TYPE,
    ConfigError,
    credentials_config,
    endpoints_config,
    write_runtime_files,
)


def test_defaults_are_sqlite_under_var_and_no_lock_store(tmp_path: Path) -> None:
    config = endpoints_config({}, tmp_path)
    assert config["tracker_store"] == {"type": TRACKER_STORE_TYPE, "dialect": "sqlite", "db": str(tmp_path / "poplit-tracker.db")}
    assert "lock_store" not in config


def test_postgres_and_redis_urls_are_translated(tmp_path: Path) -> None:
    config = endpoints_config(
        {"DATABASE_URL": "postgresql://poplit:s%40cret@db.local:5433/poplit", "REDIS_URL": "redis://127.0.0.1:6380/2"}, tmp_path
    )
    assert config["tracker_store"] == {
        "type": TRACKER_STORE_TYPE,
        "dialect": "postgresql",
        "url": "db.local",
        "port": 5433,
        "db": "poplit",
        "username": "poplit",
        "password": "s@cret",
    }
    # The race-safe lock of bot/trackers/redis_lock.py, loaded by Rasa from its module path.
    assert config["lock_store"] == {"type": LOCK_STORE_TYPE, "url": "redis://127.0.0.1:6380/2", "key_prefix": "poplit"}


def test_unsupported_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        endpoints_config({"DATABASE_URL": "mysql://x/y"}, tmp_path)


def test_channels_are_enabled_only_with_their_credentials(tmp_path: Path) -> None:
    always_on = {
        "bot.channels.door.DoorInput",
        "bot.channels.rest.ValidatedRestInput",
        SOCKETIO_CHANNEL,
        "bot.channels.charts.ChartsInput",
    }
    assert set(credentials_config({})) == always_on
    with_slack = credentials_config({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})
    assert with_slack[SLACK_CHANNEL]["slack_token"] == "xoxb-1"
    assert with_slack[SLACK_CHANNEL]["slack_api_url"] == "https://slack.com/api/"
    telegram_env = {"TELEGRAM_TOKEN": "1:x", "TELEGRAM_VERIFY": "poplit_bot", "TELEGRAM_WEBHOOK_URL": "https://x/hook"}
    with_telegram = credentials_config(telegram_env, tmp_path)
    assert set(with_telegram) == always_on | {TELEGRAM_CHANNEL}
    # No secret given: one is generated and kept, so the webhook registered earlier stays valid.
    secret = with_telegram[TELEGRAM_CHANNEL]["secret_token"]
    assert len(secret) >= 32 and credentials_config(telegram_env, tmp_path)[TELEGRAM_CHANNEL]["secret_token"] == secret
    given = credentials_config({**telegram_env, "TELEGRAM_SECRET_TOKEN": "s3cret"}, tmp_path)
    assert given[TELEGRAM_CHANNEL]["secret_token"] == "s3cret"


def test_allowed_origins_reach_the_socketio_channel() -> None:
    config = credentials_config({"POPLIT_ALLOWED_ORIGINS": "https://clinic.example/, https://b.example"})
    own = ["http://127.0.0.1:5005", "http://localhost:5005"]  # Rasa's own address when PUBLIC_BASE_URL is not set
    assert config[SOCKETIO_CHANNEL]["allowed_origins"] == [*own, "https://clinic.example", "https://b.example"]
    behind_proxy = credentials_config({"PUBLIC_BASE_URL": "https://poplit.example.org/", "RASA_PORT": "8080"})
    assert behind_proxy[SOCKETIO_CHANNEL]["allowed_origins"] == ["https://poplit.example.org"]


@pytest.mark.parametrize("bad", ["clinic.example", "https://a.com; script-src *", "javascript:alert(1)", "https://a.com/path"])
def test_an_origin_that_is_not_one_is_a_clear_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="POPLIT_ALLOWED_ORIGINS"):
        credentials_config({"POPLIT_ALLOWED_ORIGINS": bad})


def test_token_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = write_runtime_files(tmp_path, {})
    second = write_runtime_files(tmp_path, {})
    assert first["token"] == second["token"] and len(first["token"]) >= 32
    assert (tmp_path / "rasa-auth-token").stat().st_mode & 0o077 == 0
    assert write_runtime_files(tmp_path, {"RASA_AUTH_TOKEN": "given"})["token"] == "given"
    assert yaml.safe_load((tmp_path / "endpoints.runtime.yml").read_text())["tracker_store"]["dialect"] == "sqlite"
