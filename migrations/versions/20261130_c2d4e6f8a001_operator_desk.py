"""Operator desk: case timings and reminders, unmet needs, the durable relay outbox.

Revision ID: c2d4e6f8a001
Revises: b1f0c0a1e001
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "c2d4e6f8a001"
down_revision: str | None = "b1f0c0a1e001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DT = bot.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("taken_at", _DT, nullable=True))
        batch.add_column(sa.Column("last_family_at", _DT, nullable=True))
        batch.add_column(sa.Column("last_staff_at", _DT, nullable=True))
        batch.add_column(sa.Column("reminder_stage", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("answer_reminded_at", _DT, nullable=True))
        batch.add_column(sa.Column("family_notice_at", _DT, nullable=True))
        batch.add_column(sa.Column("checkin_due_at", _DT, nullable=True))
        batch.add_column(sa.Column("checkin_sent_at", _DT, nullable=True))
        batch.add_column(sa.Column("unmet_needs", sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("from_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("from_message_id", sa.BigInteger(), nullable=True),
        sa.Column("group_key", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=8), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("not_before", _DT, nullable=False),
        sa.Column("created_at", _DT, nullable=False),
        sa.Column("sent_at", _DT, nullable=True),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbox_case_id", "outbox", ["case_id"], unique=False)
    op.create_index("ix_outbox_status_due", "outbox", ["status", "not_before"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_status_due", table_name="outbox")
    op.drop_index("ix_outbox_case_id", table_name="outbox")
    op.drop_table("outbox")
    with op.batch_alter_table("cases") as batch:
        for column in (
            "unmet_needs",
            "checkin_sent_at",
            "checkin_due_at",
            "family_notice_at",
            "answer_reminded_at",
            "reminder_stage",
            "last_staff_at",
            "last_family_at",
            "taken_at",
        ):
            batch.drop_column(column)
