"""Follow-ups get a random public id: the one the check-in trigger carries, instead of the row's
sequential number, which anyone could guess.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import secrets
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("follow_ups") as batch:
        batch.add_column(sa.Column("public_id", sa.String(32), nullable=True))
    connection = op.get_bind()
    follow_ups = sa.table("follow_ups", sa.column("id", sa.Integer), sa.column("public_id", sa.String))
    for (row_id,) in connection.execute(sa.select(follow_ups.c.id)).fetchall():
        connection.execute(follow_ups.update().where(follow_ups.c.id == row_id).values(public_id=secrets.token_urlsafe(16)))
    op.create_index("ix_follow_ups_public_id", "follow_ups", ["public_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_follow_ups_public_id", table_name="follow_ups")
    with op.batch_alter_table("follow_ups") as batch:
        batch.drop_column("public_id")
