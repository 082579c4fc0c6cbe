"""sms: outbox, templates, keywords, suppressions, inbound log

Revision ID: sms_0001
Revises:
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "sms_0001"
down_revision = None
branch_labels = ("sms",)
depends_on = ("core_0001",)


def upgrade() -> None:
    ts = core.db.UTCDateTime
    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("idempotency_key", sa.String(160), nullable=False),
        sa.Column("template", sa.String(64), nullable=True),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("recipient", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("encoding", sa.String(8), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", ts(), nullable=False),
        sa.Column("expires_at", ts(), nullable=False),
        sa.Column("claim_token", sa.String(32), nullable=True),
        sa.Column("lease_until", ts(), nullable=True),
        sa.Column("provider", sa.String(32), nullable=True),
        sa.Column("preferred_provider", sa.String(32), nullable=True),
        sa.Column("provider_message_id", sa.String(128), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("deferred_reason", sa.String(32), nullable=True),
        sa.Column("dlr_status", sa.String(32), nullable=True),
        sa.Column("session_id", sa.String(64), nullable=True),
        sa.Column("created_at", ts(), nullable=False),
        sa.Column("sending_at", ts(), nullable=True),
        sa.Column("sent_at", ts(), nullable=True),
        sa.Column("delivered_at", ts(), nullable=True),
        sa.Column("failed_at", ts(), nullable=True),
        sa.Column("dlr_at", ts(), nullable=True),
        sa.UniqueConstraint("idempotency_key", name="uq_sms_outbox_idempotency_key"),
    )
    op.create_index("ix_sms_outbox_claim", "sms_outbox", ["status", "priority", "next_attempt_at"])
    op.create_index("ix_sms_outbox_recipient", "sms_outbox", ["recipient"])
    op.create_index("ix_sms_outbox_provider_message_id", "sms_outbox", ["provider_message_id"])
    op.create_table(
        "sms_templates",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("updated_at", ts(), nullable=False),
    )
    op.create_table(
        "sms_keywords",
        sa.Column("keyword", sa.String(16), primary_key=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "sms_suppressions",
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column("keyword", sa.String(16), nullable=False),
        sa.Column("created_at", ts(), nullable=False),
    )
    op.create_table(
        "sms_inbound",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("received_at", ts(), nullable=False),
        sa.Column("handled_at", ts(), nullable=False),
        sa.Column("reply_outbox_id", sa.Integer(), nullable=True),
        sa.Column("replied_at", ts(), nullable=True),
    )
    op.create_index("ix_sms_inbound_sender", "sms_inbound", ["sender"])
    op.create_index("ix_sms_inbound_received_at", "sms_inbound", ["received_at"])
    op.create_index("ix_sms_inbound_reply_outbox_id", "sms_inbound", ["reply_outbox_id"])


def downgrade() -> None:
    for table in ("sms_inbound", "sms_suppressions", "sms_keywords", "sms_templates", "sms_outbox"):
        op.drop_table(table)
