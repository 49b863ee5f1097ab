"""Alembic's environment for Poplit's store. Run through bot.store.migrate (there is no alembic.ini): it
opens the connection, takes the migration lock and hands the connection over in
config.attributes["connection"], so the whole upgrade runs in the caller's transaction."""

from __future__ import annotations

from typing import Any, Optional

from alembic import context

from bot.store.tables import metadata

config = context.config


def include_name(name: Optional[str], type_: str, parent_names: Any) -> bool:
    """Only Poplit's tables: the database may be shared with Rasa's tracker store (DATABASE_URL), whose
    tables autogenerate must neither drop nor compare."""
    return name in metadata.tables if type_ == "table" else True


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run the store's migrations through bot.store.migrate (python -m bot db upgrade)")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_name=include_name,
        # SQLite alters little in place; batch mode rebuilds a table when a later migration needs it.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not set up for Poplit's store")
run_migrations_online()
