from __future__ import annotations

import functools
import logging
import re
from functools import lru_cache
from typing import Any, Callable, Mapping, Optional, TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import QueuePool

from bot.settings import Settings, current
from bot.store.migrate import SchemaAhead, upgrade

logger = logging.getLogger("poplit.store")


class StoreUnavailable(RuntimeError):
    """The database could not be reached or written; callers keep the record elsewhere."""


Function = TypeVar("Function", bound=Callable[..., Any])


def store_errors(function: Function) -> Function:
    """The store's functions raise StoreUnavailable, the one error callers handle, when the database
    is down or refuses a statement (rather than whichever SQLAlchemy error it was)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except SQLAlchemyError as error:
            raise StoreUnavailable(f"{function.__name__}: {error.__class__.__name__}") from error

    return wrapper  # type: ignore[return-value]


def database_url(env: Optional[Mapping[str, str]] = None) -> str:
    """POPLIT_STORE_URL, else DATABASE_URL (shared with Rasa's tracker store: other tables), else SQLite under var/."""
    settings = current() if env is None else Settings.from_env(env)
    url = settings.store_url or settings.database_url
    if not url:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{settings.var_dir.resolve() / 'poplit.db'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    return url


def create_database_if_missing(url: str) -> str:
    """Makes the PostgreSQL database `url` names when it does not exist (connecting to the server's
    `postgres` database to do so); says what it did. Other databases are left alone."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return f"{parsed.drivername}: nothing to create"
    name = parsed.database or "postgres"
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,63}", name):
        raise ValueError(f"a database name of letters, digits, _ and - is expected, got {name!r}")
    admin = create_engine(parsed.set(database="postgres"), future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            if connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first():
                return f"database {name} exists"
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            return f"database {name} created"
    finally:
        admin.dispose()


def create_store_engine(url: str) -> Engine:
    """An engine on the store, without touching its schema (open_store migrates it)."""
    # SQLite: Rasa, the action server and the worker write one file; a writer waits for the lock up to
    # 30 s rather than pysqlite's 5.
    if url.startswith("sqlite"):
        # SQLAlchemy 1.4 opens a new SQLite connection for every use of a file database (NullPool);
        # reused connections (as SQLAlchemy 2 does) make a look-up such as the REST channel's due
        # check-in several times cheaper. Nothing to ping: the file does not go away.
        engine = create_engine(url, future=True, poolclass=QueuePool, connect_args={"timeout": 30, "check_same_thread": False})
        use_write_ahead_log(engine)
        return engine
    # One engine per process (open_store caches it), its pool sized per instance (POPLIT_STORE_POOL_SIZE).
    pool_size = current().store_pool_size
    return create_engine(url, pool_pre_ping=True, future=True, pool_size=pool_size, max_overflow=pool_size)


def use_write_ahead_log(engine: Engine) -> None:
    """SQLite in WAL mode with synchronous=NORMAL on every connection of `engine`: readers (Rasa's
    look-ups) no longer wait for a writer (the action server's records), and a commit no longer waits
    for the disk twice. Still durable across a crash of the process; a power cut may lose the last
    commits, never corrupt the file. Other databases are left alone."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@lru_cache(maxsize=8)
def open_store(url: str) -> Engine:
    """An engine on the store with its schema migrated to the newest revision; cached per URL. Safe when
    several processes open the same store at once (bot.store.migrate holds a lock while it upgrades)."""
    engine = create_store_engine(url)
    try:
        upgrade(engine)
    except SchemaAhead as error:
        # Migrations only add, so this code still finds what it uses (e.g. one release rolled back).
        logger.warning("%s; using it as it is", error)
    except SQLAlchemyError as error:
        engine.dispose()
        raise StoreUnavailable(f"the store could not be opened: {error.__class__.__name__}") from error
    except BaseException:
        engine.dispose()
        raise
    return engine


def process_store() -> Engine:
    """This process's store: the one engine on its database (POPLIT_STORE_URL, else DATABASE_URL, else
    SQLite under var/), made on first use with its pool sized by POPLIT_STORE_POOL_SIZE and migrated,
    then the same object for every channel, action and command in the process."""
    return open_store(database_url())
