"""agents: an endpoint per voice channel (Asterisk softphone and Twilio browser for one agent)

Revision ID: agents_0004
Revises: agents_0003
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "agents_0004"
down_revision = "agents_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("acd_agents") as batch:
        batch.add_column(sa.Column("endpoints", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("acd_agents") as batch:
        batch.drop_column("endpoints")
