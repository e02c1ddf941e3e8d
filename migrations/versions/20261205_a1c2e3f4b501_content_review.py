"""Content review: coordinators' re-checks of data items and the weekly stale-content digest.

Revision ID: a1c2e3f4b501
Revises: 7d4e2a91c3b5
Create Date: 2026-12-05 08:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "a1c2e3f4b501"
down_revision: str | None = "7d4e2a91c3b5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "content_rechecks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=200), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("next_review", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("by_tg_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_rechecks")),
    )
    op.create_index(op.f("ix_content_rechecks_item_key"), "content_rechecks", ["item_key"])
    op.create_table(
        "content_digests",
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("sent_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("week", name=op.f("pk_content_digests")),
    )


def downgrade() -> None:
    op.drop_table("content_digests")
    op.drop_index(op.f("ix_content_rechecks_item_key"), table_name="content_rechecks")
    op.drop_table("content_rechecks")
