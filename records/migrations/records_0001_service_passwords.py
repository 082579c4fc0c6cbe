"""records: hashed citizen service passwords

Revision ID: records_0001
Revises:
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "records_0001"
down_revision = None
branch_labels = ("records",)
depends_on = ("core_0001",)


def upgrade() -> None:
    op.create_table(
        "records_service_passwords",
        sa.Column("id_number", sa.String(18), primary_key=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("must_change", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("set_at", core.db.UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("records_service_passwords")
