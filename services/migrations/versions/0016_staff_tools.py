"""staff tools: who works from a chat (to assign to), reply templates, banned residents;
tickets: when reopened, whether the reporter is anonymous, a neighbour's name and phone
(encrypted) when a grid contact files for them, a spoken description; the grid contact's grid

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("ticket", sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "ticket", sa.Column("anonymous", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    for column in ("neighbour_name_encrypted", "neighbour_phone_encrypted"):
        op.add_column("ticket", sa.Column(column, sa.String(length=1024), nullable=True))
    op.add_column(
        "ticket", sa.Column("neighbour_purged_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("ticket", sa.Column("voice_file_id", sa.String(length=256), nullable=True))
    op.add_column("role_grant", sa.Column("grid_code", sa.String(length=40), nullable=True))
    op.add_column("invitation", sa.Column("grid_code", sa.String(length=40), nullable=True))
    op.create_table(
        "chat_worker",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "user_id"),
    )
    op.create_table(
        "reply_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reply_template_chat_id", "reply_template", ["chat_id"])
    op.create_table(
        "resident_ban",
        sa.Column("resident_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("ticket_number", sa.String(length=16), nullable=False),
        sa.Column("banned_by", sa.BigInteger(), nullable=True),
        sa.Column("banned_by_name", sa.String(length=256), nullable=False),
        sa.Column("banned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("told", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("resident_id"),
    )


def downgrade() -> None:
    op.drop_table("resident_ban")
    op.drop_index("ix_reply_template_chat_id", table_name="reply_template")
    op.drop_table("reply_template")
    op.drop_table("chat_worker")
    op.drop_column("invitation", "grid_code")
    op.drop_column("role_grant", "grid_code")
    for column in ("neighbour_purged_at", "neighbour_phone_encrypted", "neighbour_name_encrypted"):
        op.drop_column("ticket", column)
    op.drop_column("ticket", "anonymous")
    op.drop_column("ticket", "voice_file_id")
    op.drop_column("ticket", "reopened_at")
