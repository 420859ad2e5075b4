"""deliberation: consultations, who is invited to them, and their votes and opinions

Revision ID: 0022
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consultation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("opened_by", sa.BigInteger(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("background", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("grids", sa.JSON(), nullable=False),
        sa.Column("ticket_ids", sa.JSON(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("show_tally", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("minutes", sa.Boolean(), nullable=False),
        sa.Column("reminded_round", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("carried_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consultation_chat_id", "consultation", ["chat_id"])
    op.create_index("ix_consultation_status", "consultation", ["status"])
    op.create_table(
        "consultation_invitee",
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"]),
        sa.PrimaryKeyConstraint("consultation_id", "person_id"),
    )
    op.create_index(
        "ix_consultation_invitee_number",
        "consultation_invitee",
        ["consultation_id", "number"],
        unique=True,
    )
    op.create_table(
        "consultation_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.BigInteger(), nullable=False),
        sa.Column("choice", sa.Integer(), nullable=True),
        sa.Column("opinion_encrypted", sa.Text(), nullable=True),
        sa.Column("voice_encrypted", sa.String(length=1024), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_consultation_vote_voter",
        "consultation_vote",
        ["consultation_id", "round", "voter_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_consultation_vote_voter", table_name="consultation_vote")
    op.drop_table("consultation_vote")
    op.drop_index("ix_consultation_invitee_number", table_name="consultation_invitee")
    op.drop_table("consultation_invitee")
    op.drop_index("ix_consultation_status", table_name="consultation")
    op.drop_index("ix_consultation_chat_id", table_name="consultation")
    op.drop_table("consultation")
