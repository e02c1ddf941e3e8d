"""Coordinators: broadcasts, their durable per-recipient delivery table and poll answers.

Revision ID: d4e5f6a7b801
Revises: c2d4e6f8a001
Create Date: 2026-11-30 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "d4e5f6a7b801"
down_revision: str | None = "c2d4e6f8a001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DT = bot.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("poll", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("segment", sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("send_at", _DT, nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("status_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", _DT, nullable=False),
        sa.Column("started_at", _DT, nullable=True),
        sa.Column("finished_at", _DT, nullable=True),
        sa.Column("reported_at", _DT, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_broadcasts_status_send_at", "broadcasts", ["status", "send_at"], unique=False)
    op.create_table(
        "broadcast_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("not_before", _DT, nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", _DT, nullable=True),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["broadcast_id"], ["broadcasts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["family_id"], ["families.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("broadcast_id", "family_id", name="uq_broadcast_recipient"),
    )
    op.create_index(
        "ix_broadcast_recipients_status", "broadcast_recipients", ["broadcast_id", "status"], unique=False
    )
    op.create_index("ix_broadcast_recipients_family_id", "broadcast_recipients", ["family_id"], unique=False)
    op.create_table(
        "broadcast_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("option", sa.Integer(), nullable=False),
        sa.Column("answered_at", _DT, nullable=False),
        sa.ForeignKeyConstraint(["broadcast_id"], ["broadcasts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["family_id"], ["families.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("broadcast_id", "family_id", name="uq_broadcast_answer"),
    )
    op.create_index("ix_broadcast_answers_broadcast_id", "broadcast_answers", ["broadcast_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_broadcast_answers_broadcast_id", table_name="broadcast_answers")
    op.drop_table("broadcast_answers")
    op.drop_index("ix_broadcast_recipients_family_id", table_name="broadcast_recipients")
    op.drop_index("ix_broadcast_recipients_status", table_name="broadcast_recipients")
    op.drop_table("broadcast_recipients")
    op.drop_index("ix_broadcasts_status_send_at", table_name="broadcasts")
    op.drop_table("broadcasts")
