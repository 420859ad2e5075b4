"""The mediation tables: a case, its evidence, its events, its appointment (services.mediation).

Imported at the end of services.models, so the tables are registered wherever the models are.
The other party's name and contact, the applicant's name, their account and what they ask for
are personal data: encrypted at rest (services.privacy.FieldCipher) and purged on schedule.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Column, Date, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.models import ENCRYPTED_LENGTH, _timestamp, utcnow


class MediationCase(SQLModel, table=True):
    """A dispute brought to mediation: from the form to settled, referred or withdrawn."""

    __tablename__ = "mediation_case"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(default="", max_length=16, index=True)  # M2026-000001, said aloud
    resident_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    resident_locale: str = Field(default="en", max_length=8)
    resident_name_encrypted: str | None = Field(default=None, max_length=ENCRYPTED_LENGTH)
    kind: str = Field(max_length=16, index=True)  # neighbours, property, consumer, …
    other_name_encrypted: str | None = Field(default=None, max_length=ENCRYPTED_LENGTH)
    other_contact_encrypted: str | None = Field(default=None, max_length=ENCRYPTED_LENGTH)
    account_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    claim_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    ticket_id: int | None = Field(default=None)  # referred from a request by its staff
    # the applicant's area (a grid and its community: no one's address), for routing on
    grid: str | None = Field(default=None, max_length=32)
    community: str | None = Field(default=None, max_length=32)
    org_code: str | None = Field(default=None, max_length=32, index=True)
    org_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    declined_by: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # filed → accepted → settled | referred | withdrawn; street_office when every org declined
    status: str = Field(default="filed", max_length=16, index=True)
    intake_key: str | None = Field(default=None, max_length=40, unique=True)
    invite_code: str | None = Field(default=None, max_length=40, unique=True)
    other_party_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    other_confirmed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    evidence_shared: bool = Field(default=False)  # the mediator let the other party see it
    offered: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    terms_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    agreement_serial: str | None = Field(default=None, max_length=40, unique=True)
    judicial_requested_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    rating: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp(index=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    accepted_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    closed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    purged_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class MediationEvidence(SQLModel, table=True):
    """A file the applicant gave: a photo, document or voice note, kept as its Telegram id."""

    __tablename__ = "mediation_evidence"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="mediation_case.id", index=True)
    kind: str = Field(max_length=16)  # photo, document, voice
    file_id: str = Field(max_length=256)
    file_name: str | None = Field(default=None, max_length=256)
    size: int = Field(default=0)  # bytes
    added_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class MediationEvent(SQLModel, table=True):
    """Every step of a case: who, when, what. Only ever appended."""

    __tablename__ = "mediation_event"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="mediation_case.id", index=True)
    actor_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    kind: str = Field(max_length=24)  # filed, accepted, declined, booked, settled, …
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class MediationAppointment(SQLModel, table=True):
    """The booked session of a case. One per case, and one case per organisation's time: the
    unique keys decide which of two presses at the same moment wins."""

    __tablename__ = "mediation_appointment"
    __table_args__ = (
        UniqueConstraint("org_code", "starts_at", name="uq_mediation_appointment_slot"),
        Index("ix_mediation_appointment_starts_at", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="mediation_case.id", unique=True)
    org_code: str = Field(max_length=32)
    starts_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    reminded_day: bool = Field(default=False)
    reminded_hour: bool = Field(default=False)
    booked_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
