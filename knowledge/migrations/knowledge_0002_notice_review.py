"""knowledge: four-eyes review of notices (status, reviewed_by)

Revision ID: knowledge_0002_notice_review
Revises: knowledge_0001
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "knowledge_0002_notice_review"
down_revision = "knowledge_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kb_notices") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="published"))
        batch.add_column(sa.Column("reviewed_by", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kb_notices") as batch:
        batch.drop_column("reviewed_by")
        batch.drop_column("status")
