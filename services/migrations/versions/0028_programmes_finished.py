"""the programmes finished: a lawyer's internal notes on a question; a rental house its
landlord removed (purged on the retention schedule); a consultation's live message in the staff
chat, edited as votes come

Revision ID: 0028
Revises: 0024
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "legal_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("lawyer_id", sa.BigInteger(), nullable=False),
        sa.Column("lawyer_name", sa.String(length=256), nullable=False),
        sa.Column("text_encrypted", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["legal_question.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_legal_note_question_id"), "legal_note", ["question_id"])
    with op.batch_alter_table("rental_house") as table:
        table.add_column(sa.Column("removed_on", sa.Date(), nullable=True))
        table.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
        table.create_index(op.f("ix_rental_house_removed_on"), ["removed_on"])
    with op.batch_alter_table("consultation") as table:
        table.add_column(sa.Column("tally_message_id", sa.BigInteger(), nullable=True))
        table.add_column(
            sa.Column("tally_pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        table.add_column(sa.Column("tally_shown_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consultation") as table:
        table.drop_column("tally_shown_at")
        table.drop_column("tally_pending")
        table.drop_column("tally_message_id")
    with op.batch_alter_table("rental_house") as table:
        table.drop_index(op.f("ix_rental_house_removed_on"))
        table.drop_column("purged_at")
        table.drop_column("removed_on")
    op.drop_index(op.f("ix_legal_note_question_id"), table_name="legal_note")
    op.drop_table("legal_note")
