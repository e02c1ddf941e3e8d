"""The social family card: applications, cards, partners and their staff, invitations, offers, checks, notices.

Revision ID: e5f6a7b8c901
Revises: d4e5f6a7b801
Create Date: 2026-11-30 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "e5f6a7b8c901"
down_revision: str | None = "d4e5f6a7b801"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
    )
    op.create_table(
        "family_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("issued_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.String(length=64), nullable=True),
        sa.Column("notify_offers", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("qr_file_id", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["families.id"],
            name=op.f("fk_family_cards_family_id_families"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_cards")),
        sa.UniqueConstraint("number", name=op.f("uq_family_cards_number")),
    )
    with op.batch_alter_table("family_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_family_cards_family_id"), ["family_id"], unique=False)

    op.create_table(
        "partner_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_partner_invites_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_partner_invites_token_hash")),
    )
    with op.batch_alter_table("partner_invites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_invites_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "partner_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("tg_user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_partner_members_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_members")),
        sa.UniqueConstraint("tg_user_id", name=op.f("uq_partner_members_tg_user_id")),
    )
    with op.batch_alter_table("partner_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_members_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "partner_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("discount", sa.String(length=100), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("online", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("valid_from", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="proposed", nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("notices_done", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_partner_offers_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_offers")),
    )
    with op.batch_alter_table("partner_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_offers_partner_id"), ["partner_id"], unique=False)
        batch_op.create_index("ix_partner_offers_status", ["status", "valid_until"], unique=False)

    op.create_table(
        "card_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=True),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("document_file_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="submitted", nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["family_cards.id"],
            name=op.f("fk_card_applications_card_id_family_cards"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["families.id"],
            name=op.f("fk_card_applications_family_id_families"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_applications")),
    )
    with op.batch_alter_table("card_applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_applications_family_id"), ["family_id"], unique=False)
        batch_op.create_index("ix_card_applications_status", ["status", "created_at"], unique=False)

    op.create_table(
        "card_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("member_tg_id", sa.BigInteger(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=True),
        sa.Column("redeemed_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["family_cards.id"],
            name=op.f("fk_card_checks_card_id_family_cards"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["partner_offers.id"],
            name=op.f("fk_card_checks_offer_id_partner_offers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_card_checks_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_checks")),
    )
    with op.batch_alter_table("card_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_checks_member_tg_id"), ["member_tg_id"], unique=False)
        batch_op.create_index("ix_card_checks_partner_at", ["partner_id", "at"], unique=False)

    op.create_table(
        "offer_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["family_cards.id"],
            name=op.f("fk_offer_notices_card_id_family_cards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["partner_offers.id"],
            name=op.f("fk_offer_notices_offer_id_partner_offers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_notices")),
        sa.UniqueConstraint("offer_id", "card_id", name="uq_offer_notice"),
    )
    with op.batch_alter_table("offer_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offer_notices_card_id"), ["card_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("offer_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offer_notices_card_id"))

    op.drop_table("offer_notices")
    with op.batch_alter_table("card_checks", schema=None) as batch_op:
        batch_op.drop_index("ix_card_checks_partner_at")
        batch_op.drop_index(batch_op.f("ix_card_checks_member_tg_id"))

    op.drop_table("card_checks")
    with op.batch_alter_table("card_applications", schema=None) as batch_op:
        batch_op.drop_index("ix_card_applications_status")
        batch_op.drop_index(batch_op.f("ix_card_applications_family_id"))

    op.drop_table("card_applications")
    with op.batch_alter_table("partner_offers", schema=None) as batch_op:
        batch_op.drop_index("ix_partner_offers_status")
        batch_op.drop_index(batch_op.f("ix_partner_offers_partner_id"))

    op.drop_table("partner_offers")
    with op.batch_alter_table("partner_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_members_partner_id"))

    op.drop_table("partner_members")
    with op.batch_alter_table("partner_invites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_invites_partner_id"))

    op.drop_table("partner_invites")
    with op.batch_alter_table("family_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_family_cards_family_id"))

    op.drop_table("family_cards")
    op.drop_table("partners")
