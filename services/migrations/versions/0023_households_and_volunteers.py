"""households a grid contact looks after; volunteers, their tasks, shifts and monthly thanks

Revision ID: 0023
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "household",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.BigInteger(), nullable=False),
        sa.Column("grid_code", sa.String(length=40), nullable=False),
        sa.Column("label_encrypted", sa.String(length=1024), nullable=False),
        sa.Column("phone_encrypted", sa.String(length=1024), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_household_contact_id"), "household", ["contact_id"], unique=False)
    op.create_index(op.f("ix_household_grid_code"), "household", ["grid_code"], unique=False)
    op.create_table(
        "volunteer",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name_encrypted", sa.String(length=1024), nullable=False),
        sa.Column("phone_encrypted", sa.String(length=1024), nullable=True),
        sa.Column("skills", sa.String(length=200), nullable=False),
        sa.Column("availability", sa.String(length=100), nullable=False),
        sa.Column("grid_code", sa.String(length=40), nullable=False),
        sa.Column("community_code", sa.String(length=40), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_index(op.f("ix_volunteer_grid_code"), "volunteer", ["grid_code"], unique=False)
    op.create_table(
        "volunteer_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("grid_code", sa.String(length=40), nullable=False),
        sa.Column("what", sa.String(length=500), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("needed", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("skills", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("accepted <= needed", name="ck_volunteer_task_full"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_volunteer_task_staff_chat_id"), "volunteer_task", ["staff_chat_id"], unique=False
    )
    op.create_table(
        "volunteer_thanks",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "month"),
    )
    op.create_table(
        "volunteer_shift",
        sa.Column("task_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["volunteer_task.id"],
        ),
        sa.PrimaryKeyConstraint("task_id", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("volunteer_shift")
    op.drop_table("volunteer_thanks")
    op.drop_index(op.f("ix_volunteer_task_staff_chat_id"), table_name="volunteer_task")
    op.drop_table("volunteer_task")
    op.drop_index(op.f("ix_volunteer_grid_code"), table_name="volunteer")
    op.drop_table("volunteer")
    op.drop_index(op.f("ix_household_grid_code"), table_name="household")
    op.drop_index(op.f("ix_household_contact_id"), table_name="household")
    op.drop_table("household")
