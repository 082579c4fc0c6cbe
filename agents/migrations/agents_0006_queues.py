"""agents: the queue definitions, taken over from the switch's `switch_queues` (issue 17: the ACD owns
its queues and their overflow; `switch_0003` drops the old table after this copy)

Revision ID: agents_0006
Revises: agents_0005
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "agents_0006"
down_revision = "agents_0005"
branch_labels = None
depends_on = ("switch_0001",)  # the table whose rows are copied

COLUMNS = "id, center_code, topic, skills, max_wait, overflow_action"


def upgrade() -> None:
    op.create_table(
        "acd_queues",
        sa.Column("id", sa.String(30), primary_key=True),
        sa.Column("center_code", sa.String(2), nullable=False),
        sa.Column("topic", sa.String(30), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("max_wait", sa.Integer(), nullable=False),
        sa.Column("overflow_action", sa.String(30), nullable=False),
    )
    op.create_index("ix_acd_queues_center_code", "acd_queues", ["center_code"])
    if sa.inspect(op.get_bind()).has_table("switch_queues"):
        op.execute(f"INSERT INTO acd_queues ({COLUMNS}) SELECT {COLUMNS} FROM switch_queues")


def downgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("switch_queues"):  # recreated by switch_0003's downgrade
        # only the queues of centers the switch still holds (its table keeps the foreign key)
        op.execute(f"INSERT INTO switch_queues ({COLUMNS}) SELECT {COLUMNS} FROM acd_queues "
                   "WHERE center_code IN (SELECT code FROM switch_centers) "
                   "AND id NOT IN (SELECT id FROM switch_queues)")
    op.drop_index("ix_acd_queues_center_code", table_name="acd_queues")
    op.drop_table("acd_queues")
