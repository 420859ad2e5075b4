"""routing in the database: communities, grids, their chats, and a version every process polls

Revision ID: 0014
Revises: 0013

The routing file's communities and grids move into tables, seeded from the file on the first
start; `routing_version` is raised with every change (an import, a chat bound from Telegram), and
every process reloads when it sees a new number. Each community and grid keeps its entry as the
file writes it (JSON), beside the columns the bot looks things up by.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "routing_community",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("entry", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "routing_grid",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("community_code", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("entry", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index(
        "ix_routing_grid_community", "routing_grid", ["community_code", "position"], unique=False
    )
    op.create_table(
        "routing_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("routing_version")
    op.drop_index("ix_routing_grid_community", table_name="routing_grid")
    op.drop_table("routing_grid")
    op.drop_table("routing_community")
