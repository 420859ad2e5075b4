"""rental houses, their tenants' registrations (encrypted) and inspections

Revision ID: 0021
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rental_house",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("join_code", sa.String(length=24), nullable=False),
        sa.Column("landlord_id", sa.BigInteger(), nullable=False),
        sa.Column("landlord_locale", sa.String(length=8), nullable=False),
        sa.Column("grid", sa.String(length=40), nullable=False),
        sa.Column("address_encrypted", sa.String(length=1024), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("rooms", sa.Integer(), nullable=False),
        sa.Column("beds", sa.Integer(), nullable=False),
        sa.Column("landlord_contact_encrypted", sa.String(length=1024), nullable=True),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("colour", sa.String(length=8), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("next_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_inspected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("join_code"),
    )
    op.create_index("ix_rental_house_landlord_id", "rental_house", ["landlord_id"])
    op.create_index("ix_rental_house_grid", "rental_house", ["grid"])
    op.create_index("ix_rental_house_colour", "rental_house", ["colour"])
    op.create_index("ix_rental_house_next_due", "rental_house", ["next_due"])
    op.create_table(
        "rental_tenant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("house_id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("name_encrypted", sa.String(length=1024), nullable=True),
        sa.Column("document_type", sa.String(length=16), nullable=False),
        sa.Column("document_encrypted", sa.String(length=1024), nullable=True),
        sa.Column("phone_encrypted", sa.String(length=1024), nullable=True),
        sa.Column("move_in", sa.Date(), nullable=False),
        sa.Column("moved_out_on", sa.Date(), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["house_id"], ["rental_house.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rental_tenant_house_id", "rental_tenant", ["house_id"])
    op.create_index("ix_rental_tenant_telegram_id", "rental_tenant", ["telegram_id"])
    op.create_table(
        "rental_inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("house_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("inspector_id", sa.BigInteger(), nullable=False),
        sa.Column("inspector_name", sa.String(length=256), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("message_ids", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["house_id"], ["rental_house.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rental_inspection_house_id", "rental_inspection", ["house_id"])


def downgrade() -> None:
    op.drop_index("ix_rental_inspection_house_id", table_name="rental_inspection")
    op.drop_table("rental_inspection")
    op.drop_index("ix_rental_tenant_telegram_id", table_name="rental_tenant")
    op.drop_index("ix_rental_tenant_house_id", table_name="rental_tenant")
    op.drop_table("rental_tenant")
    for column in ("next_due", "colour", "grid", "landlord_id"):
        op.drop_index(f"ix_rental_house_{column}", table_name="rental_house")
    op.drop_table("rental_house")
