"""A danger signal has a level: clear (emergency contacts) or possible (a gentle safety check).

Revision ID: 7d4e2a91c3b5
Revises: d1e2f3a4b501
Create Date: 2026-12-05 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d4e2a91c3b5"
down_revision: str | None = "d1e2f3a4b501"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crisis_events") as batch:
        batch.add_column(sa.Column("level", sa.String(length=8), nullable=False, server_default="clear"))


def downgrade() -> None:
    with op.batch_alter_table("crisis_events") as batch:
        batch.drop_column("level")
