"""Family wellbeing check-in: the answers of «Как дела у семьи?» and the opt-in reminder to repeat it.

Revision ID: d1e2f3a4b501
Revises: c9d0e1f2a301
Create Date: 2026-12-05 07:58:15.861565
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "d1e2f3a4b501"
down_revision: str | None = "c9d0e1f2a301"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wellbeing_checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=True),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=8), server_default="open", nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("hard", sa.JSON(), nullable=False),
        sa.Column("shared", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("started_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["families.id"],
            name=op.f("fk_wellbeing_checkins_family_id_families"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wellbeing_checkins")),
    )
    with op.batch_alter_table("wellbeing_checkins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wellbeing_checkins_family_id"), ["family_id"], unique=False)
        batch_op.create_index(
            "ix_wellbeing_checkins_status_finished", ["status", "finished_at"], unique=False
        )

    op.create_table(
        "wellbeing_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("due_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["families.id"],
            name=op.f("fk_wellbeing_reminders_family_id_families"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wellbeing_reminders")),
        sa.UniqueConstraint("family_id", name=op.f("uq_wellbeing_reminders_family_id")),
    )
    with op.batch_alter_table("wellbeing_reminders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wellbeing_reminders_due_at"), ["due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wellbeing_reminders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wellbeing_reminders_due_at"))

    op.drop_table("wellbeing_reminders")
    with op.batch_alter_table("wellbeing_checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_wellbeing_checkins_status_finished")
        batch_op.drop_index(batch_op.f("ix_wellbeing_checkins_family_id"))

    op.drop_table("wellbeing_checkins")
