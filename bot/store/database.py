from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Optional

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

from bot.settings import var_dir
from bot.store.tables import metadata


class StoreUnavailable(RuntimeError):
    """The database could not be reached or written; callers keep the record elsewhere."""


def database_url(env: Optional[Mapping[str, str]] = None) -> str:
    """POPLIT_STORE_URL, else DATABASE_URL (shared with Rasa's tracker store: other tables), else SQLite under var/."""
    env = os.environ if env is None else env
    url = env.get("POPLIT_STORE_URL", "").strip() or env.get("DATABASE_URL", "").strip()
    if not url:
        directory = Path(env["VAR_DIR"]) if env.get("VAR_DIR") else var_dir()
        directory.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{directory.resolve() / 'poplit.db'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    return url


@lru_cache(maxsize=8)
def open_store(url: str) -> Engine:
    """An engine with Poplit's tables created; cached per URL."""
    engine = create_engine(url, pool_pre_ping=True, future=True)
    metadata.create_all(engine)
    _upgrade_audit_table(engine)
    return engine


def _upgrade_audit_table(engine: Engine) -> None:
    """Audit tables made before escalation ids and engine provenance existed get those columns
    (and the id's unique index). A stopgap until the store's schema moves under migrations with the
    check-ins work."""
    columns = {column["name"] for column in inspect(engine).get_columns("triage_escalations")}
    with engine.begin() as connection:
        if "escalation_id" not in columns:
            connection.execute(text("ALTER TABLE triage_escalations ADD COLUMN escalation_id VARCHAR(64)"))
            connection.execute(
                text("CREATE UNIQUE INDEX ix_triage_escalations_escalation_id ON triage_escalations (escalation_id)")
            )
        if "engine_files" not in columns:
            connection.execute(text("ALTER TABLE triage_escalations ADD COLUMN engine_files TEXT"))
