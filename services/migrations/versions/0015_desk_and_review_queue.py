"""check-ins: check-out and undo with a reason; applications: reminders sent

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STANDING = sa.text("undone_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminders", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("checked_out_by", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("undone_by", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("undo_reason", sa.String(length=500), nullable=True))
        batch_op.drop_index("ix_check_in_serial")
        # one standing check-in per certificate; undone ones stay on record beside it
        batch_op.create_index(
            "ix_check_in_serial",
            ["serial"],
            unique=True,
            sqlite_where=STANDING,
            postgresql_where=STANDING,
        )


def downgrade() -> None:
    op.execute("DELETE FROM check_in WHERE undone_at IS NOT NULL")
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.drop_index("ix_check_in_serial")
        batch_op.create_index("ix_check_in_serial", ["serial"], unique=True)
        batch_op.drop_column("undo_reason")
        batch_op.drop_column("undone_by")
        batch_op.drop_column("undone_at")
        batch_op.drop_column("checked_out_by")
        batch_op.drop_column("checked_out_at")
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_column("reminders")
