"""Material help: the family's status notices are counted, so one a restart cut off is sent later.

Revision ID: a7b8c9d0e601
Revises: f2b3c4d5e601
Create Date: 2026-12-05 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "a7b8c9d0e601"
down_revision: str | None = "f2b3c4d5e601"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("aid_requests") as batch:
        batch.add_column(sa.Column("notice_seq", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("told_seq", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("status_at", bot.db.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("aid_requests") as batch:
        batch.drop_column("status_at")
        batch.drop_column("told_seq")
        batch.drop_column("notice_seq")
