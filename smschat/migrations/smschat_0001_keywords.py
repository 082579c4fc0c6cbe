"""smschat: the keyword commands, taken over from the SMS gateway's `sms_keywords` (issue 17: the
conversation channel left `sms/`; `sms_0002` drops the old table after this copy)

Revision ID: smschat_0001
Revises:
Create Date: 2026-12-10
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "smschat_0001"
down_revision = None
branch_labels = ("smschat",)
depends_on = ("sms_0001",)

COLUMNS = "keyword, action, reply, description, enabled"


def upgrade() -> None:
    op.create_table(
        "smschat_keywords",
        sa.Column("keyword", sa.String(16), primary_key=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
    )
    if sa.inspect(op.get_bind()).has_table("sms_keywords"):
        op.execute(f"INSERT INTO smschat_keywords ({COLUMNS}) SELECT {COLUMNS} FROM sms_keywords")


def downgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("sms_keywords"):  # recreated by sms_0002's downgrade
        op.execute(f"INSERT INTO sms_keywords ({COLUMNS}) SELECT {COLUMNS} FROM smschat_keywords")
    op.drop_table("smschat_keywords")
