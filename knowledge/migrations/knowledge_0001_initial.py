"""knowledge: articles, revisions, history, notices, flags, query log

Revision ID: knowledge_0001
Revises:
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "knowledge_0001"
down_revision = None
branch_labels = ("knowledge",)
depends_on = ("core_0001",)


def upgrade() -> None:
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("published_revision_id", sa.Integer(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "kb_revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("article_id", sa.String(40),
                  sa.ForeignKey("kb_articles.id", ondelete="CASCADE", name="fk_kb_revisions_article_id_kb_articles"),
                  nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("short_answer", sa.String(60), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("synonyms", sa.JSON(), nullable=False),
        sa.Column("province", sa.String(2), nullable=False),
        sa.Column("city", sa.String(40), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("change_reason", sa.Text(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=False),
        sa.Column("published_at", core.db.UTCDateTime(), nullable=True),
    )
    op.create_index("ix_kb_revisions_article_id", "kb_revisions", ["article_id"])
    op.create_index("ix_kb_revisions_status", "kb_revisions", ["status"])
    op.create_index("ix_kb_revisions_category", "kb_revisions", ["category"])
    op.create_index("ix_kb_revisions_province", "kb_revisions", ["province"])
    op.create_table(
        "kb_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("article_id", sa.String(40), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", core.db.UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_kb_changes_article_id", "kb_changes", ["article_id"])
    op.create_table(
        "kb_notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("province", sa.String(2), nullable=False),
        sa.Column("article_id", sa.String(40), nullable=True),
        sa.Column("starts_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("ends_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_kb_notices_article_id", "kb_notices", ["article_id"])
    op.create_table(
        "kb_flags",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("article_id", sa.String(40), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", core.db.UTCDateTime(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=False),
    )
    op.create_index("ix_kb_flags_article_id", "kb_flags", ["article_id"])
    op.create_table(
        "kb_queries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", core.db.UTCDateTime(), nullable=False),
        sa.Column("query", sa.String(200), nullable=False),
        sa.Column("province", sa.String(2), nullable=True),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("no_answer", sa.Boolean(), nullable=False),
        sa.Column("top_article_id", sa.String(40), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
    )
    op.create_index("ix_kb_queries_at", "kb_queries", ["at"])
    op.create_index("ix_kb_queries_query", "kb_queries", ["query"])
    op.create_index("ix_kb_queries_no_answer", "kb_queries", ["no_answer"])


def downgrade() -> None:
    for table in ("kb_queries", "kb_flags", "kb_notices", "kb_changes", "kb_revisions", "kb_articles"):
        op.drop_table(table)
