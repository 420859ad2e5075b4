"""crash safety: update claims finish, forms submit once

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("processed_update", schema=None) as batch_op:
        # updates claimed before this revision were handled to the end
        batch_op.add_column(sa.Column("done", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("intake_key", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint("uq_ticket_intake_key", ["intake_key"])
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("intake_key", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint("uq_application_intake_key", ["intake_key"])


def downgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_constraint("uq_application_intake_key", type_="unique")
        batch_op.drop_column("intake_key")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ticket_intake_key", type_="unique")
        batch_op.drop_column("intake_key")
    with op.batch_alter_table("processed_update", schema=None) as batch_op:
        batch_op.drop_column("done")
