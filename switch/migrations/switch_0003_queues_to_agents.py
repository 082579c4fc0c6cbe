"""switch: the queue definitions moved to the ACD (`agents_0006` copied them into `acd_queues`); the
switch drops its `switch_queues`

Revision ID: switch_0003
Revises: switch_0002
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "switch_0003"
down_revision = "switch_0002"
branch_labels = None
depends_on = ("agents_0006",)  # the rows are copied before the table goes

COLUMNS = "id, center_code, topic, skills, max_wait, overflow_action"


def upgrade() -> None:
    op.drop_index("ix_switch_queues_center_code", table_name="switch_queues")
    op.drop_table("switch_queues")


def downgrade() -> None:
    op.create_table(
        "switch_queues",
        sa.Column("id", sa.String(30), primary_key=True),
        sa.Column("center_code", sa.String(2),
                  sa.ForeignKey("switch_centers.code", ondelete="CASCADE",
                                name="fk_switch_queues_center_code_switch_centers"), nullable=False),
        sa.Column("topic", sa.String(30), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("max_wait", sa.Integer(), nullable=False),
        sa.Column("overflow_action", sa.String(30), nullable=False),
    )
    op.create_index("ix_switch_queues_center_code", "switch_queues", ["center_code"])
    if sa.inspect(op.get_bind()).has_table("acd_queues"):  # the ACD still holds them: they come back
        op.execute(f"INSERT INTO switch_queues ({COLUMNS}) SELECT {COLUMNS} FROM acd_queues "
                   "WHERE center_code IN (SELECT code FROM switch_centers) "
                   "AND id NOT IN (SELECT id FROM switch_queues)")
