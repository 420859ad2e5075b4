"""tickets keep their response and resolution spans (the dashboard's weekly medians read one
index); the chats where someone acted as staff (the dashboard's sign-in asks only those)

Revision ID: 0027
Revises: 0028
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _seconds(earlier: str, later: str) -> str:
    """SQL for the whole seconds between two timestamp columns, in this database's words."""
    if op.get_bind().dialect.name == "sqlite":
        return f"CAST(round((julianday({later}) - julianday({earlier})) * 86400) AS INTEGER)"
    return f"CAST(round(date_part('epoch', {later} - {earlier})) AS INTEGER)"


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("response_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resolution_seconds", sa.Integer(), nullable=True))
    # the tickets already there: their spans from their moments, once
    op.execute(
        "UPDATE ticket SET "
        f"response_seconds = {_seconds('created_at', 'first_response_at')}, "
        f"resolution_seconds = {_seconds('created_at', 'resolved_at')} "
        "WHERE first_response_at IS NOT NULL OR resolved_at IS NOT NULL"
    )
    op.create_index(
        "ix_ticket_spans",
        "ticket",
        ["created_at", "response_seconds", "resolution_seconds"],
        unique=False,
    )
    op.create_table(
        "staff_sighting",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "chat_id"),
    )


def downgrade() -> None:
    op.drop_table("staff_sighting")
    op.drop_index("ix_ticket_spans", table_name="ticket")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("resolution_seconds")
        batch_op.drop_column("response_seconds")
