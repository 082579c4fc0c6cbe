"""agents: how many work orders (工单) an agent holds in progress at once (the task channel's concurrency)

Revision ID: agents_0005
Revises: agents_0004
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "agents_0005"
down_revision = "agents_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("acd_agents") as batch:
        batch.add_column(sa.Column("max_tickets", sa.Integer(), nullable=False, server_default="10"))


def downgrade() -> None:
    with op.batch_alter_table("acd_agents") as batch:
        batch.drop_column("max_tickets")
