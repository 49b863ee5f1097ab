"""The store's schema under Alembic, configured here in code (there is no alembic.ini).

`upgrade(url)` is what `open_store` and `python -m bot db upgrade` run. Several processes (Rasa, the
action server, the follow-up worker) may start at once against one database, so the whole upgrade is
one transaction holding a lock that every migrating process takes first:
- PostgreSQL: a transaction-level advisory lock (released by the commit); DDL is transactional there,
  so a failed upgrade leaves nothing behind.
- SQLite: BEGIN IMMEDIATE, the database's write lock, taken before anything is read.
Whoever comes second waits, then finds the schema at head and does nothing.

A database made before migrations existed (metadata.create_all: triage_escalations and no
alembic_version) has its audit table brought up to date and is stamped at revision 0001, then upgraded.

New revision (after changing tables.py), against a database already at head:
    .venv/bin/python -c "from bot.store.migrate import new_revision; new_revision('sqlite:///var/poplit.db', '0003', 'what it does')"
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional, Union

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, Engine

logger = logging.getLogger("poplit.store")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The revision that matches what metadata.create_all made before the store had migrations.
CREATE_ALL_REVISION = "0001"
# Any fixed number: it names the lock all of Poplit's migrating processes take on a PostgreSQL database.
POSTGRES_LOCK_KEY = 0x506F706C6974  # "Poplit"


def alembic_config(connection: Optional[Connection] = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision this code knows."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None, f"no migrations under {MIGRATIONS_DIR}"
    return revision


@contextmanager
def _engine(target: Union[str, Engine]) -> Iterator[Engine]:
    if isinstance(target, Engine):
        yield target
        return
    engine = create_engine(target, future=True, **({"connect_args": {"timeout": 30}} if target.startswith("sqlite") else {}))
    try:
        yield engine
    finally:
        engine.dispose()


def current(target: Union[str, Engine]) -> Optional[str]:
    """The database's revision: None when it has no alembic_version (empty, or made by create_all)."""
    with _engine(target) as engine, engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _take_migration_lock(connection: Connection) -> None:
    """Starts the upgrade's transaction holding the lock (see the module docstring)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_LOCK_KEY})
    elif dialect == "sqlite":
        # pysqlite would begin only before the first write; take the write lock before the first read.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        logger.warning("no migration lock for %s: start one process at a time the first time", dialect)


def _bring_audit_table_up_to_date(connection: Connection) -> None:
    """Audit tables made before escalation ids and engine provenance existed get those columns (and the
    id's unique index), so the table matches revision 0001."""
    columns = {column["name"] for column in inspect(connection).get_columns("triage_escalations")}
    if "escalation_id" not in columns:
        connection.execute(text("ALTER TABLE triage_escalations ADD COLUMN escalation_id VARCHAR(64)"))
        connection.execute(text("CREATE UNIQUE INDEX ix_triage_escalations_escalation_id ON triage_escalations (escalation_id)"))
    if "engine_files" not in columns:
        connection.execute(text("ALTER TABLE triage_escalations ADD COLUMN engine_files TEXT"))


def _known_revisions(config: Config) -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


class SchemaAhead(RuntimeError):
    """The database is at a revision this code does not know: newer code has migrated it."""


def upgrade(target: Union[str, Engine], revision: str = "head") -> str:
    """Brings the database to `revision` (head by default) and returns the revision it is at.

    Raises SchemaAhead when the database is at a revision this code does not know (a newer release
    migrated it); nothing is changed then."""
    with _engine(target) as engine, engine.connect() as connection:
        _take_migration_lock(connection)
        config = alembic_config(connection)
        at = MigrationContext.configure(connection).get_current_revision()
        if at is None and inspect(connection).has_table("triage_escalations"):
            _bring_audit_table_up_to_date(connection)
            command.stamp(config, CREATE_ALL_REVISION)
            logger.info("store made before migrations: stamped at revision %s", CREATE_ALL_REVISION)
        elif at is not None and at not in _known_revisions(config):
            raise SchemaAhead(f"the store is at revision {at}, which this code does not know (it knows up to {head()})")
        command.upgrade(config, revision)
        reached = MigrationContext.configure(connection).get_current_revision()
        connection.commit()
    assert reached is not None
    return reached


def new_revision(url: str, rev_id: str, message: str) -> None:
    """Writes versions/<rev_id>_<slug>.py with the operations autogenerate finds between tables.py and
    the database at `url` (which must be at head). Read and edit it before committing."""
    with _engine(url) as engine, engine.connect() as connection:
        config = alembic_config(connection)
        config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
        command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
