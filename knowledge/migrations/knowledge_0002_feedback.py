"""knowledge: answer feedback (helpful / not, article used) for the editors' review queue

Revision ID: knowledge_0002
Revises: knowledge_0001
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "knowledge_0002"
down_revision = "knowledge_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", core.db.UTCDateTime(), nullable=False),
        sa.Column("article_id", sa.String(40), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=True),
        sa.Column("query", sa.String(200), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=True),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("call_id", sa.String(64), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", core.db.UTCDateTime(), nullable=True),
    )
    op.create_index("ix_kb_feedback_at", "kb_feedback", ["at"])
    op.create_index("ix_kb_feedback_article_id", "kb_feedback", ["article_id"])
    op.create_index("ix_kb_feedback_status", "kb_feedback", ["status"])


def downgrade() -> None:
    op.drop_table("kb_feedback")
