"""switch: centers, queues, calendar overrides, handoffs

Revision ID: switch_0001
Revises:
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "switch_0001"
down_revision = None
branch_labels = ("switch",)
depends_on = ("core_0001",)


def upgrade() -> None:
    op.create_table(
        "switch_centers",
        sa.Column("code", sa.String(2), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("base_url", sa.String(200), nullable=True),
        sa.Column("trunk", sa.String(100), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("weekly_hours", sa.JSON(), nullable=False),
        sa.Column("overflow", sa.JSON(), nullable=False),
        sa.Column("emergency_closed", sa.Boolean(), nullable=False),
        sa.Column("emergency_text", sa.Text(), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(), nullable=False),
    )
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
    op.create_table(
        "switch_calendar",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("center_code", sa.String(2), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.UniqueConstraint("day", "center_code", name="uq_switch_calendar_day_center"),
    )
    op.create_table(
        "switch_handoffs",
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("from_center", sa.String(2), nullable=False),
        sa.Column("to_center", sa.String(2), nullable=False),
        sa.Column("remote_call_id", sa.String(64), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("claimed_call_id", sa.String(64), nullable=True),
        sa.Column("claimed_at", core.db.UTCDateTime(), nullable=True),
        sa.UniqueConstraint("code", name="uq_switch_handoffs_code"),
    )


def downgrade() -> None:
    op.drop_table("switch_handoffs")
    op.drop_table("switch_calendar")
    op.drop_index("ix_switch_queues_center_code", table_name="switch_queues")
    op.drop_table("switch_queues")
    op.drop_table("switch_centers")
