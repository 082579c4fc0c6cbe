"""sms: the keyword commands moved to the conversation channel (`smschat_0001` copied them into
`smschat_keywords`); the gateway drops its `sms_keywords`

Revision ID: sms_0002
Revises: sms_0001
Create Date: 2026-12-10
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sms_0002"
down_revision = "sms_0001"
branch_labels = None
depends_on = ("smschat_0001",)  # the rows are copied before the table goes


def upgrade() -> None:
    op.drop_table("sms_keywords")


def downgrade() -> None:
    op.create_table(
        "sms_keywords",
        sa.Column("keyword", sa.String(16), primary_key=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
    )
