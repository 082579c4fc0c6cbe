"""agents: the outcome of a callback closed by hand

Revision ID: agents_0002
Revises: agents_0001
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "agents_0002"
down_revision = "agents_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("acd_callbacks") as batch:
        batch.add_column(sa.Column("outcome", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("acd_callbacks") as batch:
        batch.drop_column("outcome")
