"""Update claims remember their chat (as a keyed hash), so that an unfinished screen is not replayed over a later one.

Revision ID: c9d0e1f2a301
Revises: b8c9d0e1f201
Create Date: 2026-12-03 23:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c9d0e1f2a301"
down_revision: str | None = "b8c9d0e1f201"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("processed_updates") as batch:
        batch.add_column(sa.Column("chat_key", sa.BigInteger(), nullable=True))
        batch.create_index("ix_processed_updates_chat_key_update_id", ["chat_key", "update_id"])


def downgrade() -> None:
    with op.batch_alter_table("processed_updates") as batch:
        batch.drop_index("ix_processed_updates_chat_key_update_id")
        batch.drop_column("chat_key")
