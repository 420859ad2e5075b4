"""open311 and the public board: API keys, Open311 requesters, board publications

Revision ID: 0013
Revises: 0011

An API key is kept as a SHA-256 hash only. A request filed through Open311 keeps the client's
name, a token, and the requester's contact details in one encrypted column (purged on
schedule). A board publication is the public summary staff wrote for a resolved ticket.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("revoked_at", MOMENT, nullable=True),
    )
    op.create_index("ix_api_key_key_hash", "api_key", ["key_hash"], unique=True)
    op.create_index("ix_api_key_name", "api_key", ["name"], unique=True)
    op.create_table(
        "open311_request",
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), primary_key=True),
        sa.Column("api_key_id", sa.Integer(), sa.ForeignKey("api_key.id"), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("contact_encrypted", sa.Text(), nullable=True),
        sa.Column("purged_at", MOMENT, nullable=True),
    )
    op.create_index("ix_open311_request_token", "open311_request", ["token"], unique=True)
    op.create_index("ix_open311_request_api_key_id", "open311_request", ["api_key_id"])
    op.create_table(
        "board_publication",
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), primary_key=True),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("published_by", sa.BigInteger(), nullable=False),
        sa.Column("published_at", MOMENT, nullable=False),
    )
    op.create_index(
        "ix_board_publication_published_at", "board_publication", ["published_at"]
    )


def downgrade() -> None:
    op.drop_table("board_publication")
    op.drop_table("open311_request")
    op.drop_table("api_key")
