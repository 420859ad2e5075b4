"""Database tables (SQLModel). Alembic migrations in services/migrations track these."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Text,
    event,
    text,
)
from sqlmodel import Field, SQLModel

# Telegram's sizes: a person's first and last name are up to 64 characters each, so a full name
# is up to 129; a message is up to 4096 characters. Columns that take them leave room.
NAME_LENGTH = 256
ENCRYPTED_LENGTH = 1024  # a Fernet token of a short field (services.privacy)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone columns; every stored time is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _timestamp(index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=False, default=utcnow, index=index)


class Person(SQLModel, table=True):
    """Someone who talked to the bot, with the language they chose."""

    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    locale: str | None = Field(default=None, max_length=8)
    unreachable_since: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )  # they blocked the bot: Telegram answered 403
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class ProcessedUpdate(SQLModel, table=True):
    """An update id already taken for handling: Telegram may deliver an update again."""

    __tablename__ = "processed_update"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    received_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp(index=True))
    # False while a process is handling it: if that process dies, another takes it over
    done: bool = Field(default=False)


class Notification(SQLModel, table=True):
    """A message that must reach someone because something happened: the transactional outbox.

    Written in the same transaction as the change it tells of; the relay hands it to the queue,
    the sender delivers it once and records Telegram's message id.
    """

    __table_args__ = (Index("ix_notification_chat_state", "chat_id", "state", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    priority: int = Field(default=1)  # 0 urgent (a person waits), 1 normal, 2 bulk
    method: str = Field(max_length=40)  # a Bot API method: sendMessage, sendPhoto, …
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reference: str | None = Field(default=None, max_length=80)  # e.g. "ticket:42"
    state: str = Field(default="pending", max_length=16, index=True)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    telegram_message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    queued_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    delivered_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class Ticket(SQLModel, table=True):
    """A resident's request: numbered, categorised, placed on a grid, followed to its close."""

    # the dashboard's weekly medians read only this index (services.dashboard_figures.weeks)
    __table_args__ = (
        Index("ix_ticket_spans", "created_at", "response_seconds", "resolution_seconds"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(default="", max_length=16, index=True)  # 2026-000123, said aloud
    resident_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    resident_name: str = Field(default="", max_length=NAME_LENGTH)
    resident_locale: str = Field(default="en", max_length=8)
    category: str = Field(max_length=40)
    grid: str | None = Field(default=None, max_length=40)
    staff_chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    topic_id: int | None = Field(default=None)  # forum topic in the staff chat
    text: str = Field(max_length=2000)
    # one per filled-in form: a Submit delivered again after a crash finds the same ticket
    intake_key: str | None = Field(default=None, max_length=40, unique=True)
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = Field(default=None, max_length=300)
    photos: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="new", max_length=16, index=True)
    assignee_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    assignee_name: str | None = Field(default=None, max_length=NAME_LENGTH)
    rating: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp(index=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    first_response_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    resolved_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    reopened_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )  # the resident said "not fixed": the clock runs from here (a comment does not reset it)
    anonymous: bool = Field(default=False)  # staff do not see the reporter's name
    voice_file_id: str | None = Field(default=None, max_length=256)  # a spoken description
    # an Open311 client's link to its media (a photo), an http(s) URL it chose to publish
    media_url: str | None = Field(default=None, max_length=1000)
    # filed by a grid contact for a neighbour without Telegram: the neighbour's name and phone,
    # encrypted (services.privacy), purged a set time after the ticket ends
    neighbour_name_encrypted: str | None = Field(default=None, max_length=ENCRYPTED_LENGTH)
    neighbour_phone_encrypted: str | None = Field(default=None, max_length=ENCRYPTED_LENGTH)
    neighbour_purged_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    escalation_level: int = Field(default=0)  # reminders and notices sent up the chain so far
    escalated_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # seconds from created_at to first_response_at and to resolved_at, kept in step with them
    # whenever a ticket is written (`_ticket_spans`), so the figures need no date arithmetic
    response_seconds: int | None = None
    resolution_seconds: int | None = None


def seconds_between(earlier: datetime | None, later: datetime | None) -> int | None:
    if earlier is None or later is None:
        return None
    return round((as_utc(later) - as_utc(earlier)).total_seconds())


@event.listens_for(Ticket, "before_insert")
@event.listens_for(Ticket, "before_update")
def _ticket_spans(_mapper: object, _connection: object, ticket: Ticket) -> None:
    """Every ORM write of a ticket: the spans follow the moments (a reopened ticket's
    resolution span goes back to None with its resolved_at)."""
    ticket.response_seconds = seconds_between(ticket.created_at, ticket.first_response_at)
    ticket.resolution_seconds = seconds_between(ticket.created_at, ticket.resolved_at)


class StaffSighting(SQLModel, table=True):
    """A chat where someone acted as its staff (services.staff_sightings): the chats the
    dashboard's sign-in asks Telegram about, rather than every chat of a city."""

    __tablename__ = "staff_sighting"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    seen_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class TicketSubscriber(SQLModel, table=True):
    """A resident who said "mine too" about someone else's ticket, and hears how it ends."""

    __tablename__ = "ticket_subscriber"

    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    resident_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    resident_locale: str = Field(default="en", max_length=8)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class TicketEvent(SQLModel, table=True):
    """Every transition and message on a ticket: who, when, what. Only ever appended."""

    __tablename__ = "ticket_event"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    actor_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    actor_name: str = Field(default="", max_length=NAME_LENGTH)
    kind: str = Field(max_length=24)  # created, taken, reply, note, comment, resolved, …
    # a message as written (up to 4096 characters), with a mark such as "[photo] " before it
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class Certificate(SQLModel, table=True):
    """A temporary accommodation certificate as issued: masked data only, and its signed token.

    The full name and document number stay with the application (encrypted); what is here is
    what the certificate itself shows.
    """

    __table_args__ = (Index("ix_certificate_serial", "serial", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    serial: str = Field(max_length=40)  # C2026-000123, said aloud
    application_id: int | None = Field(default=None, index=True)
    hotel_code: str = Field(max_length=32, index=True)
    holder_masked: str = Field(max_length=128)
    document_type: str = Field(max_length=16)
    document_masked: str = Field(max_length=40)
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_until: date = Field(sa_column=Column(Date, nullable=False, index=True))
    issued_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    kid: str = Field(max_length=16, index=True)  # the signing key
    token: str = Field(default="", max_length=1024)
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    revoke_reason: str | None = Field(default=None, max_length=500)


class VerificationLog(SQLModel, table=True):
    """One verification of a certificate: when, through what, with what result; never who."""

    __tablename__ = "verification_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=_timestamp(index=True))
    channel: str = Field(max_length=8)  # web, api, bot
    result: str = Field(max_length=16)  # valid, expired, not_yet_valid, revoked, invalid
    serial: str | None = Field(default=None, max_length=40, index=True)  # None when invalid


class Application(SQLModel, table=True):
    """A tourist's request for an accommodation certificate, from submission to decision.

    Everything that identifies the tourist is stored encrypted (services.privacy): name,
    document number, date of birth, phone and the selfie's Telegram file id. It is purged a set
    number of days after the certificate expires or the application is rejected, and when an
    application waits undecided too long (it lapses).
    """

    id: int | None = Field(default=None, primary_key=True)
    tourist_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    tourist_locale: str = Field(default="en", max_length=8)
    full_name_encrypted: str = Field(max_length=ENCRYPTED_LENGTH)
    document_type: str = Field(max_length=16)
    document_number_encrypted: str = Field(max_length=512)
    birth_date_encrypted: str | None = Field(default=None, max_length=ENCRYPTED_LENGTH)
    phone_encrypted: str = Field(max_length=512)
    hotel_code: str = Field(max_length=32)
    check_in: date = Field(sa_column=Column(Date, nullable=False))
    nights: int
    selfie_file_id_encrypted: str = Field(max_length=ENCRYPTED_LENGTH)
    intake_key: str | None = Field(default=None, max_length=40, unique=True)  # as Ticket's
    status: str = Field(default="submitted", max_length=16, index=True)
    reject_reason: str | None = Field(default=None, max_length=500)
    decided_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    decided_by_name: str | None = Field(default=None, max_length=NAME_LENGTH)
    submitted_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp(index=True))
    decided_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    certificate_serial: str | None = Field(default=None, max_length=40)
    purge_after: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    purged_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    reminders: int = Field(default=0)  # undecided too long: 1 the verifiers, 2 the admins told


class RoleGrant(SQLModel, table=True):
    """A role someone holds: verifier, or front desk at one hotel. Admins come from ADMIN_IDS."""

    __tablename__ = "role_grant"
    __table_args__ = (Index("ix_role_grant_user_role", "user_id", "role", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    role: str = Field(max_length=16)  # verifier, frontdesk
    hotel_code: str | None = Field(default=None, max_length=32)  # front desk only
    grid_code: str | None = Field(default=None, max_length=40)  # grid contact only
    granted_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    granted_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class Invitation(SQLModel, table=True):
    """A single-use, expiring code an admin hands out; whoever opens it gets the role.

    Only a hash of the code is kept: the code itself is a credential.
    """

    __table_args__ = (Index("ix_invitation_code_hash", "code_hash", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64)  # SHA-256, hex
    role: str = Field(max_length=16)
    hotel_code: str | None = Field(default=None, max_length=32)
    grid_code: str | None = Field(default=None, max_length=40)  # grid contact only
    created_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    used_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    used_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class CheckIn(SQLModel, table=True):
    """A certificate's holder checked in at a hotel, then out; one standing check-in per
    certificate. A wrong check-in is undone with a reason and stays on record."""

    __tablename__ = "check_in"
    __table_args__ = (
        Index(
            "ix_check_in_serial",
            "serial",
            unique=True,
            sqlite_where=text("undone_at IS NULL"),
            postgresql_where=text("undone_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    serial: str = Field(max_length=40)
    hotel_code: str = Field(max_length=32, index=True)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))  # the front desk
    at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    checked_out_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    checked_out_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    undone_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    undone_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    undo_reason: str | None = Field(default=None, max_length=500)


class MessagePair(SQLModel, table=True):
    """A message relayed between a resident and staff, and the notification that copied it.

    The copy's message id is the notification's (recorded by the sender on delivery), so an
    edit of the original can edit the copy; `heading` and `editable` say how to render it again.
    """

    __tablename__ = "message_pair"
    __table_args__ = (Index("ix_message_pair_source", "source_chat_id", "source_message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    # or a question to the lawyers on duty (services/legal.py): the same relay, another subject
    legal_question_id: int | None = Field(default=None, foreign_key="legal_question.id", index=True)
    source_chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    source_message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    notification_id: int  # no foreign key: a pruned notification leaves "say it anew"
    heading: str = Field(default="", sa_column=Column(Text, nullable=False))
    editable: str = Field(default="", max_length=8)  # text, caption, or "" (say it anew)
    locale: str = Field(default="en", max_length=8)  # the reader's, for "edited"
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class ApiKey(SQLModel, table=True):
    """A city system allowed to file requests through Open311. Only a hash of the key is kept:
    the key itself is a credential, shown once when it is made (`python -m bot api-key`)."""

    __tablename__ = "api_key"
    __table_args__ = (
        Index("ix_api_key_key_hash", "key_hash", unique=True),
        Index("ix_api_key_name", "name", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)  # the client, as staff cards name it
    key_hash: str = Field(max_length=64)  # SHA-256, hex
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class Open311Request(SQLModel, table=True):
    """A ticket filed through Open311: which client sent it, its token, and the requester's
    contact details (email, names, phone, device and account ids) encrypted together, purged
    on schedule (services.open311)."""

    __tablename__ = "open311_request"
    __table_args__ = (Index("ix_open311_request_token", "token", unique=True),)

    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    api_key_id: int = Field(foreign_key="api_key.id", index=True)
    client: str = Field(max_length=64)
    token: str = Field(max_length=64)
    contact_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    purged_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class BoardPublication(SQLModel, table=True):
    """A resolved ticket staff chose to show on the public board, with the summary they wrote."""

    __tablename__ = "board_publication"

    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    summary: str = Field(max_length=500)
    published_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    published_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp(index=True))


class RoutingCommunity(SQLModel, table=True):
    """A community of the routing data kept in the database (services/routing_store.py).

    `entry` is the community as the routing file writes it, without its code, chat and grids
    (so a field the file gains travels without a new column); `chat_id` is bound from Telegram.
    """

    __tablename__ = "routing_community"

    code: str = Field(primary_key=True, max_length=32)
    position: int = Field(default=0)  # the order of the file
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    entry: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class RoutingGrid(SQLModel, table=True):
    """A grid of the routing data kept in the database; `entry` as for RoutingCommunity."""

    __tablename__ = "routing_grid"
    __table_args__ = (Index("ix_routing_grid_community", "community_code", "position"),)

    code: str = Field(primary_key=True, max_length=32)
    community_code: str = Field(max_length=32)
    position: int = Field(default=0)
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    entry: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class RoutingVersion(SQLModel, table=True):
    """One row: raised with every change of the routing data, so each process sees it."""

    __tablename__ = "routing_version"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0)
    changed_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class ChatWorker(SQLModel, table=True):
    """Someone who has worked on tickets from a staff chat: a name to assign tickets to."""

    __tablename__ = "chat_worker"

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    name: str = Field(default="", max_length=NAME_LENGTH)
    seen_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class ReplyTemplate(SQLModel, table=True):
    """A staff chat's canned reply; {name} and {number} are filled in when it is sent."""

    __tablename__ = "reply_template"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    title: str = Field(max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class ResidentBan(SQLModel, table=True):
    """A person whose messages no longer open tickets; told once."""

    __tablename__ = "resident_ban"

    resident_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    reason: str = Field(default="", max_length=500)
    ticket_number: str = Field(default="", max_length=16)  # the request it was decided on
    banned_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    banned_by_name: str = Field(default="", max_length=NAME_LENGTH)
    banned_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    told: bool = Field(default=False)  # the person was told (once)


class RentalHouse(SQLModel, table=True):
    """A rental house a landlord registered: its risk colour and why (services/rental.py).

    The address and the landlord's contact are personal data: encrypted (services.privacy).
    """

    __tablename__ = "rental_house"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=12, unique=True)  # R7K2M9: said aloud, typed in /inspect
    join_code: str = Field(max_length=24, unique=True)  # shared with tenants only
    landlord_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    landlord_locale: str = Field(default="en", max_length=8)
    grid: str = Field(max_length=40, index=True)
    address_encrypted: str = Field(max_length=ENCRYPTED_LENGTH)
    latitude: float | None = None
    longitude: float | None = None
    rooms: int
    beds: int
    landlord_contact_encrypted: str | None = Field(default=None, max_length=ENCRYPTED_LENGTH)
    photos: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    colour: str = Field(default="green", max_length=8, index=True)
    reasons: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )  # the findings behind the colour, e.g. {"code": "overcrowded", "tenants": 3, "beds": 2}
    next_due: datetime = Field(sa_column=_timestamp(index=True))  # the next inspection
    reminded_due: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )  # the due date the grid's chat was reminded of (once per due date)
    last_inspected_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    removed_on: date | None = Field(
        default=None, sa_column=Column(Date, nullable=True, index=True)
    )  # the landlord removed it: no longer listed, inspected or reminded; purged later
    purged_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )  # its address, the landlord's contact and its photos forgotten
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class RentalTenant(SQLModel, table=True):
    """A tenant's residence registration: personal data encrypted, purged after move-out."""

    __tablename__ = "rental_tenant"

    id: int | None = Field(default=None, primary_key=True)
    house_id: int = Field(foreign_key="rental_house.id", index=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    locale: str = Field(default="en", max_length=8)
    name_encrypted: str | None = Field(default=None, max_length=ENCRYPTED_LENGTH)
    document_type: str = Field(default="", max_length=16)
    document_encrypted: str | None = Field(default=None, max_length=ENCRYPTED_LENGTH)
    phone_encrypted: str | None = Field(default=None, max_length=ENCRYPTED_LENGTH)
    move_in: date = Field(sa_column=Column(Date, nullable=False))
    moved_out_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    purged_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class RentalInspection(SQLModel, table=True):
    """A grid worker's inspection of a house, item by item: {code: {"ok": bool, "photo": id}}."""

    __tablename__ = "rental_inspection"

    id: int | None = Field(default=None, primary_key=True)
    house_id: int = Field(foreign_key="rental_house.id", index=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    inspector_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    inspector_name: str = Field(default="", max_length=NAME_LENGTH)
    results: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    message_ids: list[int] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )  # the bot's messages showing it in the chat: a photo replying to one is evidence
    started_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


# the mediation tables live in their own module; imported here so they are registered with these
from services import mediation_models as _mediation_models  # noqa: E402,F401


class LegalQuestion(SQLModel, table=True):
    """A question to the lawyers on duty at the legal service point (services/legal.py).

    Who asked (their name) and what they wrote, with the file ids of their documents and voice
    notes, are encrypted (services.privacy) and purged a set time after the question closes.
    """

    __tablename__ = "legal_question"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(default="", max_length=16, index=True)  # L2026-000012, said aloud
    asker_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    asker_locale: str = Field(default="en", max_length=8)
    asker_kind: str = Field(default="person", max_length=8)  # person, firm
    topic: str = Field(max_length=16)  # employment, contracts, platform, family, other
    name_encrypted: str | None = Field(default=None, max_length=ENCRYPTED_LENGTH)
    text_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    files_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))  # the lawyers' chat
    topic_id: int | None = Field(default=None)  # its forum topic there
    intake_key: str | None = Field(default=None, max_length=40, unique=True)  # as Ticket's
    status: str = Field(default="new", max_length=16, index=True)  # new, taken, answered
    lawyer_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    lawyer_name: str | None = Field(default=None, max_length=NAME_LENGTH)  # never to the asker
    rating: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp(index=True))
    taken_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    answered_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    purged_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class LegalDuty(SQLModel, table=True):
    """A lawyer's own word for one day (`/duty on|off`), over the routing file's roster."""

    __tablename__ = "legal_duty"
    __table_args__ = (Index("ix_legal_duty_day_lawyer", "day", "lawyer_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(sa_column=Column(Date, nullable=False))
    lawyer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    on_duty: bool = Field(default=True)
    set_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class LegalBooking(SQLModel, table=True):
    """An in-person consultation at the service point: one booking per slot (unique)."""

    __tablename__ = "legal_booking"
    __table_args__ = (Index("ix_legal_booking_slot", "slot_start", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="legal_question.id", index=True)
    slot_start: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    asker_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    lawyer_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    booked_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    reminded_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class LegalNote(SQLModel, table=True):
    """A lawyer's internal note on a question ("!" in its thread): never relayed to the asker;
    its words may name people, so they are encrypted and purged with the question's."""

    __tablename__ = "legal_note"

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="legal_question.id", index=True)
    lawyer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    lawyer_name: str = Field(default="", max_length=NAME_LENGTH)
    text_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class LegalHours(SQLModel, table=True):
    """Minutes a lawyer gave: they count towards the annual public-service requirement."""

    __tablename__ = "legal_hours"
    __table_args__ = (Index("ix_legal_hours_lawyer_day", "lawyer_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    lawyer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    lawyer_name: str = Field(default="", max_length=NAME_LENGTH)
    question_id: int | None = Field(default=None, foreign_key="legal_question.id")
    minutes: int
    day: date = Field(sa_column=Column(Date, nullable=False))  # local day it counts for
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class Consultation(SQLModel, table=True):
    """A question staff put to the residents of some grids, voted on until a deadline, then
    decided with reasons that go back to everyone invited (services/deliberation.py).

    Once the first choice of a round is in, its question, options, electorate and deadline are
    frozen; a correction opens the next round, and the earlier round's votes no longer count.
    """

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))  # staff's
    opened_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    round: int = Field(default=1)
    question: str = Field(sa_column=Column(Text, nullable=False))
    background: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    options: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    grids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    ticket_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    deadline: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    show_tally: bool = Field(default=False)  # voters see the tally while voting
    status: str = Field(default="open", max_length=16, index=True)  # closed, decided, done
    minutes: bool = Field(default=False)  # a monthly joint meeting's minutes, no vote
    reminded_round: int = Field(default=0)  # the round whose day-before reminder went out
    tally_message_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )  # the staff chat's message showing it, edited as votes come (services/deliberation_live)
    tally_pending: bool = Field(default=False)  # changed since its message was last edited
    tally_shown_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    closed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    decision: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    decided_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    decided_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    carried_out_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class ConsultationInvitee(SQLModel, table=True):
    """Someone invited to a consultation; staff know them only as "Resident {number}"."""

    __tablename__ = "consultation_invitee"
    __table_args__ = (
        Index("ix_consultation_invitee_number", "consultation_id", "number", unique=True),
    )

    consultation_id: int = Field(foreign_key="consultation.id", primary_key=True)
    person_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    number: int
    locale: str = Field(default="en", max_length=8)
    rating: int | None = None  # 1-5, once the decision was carried out
    invited_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class ConsultationVote(SQLModel, table=True):
    """One person's voice in one round: their choice and their opinion (encrypted: their own
    words), each changeable until the deadline. One row per person per round, by the index."""

    __tablename__ = "consultation_vote"
    __table_args__ = (
        Index("ix_consultation_vote_voter", "consultation_id", "round", "voter_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id")
    round: int
    voter_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    choice: int | None = None  # the option's index; None: an opinion only so far
    opinion_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    voice_encrypted: str | None = Field(default=None, max_length=ENCRYPTED_LENGTH)
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class Household(SQLModel, table=True):
    """A household a grid contact looks after (the seed: 5 to 15 families each). Who lives
    there and their phone are personal data: encrypted (services.privacy.FieldCipher)."""

    __tablename__ = "household"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    grid_code: str = Field(max_length=40, index=True)
    label_encrypted: str = Field(max_length=ENCRYPTED_LENGTH)
    phone_encrypted: str | None = Field(default=None, max_length=ENCRYPTED_LENGTH)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class Volunteer(SQLModel, table=True):
    """A resident who volunteers: skills, when they are free, where they live. Their name and
    phone are personal data: encrypted."""

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    name_encrypted: str = Field(max_length=ENCRYPTED_LENGTH)
    phone_encrypted: str | None = Field(default=None, max_length=ENCRYPTED_LENGTH)
    skills: str = Field(default="", max_length=200)  # codes, comma-separated
    availability: str = Field(default="", max_length=100)  # weekdays, mornings, …
    grid_code: str = Field(max_length=40, index=True)
    community_code: str = Field(max_length=40)
    locale: str = Field(default="zh", max_length=8)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class VolunteerTask(SQLModel, table=True):
    """Work staff ask volunteers for; `accepted` never passes `needed` (the database checks)."""

    __tablename__ = "volunteer_task"
    __table_args__ = (CheckConstraint("accepted <= needed", name="ck_volunteer_task_full"),)

    id: int | None = Field(default=None, primary_key=True)
    staff_chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    grid_code: str = Field(max_length=40)
    what: str = Field(max_length=500)
    starts_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    minutes: int
    needed: int
    accepted: int = Field(default=0)
    skills: str = Field(default="", max_length=200)  # wanted; empty: any
    created_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class VolunteerShift(SQLModel, table=True):
    """A volunteer invited to a task: invited, accepted, declined, then attended or absent."""

    __tablename__ = "volunteer_shift"

    task_id: int = Field(
        sa_column=Column(ForeignKey("volunteer_task.id"), primary_key=True, autoincrement=False)
    )
    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    state: str = Field(default="invited", max_length=16)
    minutes: int = Field(default=0)  # recorded when staff confirm attendance
    answered_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    confirmed_by: int | None = Field(default=None, sa_column=Column(BigInteger))


class VolunteerThanks(SQLModel, table=True):
    """A monthly thank-you sent: one per volunteer and month, whatever runs the round."""

    __tablename__ = "volunteer_thanks"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    month: str = Field(primary_key=True, max_length=7)  # 2026-11
    sent_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
