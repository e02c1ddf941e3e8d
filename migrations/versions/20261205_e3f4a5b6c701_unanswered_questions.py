"""Unanswered questions: the theme and day of messages the bot could not answer by itself (no text, no family).

Revision ID: e3f4a5b6c701
Revises: a1c2e3f4b501
Create Date: 2026-12-05 08:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e3f4a5b6c701"
down_revision: str | None = "a1c2e3f4b501"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unanswered_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("theme", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_unanswered_questions_day", "unanswered_questions", ["day"])


def downgrade() -> None:
    op.drop_index("ix_unanswered_questions_day", table_name="unanswered_questions")
    op.drop_table("unanswered_questions")
