"""Check-ins: people, their assessments, scheduled follow-ups and recorded check-ins.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-20
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("consent", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("quiet_start", sa.String(5), nullable=False),
        sa.Column("quiet_end", sa.String(5), nullable=False),
        sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_people_channel_sender_id", "people", ["channel", "sender_id"], unique=True)

    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id", name="fk_assessments_person_id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("rule_ids", sa.Text(), nullable=False),
        sa.Column("ruleset_version", sa.String(64), nullable=False),
        sa.Column("profile", sa.Text(), nullable=False),
        sa.Column("exercises", sa.Text(), nullable=False),
    )
    op.create_index("ix_assessments_person_id", "assessments", ["person_id"])

    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id", name="fk_follow_ups_person_id"), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_follow_ups_person_id", "follow_ups", ["person_id"])
    op.create_index("ix_follow_ups_status_due_at", "follow_ups", ["status", "due_at"])

    op.create_table(
        "check_ins",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id", name="fk_check_ins_person_id"), nullable=False),
        sa.Column("follow_up_id", sa.Integer(), sa.ForeignKey("follow_ups.id", name="fk_check_ins_follow_up_id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pain", sa.Integer(), nullable=True),
        sa.Column("change", sa.String(8), nullable=True),
        sa.Column("exercises_done", sa.String(8), nullable=True),
        sa.Column("new_signs", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("pain IS NULL OR (pain >= 0 AND pain <= 10)", name="ck_check_ins_pain_range"),
    )
    op.create_index("ix_check_ins_person_id", "check_ins", ["person_id"])


def downgrade() -> None:
    op.drop_table("check_ins")
    op.drop_table("follow_ups")
    op.drop_table("assessments")
    op.drop_table("people")
