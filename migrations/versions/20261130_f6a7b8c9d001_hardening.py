"""Trust and hardening: update claims remember their process, completion and (until done) the update; mutes.

Revision ID: f6a7b8c9d001
Revises: e5f6a7b8c901
Create Date: 2026-11-30 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "f6a7b8c9d001"
down_revision: str | None = "e5f6a7b8c901"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("processed_updates") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("done", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch.add_column(sa.Column("payload", sa.JSON(), nullable=True))
    op.create_table(
        "mutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tg_user_id", sa.BigInteger(), nullable=False),
        sa.Column("until", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by_tg_id", sa.BigInteger(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("notified", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_mutes_case_id_cases"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mutes")),
        sa.UniqueConstraint("tg_user_id", name=op.f("uq_mutes_tg_user_id")),
    )
    op.create_index(op.f("ix_mutes_until"), "mutes", ["until"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_mutes_until"), table_name="mutes")
    op.drop_table("mutes")
    with op.batch_alter_table("processed_updates") as batch:
        batch.drop_column("payload")
        batch.drop_column("done")
        batch.drop_column("owner")
