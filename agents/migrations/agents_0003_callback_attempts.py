"""agents: callbacks dialled for real — attempts and the time of the next one

Revision ID: agents_0003
Revises: agents_0002
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "agents_0003"
down_revision = "agents_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("acd_callbacks") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", core.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("acd_callbacks") as batch:
        batch.drop_column("next_attempt_at")
        batch.drop_column("attempts")
