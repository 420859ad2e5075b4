"""legal service point: questions to the lawyers on duty, their duty days, consultations
booked at the service point, the lawyers' service hours; a relayed message may belong to a
legal question instead of a ticket

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "legal_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("asker_id", sa.BigInteger(), nullable=False),
        sa.Column("asker_locale", sa.String(length=8), nullable=False),
        sa.Column("asker_kind", sa.String(length=8), nullable=False),
        sa.Column("topic", sa.String(length=16), nullable=False),
        sa.Column("name_encrypted", sa.String(length=1024), nullable=True),
        sa.Column("text_encrypted", sa.Text(), nullable=True),
        sa.Column("files_encrypted", sa.Text(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("intake_key", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lawyer_id", sa.BigInteger(), nullable=True),
        sa.Column("lawyer_name", sa.String(length=256), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("intake_key"),
    )
    op.create_index("ix_legal_question_number", "legal_question", ["number"])
    op.create_index("ix_legal_question_asker_id", "legal_question", ["asker_id"])
    op.create_index("ix_legal_question_status", "legal_question", ["status"])
    op.create_index("ix_legal_question_created_at", "legal_question", ["created_at"])
    op.create_table(
        "legal_duty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("lawyer_id", sa.BigInteger(), nullable=False),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_legal_duty_day_lawyer", "legal_duty", ["day", "lawyer_id"], unique=True)
    op.create_table(
        "legal_booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("asker_id", sa.BigInteger(), nullable=False),
        sa.Column("lawyer_id", sa.BigInteger(), nullable=True),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["question_id"], ["legal_question.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_legal_booking_slot", "legal_booking", ["slot_start"], unique=True)
    op.create_index("ix_legal_booking_question_id", "legal_booking", ["question_id"])
    op.create_table(
        "legal_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lawyer_id", sa.BigInteger(), nullable=False),
        sa.Column("lawyer_name", sa.String(length=256), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["legal_question.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_legal_hours_lawyer_day", "legal_hours", ["lawyer_id", "day"])
    with op.batch_alter_table("message_pair") as batch:
        batch.alter_column("ticket_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("legal_question_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_message_pair_legal_question_id", "legal_question", ["legal_question_id"], ["id"]
        )
        batch.create_index("ix_message_pair_legal_question_id", ["legal_question_id"])


def downgrade() -> None:
    with op.batch_alter_table("message_pair") as batch:
        batch.drop_index("ix_message_pair_legal_question_id")
        batch.drop_constraint("fk_message_pair_legal_question_id", type_="foreignkey")
        batch.drop_column("legal_question_id")
        batch.alter_column("ticket_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("legal_hours")
    op.drop_table("legal_booking")
    op.drop_table("legal_duty")
    op.drop_table("legal_question")
