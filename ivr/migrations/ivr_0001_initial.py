"""ivr: flow versions, call log, survey results

Revision ID: ivr_0001
Revises:
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "ivr_0001"
down_revision = None
branch_labels = ("ivr",)
depends_on = ("core_0001",)


def upgrade() -> None:
    op.create_table(
        "ivr_flow_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entry", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("published_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("published_by", sa.String(100), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.UniqueConstraint("entry", "version", name="uq_ivr_flow_versions_entry_version"),
    )
    op.create_index("ix_ivr_flow_versions_entry", "ivr_flow_versions", ["entry"])
    op.create_table(
        "ivr_calls",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("caller", sa.String(32), nullable=True),
        sa.Column("id_hash", sa.String(64), nullable=True),
        sa.Column("id_masked", sa.String(20), nullable=True),
        sa.Column("entry", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("flow_version_id", sa.Integer(),
                  sa.ForeignKey("ivr_flow_versions.id", name="fk_ivr_calls_flow_version_id_ivr_flow_versions"),
                  nullable=True),
        sa.Column("flow_version", sa.Integer(), nullable=True),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("routing", sa.JSON(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("province", sa.String(2), nullable=True),
        sa.Column("topic", sa.String(40), nullable=True),
        sa.Column("outcome", sa.String(40), nullable=True),
        sa.Column("started_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("ended_at", core.db.UTCDateTime(), nullable=True),
        sa.UniqueConstraint("call_id", name="uq_ivr_calls_call_id"),
    )
    op.create_index("ix_ivr_calls_caller", "ivr_calls", ["caller"])
    op.create_index("ix_ivr_calls_id_hash", "ivr_calls", ["id_hash"])
    op.create_index("ix_ivr_calls_started_at", "ivr_calls", ["started_at"])
    op.create_table(
        "ivr_survey_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("question", sa.String(40), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(20), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("queue_id", sa.String(40), nullable=True),
        sa.Column("province", sa.String(2), nullable=True),
        sa.Column("entry", sa.String(20), nullable=False),
        sa.Column("flow_version", sa.Integer(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
    )
    op.create_index("ix_ivr_survey_results_call_id", "ivr_survey_results", ["call_id"])
    op.create_index("ix_ivr_survey_results_agent_id", "ivr_survey_results", ["agent_id"])
    op.create_index("ix_ivr_survey_results_created_at", "ivr_survey_results", ["created_at"])


def downgrade() -> None:
    for table in ("ivr_survey_results", "ivr_calls", "ivr_flow_versions"):
        op.drop_table(table)
