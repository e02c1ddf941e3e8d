"""Card applications can be taken from the queue by a coordinator (who and when).

Revision ID: b8c9d0e1f201
Revises: f6a7b8c9d001
Create Date: 2026-11-30 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "b8c9d0e1f201"
down_revision: str | None = "f6a7b8c9d001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("card_applications") as batch:
        batch.add_column(sa.Column("taken_by", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("taken_by_name", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("taken_at", bot.db.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("card_applications") as batch:
        batch.drop_column("taken_at")
        batch.drop_column("taken_by_name")
        batch.drop_column("taken_by")
