"""recordings: recorded legs and holds

Revision ID: recordings_0001
Revises:
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "recordings_0001"
down_revision = None
branch_labels = ("recordings",)
depends_on = ("core_0001",)


def upgrade() -> None:
    ts = core.db.UTCDateTime
    op.create_table(
        "rec_recordings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("leg", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("agent_user_id", sa.Integer(), nullable=True),
        sa.Column("province", sa.String(2), nullable=False),
        sa.Column("queue_id", sa.String(64), nullable=True),
        sa.Column("caller_masked", sa.String(32), nullable=False),
        sa.Column("started_at", ts(), nullable=False),
        sa.Column("ended_at", ts(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("checksum", sa.String(64), nullable=True),
        sa.Column("codec", sa.String(16), nullable=True),
        sa.Column("storage_key", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("source_ref", sa.String(128), nullable=True),
        sa.Column("gaps", sa.JSON(), nullable=False),
        sa.Column("paused_at", ts(), nullable=True),
        sa.Column("expires_at", ts(), nullable=True),
        sa.Column("purged_at", ts(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("transcript", sa.Text(), nullable=True),
        sa.Column("transcript_engine", sa.String(40), nullable=True),
    )
    for col in ("call_id", "agent_id", "province", "started_at", "status", "source_ref", "expires_at"):
        op.create_index(f"ix_rec_recordings_{col}", "rec_recordings", [col])
    op.create_table(
        "rec_holds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("recording_id", sa.Integer(), sa.ForeignKey("rec_recordings.id", ondelete="CASCADE",
                                              name="fk_rec_holds_recording_id_rec_recordings"),
                  nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("placed_by", sa.String(64), nullable=False),
        sa.Column("placed_at", ts(), nullable=False),
        sa.Column("released_by", sa.String(64), nullable=True),
        sa.Column("released_at", ts(), nullable=True),
    )
    op.create_index("ix_rec_holds_recording_id", "rec_holds", ["recording_id"])


def downgrade() -> None:
    op.drop_table("rec_holds")
    op.drop_table("rec_recordings")
