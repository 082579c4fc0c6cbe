"""switch: the official calendar per year in the database, the caller blocklist

Revision ID: switch_0002
Revises: switch_0001
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "switch_0002"
down_revision = "switch_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "switch_official_days",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
    )
    op.create_index("ix_switch_official_days_year", "switch_official_days", ["year"])
    op.create_table(
        "switch_calendar_years",
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "switch_blocklist",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("scope", sa.String(2), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("lifted_at", core.db.UTCDateTime(), nullable=True),
        sa.Column("lifted_by", sa.String(64), nullable=True),
    )
    op.create_index("ix_switch_blocklist_number", "switch_blocklist", ["number"])


def downgrade() -> None:
    op.drop_index("ix_switch_blocklist_number", table_name="switch_blocklist")
    op.drop_table("switch_blocklist")
    op.drop_table("switch_calendar_years")
    op.drop_index("ix_switch_official_days_year", table_name="switch_official_days")
    op.drop_table("switch_official_days")
