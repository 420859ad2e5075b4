"""mediation: cases, their evidence and events, and booked appointments

Revision ID: 0019
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('mediation_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('resident_id', sa.BigInteger(), nullable=False),
    sa.Column('resident_locale', sa.String(length=8), nullable=False),
    sa.Column('resident_name_encrypted', sa.String(length=1024), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('other_name_encrypted', sa.String(length=1024), nullable=True),
    sa.Column('other_contact_encrypted', sa.String(length=1024), nullable=True),
    sa.Column('account_encrypted', sa.Text(), nullable=True),
    sa.Column('claim_encrypted', sa.Text(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('org_code', sa.String(length=32), nullable=True),
    sa.Column('org_chat_id', sa.BigInteger(), nullable=True),
    sa.Column('declined_by', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('intake_key', sa.String(length=40), nullable=True),
    sa.Column('invite_code', sa.String(length=40), nullable=True),
    sa.Column('other_party_id', sa.BigInteger(), nullable=True),
    sa.Column('other_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('evidence_shared', sa.Boolean(), nullable=False),
    sa.Column('offered', sa.JSON(), nullable=False),
    sa.Column('terms_encrypted', sa.Text(), nullable=True),
    sa.Column('agreement_serial', sa.String(length=40), nullable=True),
    sa.Column('judicial_requested_on', sa.Date(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agreement_serial'),
    sa.UniqueConstraint('intake_key'),
    sa.UniqueConstraint('invite_code')
    )
    op.create_index(op.f('ix_mediation_case_created_at'), 'mediation_case', ['created_at'], unique=False)
    op.create_index(op.f('ix_mediation_case_kind'), 'mediation_case', ['kind'], unique=False)
    op.create_index(op.f('ix_mediation_case_number'), 'mediation_case', ['number'], unique=False)
    op.create_index(op.f('ix_mediation_case_org_code'), 'mediation_case', ['org_code'], unique=False)
    op.create_index(op.f('ix_mediation_case_resident_id'), 'mediation_case', ['resident_id'], unique=False)
    op.create_index(op.f('ix_mediation_case_status'), 'mediation_case', ['status'], unique=False)
    op.create_table('mediation_appointment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('org_code', sa.String(length=32), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reminded_day', sa.Boolean(), nullable=False),
    sa.Column('reminded_hour', sa.Boolean(), nullable=False),
    sa.Column('booked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['mediation_case.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id'),
    sa.UniqueConstraint('org_code', 'starts_at', name='uq_mediation_appointment_slot')
    )
    op.create_index('ix_mediation_appointment_starts_at', 'mediation_appointment', ['starts_at'], unique=False)
    op.create_table('mediation_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['mediation_case.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_mediation_event_case_id'), 'mediation_event', ['case_id'], unique=False)
    op.create_table('mediation_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('file_id', sa.String(length=256), nullable=False),
    sa.Column('file_name', sa.String(length=256), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['mediation_case.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_mediation_evidence_case_id'), 'mediation_evidence', ['case_id'], unique=False)


def downgrade() -> None:

    op.drop_index(op.f('ix_mediation_evidence_case_id'), table_name='mediation_evidence')
    op.drop_table('mediation_evidence')
    op.drop_index(op.f('ix_mediation_event_case_id'), table_name='mediation_event')
    op.drop_table('mediation_event')
    op.drop_index('ix_mediation_appointment_starts_at', table_name='mediation_appointment')
    op.drop_table('mediation_appointment')
    op.drop_index(op.f('ix_mediation_case_status'), table_name='mediation_case')
    op.drop_index(op.f('ix_mediation_case_resident_id'), table_name='mediation_case')
    op.drop_index(op.f('ix_mediation_case_org_code'), table_name='mediation_case')
    op.drop_index(op.f('ix_mediation_case_number'), table_name='mediation_case')
    op.drop_index(op.f('ix_mediation_case_kind'), table_name='mediation_case')
    op.drop_index(op.f('ix_mediation_case_created_at'), table_name='mediation_case')
    op.drop_table('mediation_case')

