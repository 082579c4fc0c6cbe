"""tickets: work orders and their history

Revision ID: tickets_0001
Revises:
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "tickets_0001"
down_revision = None
branch_labels = ("tickets",)
depends_on = ("core_0001",)


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("caller", sa.String(32), nullable=False),
        sa.Column("caller_name", sa.String(40), nullable=False),
        sa.Column("id_number", sa.String(18), nullable=True),
        sa.Column("call_id", sa.String(64), nullable=True),
        sa.Column("topic", sa.String(60), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("province", sa.String(2), nullable=False),
        sa.Column("center_code", sa.String(2), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("opened_by", sa.Integer(), sa.ForeignKey("users.id", name="fk_tickets_opened_by_users"),
                  nullable=False),
        sa.Column("assignee_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_tickets_assignee_id_users"),
                  nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("closed_at", core.db.UTCDateTime(), nullable=True),
        sa.Column("closure_note", sa.Text(), nullable=False),
    )
    for column in ("call_id", "province", "center_code", "status", "assignee_id", "due_date"):
        op.create_index(f"ix_tickets_{column}", "tickets", [column])
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(),
                  sa.ForeignKey("tickets.id", ondelete="CASCADE", name="fk_ticket_events_ticket_id_tickets"),
                  nullable=False),
        sa.Column("at", core.db.UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_ticket_events_ticket_id", "ticket_events", ["ticket_id"])


def downgrade() -> None:
    op.drop_table("ticket_events")
    op.drop_table("tickets")
