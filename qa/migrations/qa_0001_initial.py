"""qa: scoring forms, reviews, comments

Revision ID: qa_0001
Revises:
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "qa_0001"
down_revision = None
branch_labels = ("qa",)
depends_on = ("core_0001",)


def upgrade() -> None:
    ts = core.db.UTCDateTime
    op.create_table(
        "qa_forms",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("province", sa.String(2), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", ts(), nullable=False),
    )
    op.create_index("ix_qa_forms_province", "qa_forms", ["province"])
    op.create_table(
        "qa_reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("province", sa.String(2), nullable=False),
        sa.Column("queue_id", sa.String(64), nullable=True),
        sa.Column("form_id", sa.Integer(), sa.ForeignKey("qa_forms.id", name="fk_qa_reviews_form_id_qa_forms"),
                  nullable=False),
        sa.Column("source", sa.String(24), nullable=False),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("critical_failed", sa.Boolean(), nullable=False),
        sa.Column("created_at", ts(), nullable=False),
        sa.Column("completed_at", ts(), nullable=True),
        sa.Column("ack_status", sa.String(12), nullable=True),
        sa.Column("ack_at", ts(), nullable=True),
        sa.Column("dispute_reason", sa.Text(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.UniqueConstraint("recording_id", name="uq_qa_reviews_recording_id"),
    )
    for col in ("call_id", "agent_id", "province", "week", "status", "completed_at"):
        op.create_index(f"ix_qa_reviews_{col}", "qa_reviews", [col])
    op.create_table(
        "qa_comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("review_id", sa.Integer(),
                  sa.ForeignKey("qa_reviews.id", ondelete="CASCADE", name="fk_qa_comments_review_id_qa_reviews"),
                  nullable=False),
        sa.Column("offset_s", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", ts(), nullable=False),
    )
    op.create_index("ix_qa_comments_review_id", "qa_comments", ["review_id"])


def downgrade() -> None:
    op.drop_table("qa_comments")
    op.drop_table("qa_reviews")
    op.drop_table("qa_forms")
