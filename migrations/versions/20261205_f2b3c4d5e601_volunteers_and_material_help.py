"""Volunteers and material help («окна помощи»): volunteers, families' requests for things, volunteers' tasks.

Revision ID: f2b3c4d5e601
Revises: e3f4a5b6c701
Create Date: 2026-12-05 13:45:17.400635
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "f2b3c4d5e601"
down_revision: str | None = "e3f4a5b6c701"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "volunteers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tg_user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column("language", sa.String(length=8), server_default="ru", nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("availability", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="applied", nullable=False),
        sa.Column("consent_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("consent_version", sa.String(length=32), nullable=False),
        sa.Column("created_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteers")),
        sa.UniqueConstraint("tg_user_id", name=op.f("uq_volunteers_tg_user_id")),
    )
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.create_index("ix_volunteers_status_region", ["status", "region"], unique=False)

    op.create_table(
        "aid_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(length=16), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("details", sa.String(length=500), nullable=True),
        sa.Column("urgency", sa.String(length=16), server_default="routine", nullable=False),
        sa.Column("route", sa.String(length=16), server_default="coordinators", nullable=False),
        sa.Column("status", sa.String(length=16), server_default="new", nullable=False),
        sa.Column("taken_by", sa.BigInteger(), nullable=True),
        sa.Column("taken_by_name", sa.String(length=128), nullable=True),
        sa.Column("place_id", sa.String(length=64), nullable=True),
        sa.Column("pickup", sa.String(length=500), nullable=True),
        sa.Column("unmet_reason", sa.String(length=64), nullable=True),
        sa.Column("created_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("taken_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handed_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["families.id"],
            name=op.f("fk_aid_requests_family_id_families"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aid_requests")),
    )
    with op.batch_alter_table("aid_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_aid_requests_family_id"), ["family_id"], unique=False)
        batch_op.create_index("ix_aid_requests_status_region", ["status", "region"], unique=False)

    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="offered", nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_assignments_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index("ix_assignments_target", ["kind", "target_id"], unique=False)
        batch_op.create_index("ix_assignments_volunteer_status", ["volunteer_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_assignments_volunteer_status")
        batch_op.drop_index("ix_assignments_target")

    op.drop_table("assignments")
    with op.batch_alter_table("aid_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_aid_requests_status_region")
        batch_op.drop_index(batch_op.f("ix_aid_requests_family_id"))

    op.drop_table("aid_requests")
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_index("ix_volunteers_status_region")

    op.drop_table("volunteers")
