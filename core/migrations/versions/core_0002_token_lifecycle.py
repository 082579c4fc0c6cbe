"""core: API token lifecycle (expiry, scopes, revocation time and actor, last use)

Revision ID: core_0002_token_lifecycle
Revises: core_0001
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "core_0002_token_lifecycle"
down_revision = "core_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", core.db.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("scopes", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("revoked_at", core.db.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("revoked_by", sa.String(100), nullable=True))
        batch.add_column(sa.Column("last_used_at", core.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        for name in ("last_used_at", "revoked_by", "revoked_at", "scopes", "expires_at"):
            batch.drop_column(name)
