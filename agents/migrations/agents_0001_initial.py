"""agents: agent profiles, wrap-ups, callbacks, interval statistics

Revision ID: agents_0001
Revises:
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "agents_0001"
down_revision = None
branch_labels = ("agents",)
depends_on = ("core_0001",)


def upgrade() -> None:
    op.create_table(
        "acd_agents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE",
                                                         name="fk_acd_agents_user_id_users"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("center_code", sa.String(2), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("user_id", name="uq_acd_agents_user_id"),
    )
    op.create_index("ix_acd_agents_center_code", "acd_agents", ["center_code"])
    op.create_table(
        "acd_wrapups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("acd_agents.id", ondelete="CASCADE",
                                                          name="fk_acd_wrapups_agent_id_acd_agents"),
                  nullable=False),
        sa.Column("queue_id", sa.String(30), nullable=False),
        sa.Column("disposition", sa.String(30), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("handle_seconds", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
    )
    op.create_index("ix_acd_wrapups_call_id", "acd_wrapups", ["call_id"])
    op.create_index("ix_acd_wrapups_agent_id", "acd_wrapups", ["agent_id"])
    op.create_table(
        "acd_callbacks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("queue_id", sa.String(30), nullable=False),
        sa.Column("center_code", sa.String(2), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("waited_seconds", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("done_at", core.db.UTCDateTime(), nullable=True),
    )
    op.create_index("ix_acd_callbacks_call_id", "acd_callbacks", ["call_id"])
    op.create_index("ix_acd_callbacks_center_code", "acd_callbacks", ["center_code"])
    op.create_table(
        "acd_interval_stats",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("interval_start", core.db.UTCDateTime(), nullable=False),
        sa.Column("scope", sa.String(40), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in
          ("offered", "answered", "answered_sl", "abandoned", "handled", "rna")],
        sa.Column("wait_ms", sa.BigInteger(), nullable=False),
        sa.Column("handle_ms", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("interval_start", "scope", name="uq_acd_interval_stats_interval_scope"),
    )
    op.create_index("ix_acd_interval_stats_interval_start", "acd_interval_stats", ["interval_start"])
    op.create_index("ix_acd_interval_stats_scope", "acd_interval_stats", ["scope"])


def downgrade() -> None:
    for table in ("acd_interval_stats", "acd_callbacks", "acd_wrapups", "acd_agents"):
        op.drop_table(table)
