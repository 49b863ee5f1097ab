"""The escalation audit table, as metadata.create_all made it before the store had migrations.

A database made that way is stamped at this revision (after missing columns are added), not recreated:
see bot.store.migrate.

Revision ID: 0001
Revises:
Create Date: 2026-11-20
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "triage_escalations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("escalation_id", sa.String(64), nullable=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("rule_ids", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("ruleset_version", sa.String(64), nullable=False),
        sa.Column("message_text", sa.Text(), nullable=False),
        sa.Column("engine_files", sa.Text(), nullable=True),
        # Unnamed, as create_all made it. (Tables from before escalation ids have a unique index
        # ix_triage_escalations_escalation_id instead: a later migration touching it must allow for both.)
        sa.UniqueConstraint("escalation_id"),
    )
    op.create_index("ix_triage_escalations_conversation_id", "triage_escalations", ["conversation_id"])


def downgrade() -> None:
    op.drop_index("ix_triage_escalations_conversation_id", table_name="triage_escalations")
    op.drop_table("triage_escalations")
