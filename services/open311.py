"""Open311 GeoReport v2: the routing file's categories as services, tickets as service requests.

A request POSTed by a city system enters the same routing and lifecycle as a report in the chat
(services.tickets): placed on a grid by its point or address, carded in that grid's staff chat.
The card names the client ("From: Open311 · <client>"); nobody is told anything in Telegram,
since the requester is not there. What staff write back becomes the request's `status_notes`.

What GET answers show of a ticket filed in the chat is only what a passer-by could see: its
kind, status, team and times, and its place rounded to about 100 m. Its words, its address and
the staff's replies to the resident stay private. For a request filed through Open311 the
requester chose to publish its description and place, so those are shown, with the staff's
replies as `status_notes`. The requester's contact fields are never shown: they are stored
encrypted (services.privacy) and deleted `contact_retention_days` after the ticket is resolved,
or a year after it was filed if it never is.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import or_, update
from sqlmodel import col, select

from services.api_keys import Client
from services.models import Open311Request, Ticket, TicketEvent, as_utc, utcnow
from services.privacy import FieldCipher
from services.routing import Category, Grid, Routing, text
from services.storage import Database
from services.ticket_contract import NO_RESIDENT, Draft
from services.tickets import OPEN, TEXT_LIMIT, TicketService

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_SPAN = timedelta(days=90)  # the spec's default window and the longest one may ask for
MAX_RESULTS = 1000
CONTACT_FIELDS = ("email", "first_name", "last_name", "phone", "device_id", "account_id")
FIELD_LIMIT = 200
UNRESOLVED_CONTACT_DAYS = 365
CHAT_PRECISION = 3  # decimal places of a chat ticket's point: about 100 m
MEDIA_URL_LIMIT = 1000

Record = dict[str, Any]


class Open311Error(Exception):
    """An answer of the error list: an HTTP status and a description of what was wrong."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


@dataclass(frozen=True)
class Query:
    """A GET requests search: ids override everything else."""

    ids: tuple[str, ...] = ()
    service_code: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Submission:
    service_code: str
    latitude: float | None
    longitude: float | None
    address: str | None
    description: str
    contact: dict[str, str]
    media_url: str | None = None


@dataclass(frozen=True)
class Placement:
    """Where a submission goes, as a chat report would: category, grid and staff chat."""

    category: Category
    grid: Grid | None
    chat_id: int

    @property
    def forum_topic(self) -> bool:
        """Whether the card gets a topic of its own (a forum grid chat), as in the chat."""
        return self.grid is not None and self.grid.forum and self.chat_id == self.grid.chat_id


def _text(value: str | None) -> str:
    """A field as stored: NUL characters (which PostgreSQL cannot store) left out, trimmed."""
    return (value or "").replace("\x00", "").strip()


def _storable(value: str) -> bool:
    """Whether a looked-up value could be stored at all (no NUL: it can match nothing)."""
    return "\x00" not in value


def parse_moment(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Open311Error(400, f"{name} is not a date and time (ISO 8601)") from None
    if not 1900 <= moment.year <= 9000:  # and so far from the ends that 90 days fit around it
        raise Open311Error(400, f"{name} must be between the years 1900 and 9000")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_query(params: Mapping[str, str]) -> Query:
    """The GET requests parameters, checked; Open311Error(400) names the one that is wrong."""
    asked = params.get("service_request_id", "")
    if asked:
        ids = tuple(part.strip() for part in asked.split(",") if _storable(part))
        return Query(ids=ids[:MAX_RESULTS] or ("",))
    statuses = tuple(s.strip() for s in params.get("status", "").split(",") if s.strip())
    if any(status not in ("open", "closed") for status in statuses):
        raise Open311Error(400, "status must be open, closed, or both separated by a comma")
    start = parse_moment(params["start_date"], "start_date") if params.get("start_date") else None
    end = parse_moment(params["end_date"], "end_date") if params.get("end_date") else None
    if start is not None and end is not None:
        if end < start:
            raise Open311Error(400, "end_date is before start_date")
        if end - start > MAX_SPAN:
            raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    return Query(
        service_code=params.get("service_code") or None, start=start, end=end, statuses=statuses
    )


def parse_submission(params: Mapping[str, str]) -> Submission:
    """A POSTed request, checked; Open311Error(400) says what is missing or wrong."""
    code = _text(params.get("service_code"))
    if not code:
        raise Open311Error(400, "service_code is required")
    latitude = _coordinate(params.get("lat"), "lat", 90)
    longitude = _coordinate(params.get("long"), "long", 180)
    if (latitude is None) != (longitude is None):
        raise Open311Error(400, "lat and long go together: give both or neither")
    address = _text(params.get("address_string") or params.get("address_id"))[:300]
    if latitude is None and not address:
        raise Open311Error(400, "a location is required: lat and long, or address_string")
    description = _text(params.get("description"))
    if len(description) > TEXT_LIMIT:
        raise Open311Error(400, f"description is longer than {TEXT_LIMIT} characters")
    contact = {}
    for name in CONTACT_FIELDS:
        value = _text(params.get(name))
        if len(value) > FIELD_LIMIT:
            raise Open311Error(400, f"{name} is longer than {FIELD_LIMIT} characters")
        if value:
            contact[name] = value
    media_url = _media_url(params.get("media_url"))
    return Submission(code, latitude, longitude, address or None, description, contact, media_url)


def _media_url(value: str | None) -> str | None:
    """The client's link to its media: an absolute http(s) URL with a host, or nothing.

    Shown to staff as a link and given back in GET answers, so nothing else (javascript:,
    data:, a relative path, spaces or control characters) is kept.
    """
    url = (value or "").strip()
    if not url:
        return None
    wrong = Open311Error(400, "media_url must be an http or https URL")
    if len(url) > MEDIA_URL_LIMIT:
        raise Open311Error(400, f"media_url is longer than {MEDIA_URL_LIMIT} characters")
    if any(character.isspace() or not character.isprintable() for character in url):
        raise wrong
    try:
        parts = urlsplit(url)
    except ValueError:
        raise wrong from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise wrong
    return url


def _coordinate(value: str | None, name: str, limit: float) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        number = float(value)
    except ValueError:
        raise Open311Error(400, f"{name} is not a number") from None
    if not math.isfinite(number) or abs(number) > limit:
        raise Open311Error(400, f"{name} must be between -{limit:g} and {limit:g}")
    return number


def moment(value: datetime) -> str:
    """W3C date and time with its offset, as the spec's examples write them."""
    return as_utc(value).isoformat(timespec="seconds")


class Open311:
    def __init__(
        self,
        db: Database,
        routing: Routing,
        tickets: TicketService,
        cipher: FieldCipher,
        *,
        contact_retention_days: int,
    ) -> None:
        self.db = db
        self.routing = routing
        self.tickets = tickets
        self.cipher = cipher
        self.contact_retention = timedelta(days=contact_retention_days)

    # --- services ---------------------------------------------------------------------------

    def services(self, locale: str) -> list[Record]:
        return [
            {
                "service_code": category.code,
                "service_name": text(category.name, locale),
                "description": text(category.name, locale),
                "metadata": False,
                "type": "realtime",
                "keywords": ", ".join(
                    word for words in category.keywords.values() for word in words
                ),
            }
            for category in self.routing.categories
        ]

    def definition(self, code: str) -> Record:
        self._category(code, 404)
        return {"service_code": code, "attributes": []}

    def _category(self, code: str, status: int) -> Category:
        try:
            return self.routing.category(code)
        except KeyError:
            raise Open311Error(status, f"service_code {code!r} is not a service here") from None

    # --- filing -------------------------------------------------------------------------------

    def place(self, submission: Submission) -> Placement:
        """The category, grid and chat a chat report at this place would go to."""
        category = self._category(submission.service_code, 400)
        grid = None
        if submission.latitude is not None and submission.longitude is not None:
            grid = self.routing.grid_at(submission.latitude, submission.longitude)
        if grid is None and submission.address:
            grid = self.routing.grid_for_address(submission.address)
        chat = self.routing.staff_chat(category, grid)
        if chat is None:
            raise Open311Error(503, "requests cannot be taken yet: no staff chat is set up")
        return Placement(category, grid, chat)

    async def file(
        self,
        client: Client,
        submission: Submission,
        placement: Placement,
        locale: str,
        topic_id: int | None = None,
    ) -> Record:
        """A ticket from the submission; the RequestResponse record that tracks it."""
        words = submission.description or text(placement.category.name, locale)
        ticket = await self.tickets.create(
            Draft(
                resident_id=NO_RESIDENT,
                resident_name=f"Open311 · {client.name}",
                resident_locale=locale,
                text=words,
                category=placement.category.code,
                grid=placement.grid.code if placement.grid else None,
                staff_chat_id=placement.chat_id,
                latitude=submission.latitude,
                longitude=submission.longitude,
                address=submission.address,
                topic_id=topic_id,
                media_url=submission.media_url,
            )
        )
        assert ticket.id is not None
        token = secrets.token_urlsafe(16)
        contact = json.dumps(submission.contact) if submission.contact else None
        async with self.db.session() as session:
            session.add(
                Open311Request(
                    ticket_id=ticket.id,
                    api_key_id=client.key_id,
                    client=client.name,
                    token=token,
                    contact_encrypted=self.cipher.encrypt(contact) if contact else None,
                )
            )
            await session.commit()
        return {"service_request_id": ticket.number, "token": token}

    # --- reading ------------------------------------------------------------------------------

    async def requests(self, query: Query, locale: str, now: datetime) -> list[Record]:
        statement = select(Ticket)
        if query.ids:
            statement = statement.where(col(Ticket.number).in_(query.ids))
        else:
            end = query.end or (query.start + MAX_SPAN if query.start else now)
            start = query.start or end - MAX_SPAN
            statement = statement.where(col(Ticket.created_at) >= start).where(
                col(Ticket.created_at) <= end
            )
            if query.service_code:
                if query.service_code not in {c.code for c in self.routing.categories}:
                    return []
                statement = statement.where(Ticket.category == query.service_code)
            if query.statuses and set(query.statuses) != {"open", "closed"}:
                opened = col(Ticket.status).in_(OPEN)
                statement = statement.where(opened if "open" in query.statuses else ~opened)
        statement = statement.order_by(col(Ticket.created_at).desc()).limit(MAX_RESULTS)
        async with self.db.session() as session:
            tickets = list(await session.exec(statement))
        return await self._records(tickets, locale)

    async def request(self, request_id: str, locale: str) -> Record:
        records = []
        if _storable(request_id):
            records = await self.requests(Query(ids=(request_id,)), locale, utcnow())
        if not records:
            raise Open311Error(404, f"there is no service request {request_id!r}")
        return records[0]

    async def token(self, token: str) -> Record:
        if not _storable(token):
            raise Open311Error(404, "there is no service request with this token")
        async with self.db.session() as session:
            rows = await session.exec(
                select(Ticket.number)
                .join(Open311Request, col(Open311Request.ticket_id) == col(Ticket.id))
                .where(Open311Request.token == token)
            )
            number = rows.first()
        if number is None:
            raise Open311Error(404, "there is no service request with this token")
        return {"service_request_id": number, "token": token}

    async def _records(self, tickets: list[Ticket], locale: str) -> list[Record]:
        ids = [ticket.id for ticket in tickets if ticket.id is not None]
        if not ids:
            return []
        async with self.db.session() as session:
            filed = set(
                await session.exec(
                    select(Open311Request.ticket_id).where(col(Open311Request.ticket_id).in_(ids))
                )
            )
            replies = await session.exec(
                select(TicketEvent.ticket_id, TicketEvent.detail)
                .where(col(TicketEvent.ticket_id).in_(filed or [-1]))
                .where(TicketEvent.kind == "reply")
                .order_by(col(TicketEvent.id))
            )
            notes = {ticket_id: detail for ticket_id, detail in replies}
        return [self._record(ticket, locale, ticket.id in filed, notes) for ticket in tickets]

    def _record(self, ticket: Ticket, locale: str, public: bool, notes: dict[int, str]) -> Record:
        assert ticket.id is not None
        record: Record = {
            "service_request_id": ticket.number,
            "status": "open" if ticket.status in OPEN else "closed",
            "service_name": text(self._category(ticket.category, 404).name, locale),
            "service_code": ticket.category,
            "agency_responsible": self.agency(ticket, locale),
            "requested_datetime": moment(ticket.created_at),
            "updated_datetime": moment(ticket.updated_at),
        }
        if public:
            record["description"] = ticket.text
            if ticket.id in notes:
                record["status_notes"] = notes[ticket.id]
            if ticket.address:
                record["address"] = ticket.address
            if ticket.media_url:
                record["media_url"] = ticket.media_url
        if ticket.latitude is not None and ticket.longitude is not None:
            digits = 6 if public else CHAT_PRECISION
            record["lat"] = round(ticket.latitude, digits)
            record["long"] = round(ticket.longitude, digits)
        return record

    def agency(self, ticket: Ticket, locale: str) -> str:
        """The department (a category with a chat of its own), else the grid, else the office."""
        category = self.routing.category(ticket.category)
        if category.chat_id is not None and category.chat_id == ticket.staff_chat_id:
            return text(category.name, locale)
        if ticket.grid:
            return text(self.routing.grid(ticket.grid).name, locale)
        return text(self.routing.street_office_name, locale)

    # --- the requester's contact details -----------------------------------------------------

    async def contact(self, ticket_id: int) -> dict[str, str]:
        """The requester's contact details (for the office's records), {} once purged."""
        async with self.db.session() as session:
            row = await session.get(Open311Request, ticket_id)
        if row is None or row.contact_encrypted is None:
            return {}
        loaded: dict[str, str] = json.loads(self.cipher.decrypt(row.contact_encrypted))
        return loaded

    async def purge_contacts(self, now: datetime) -> int:
        """Delete the contact details whose time is up; returns how many were deleted."""
        due = select(Ticket.id).where(
            or_(
                col(Ticket.resolved_at) <= now - self.contact_retention,
                col(Ticket.created_at) <= now - timedelta(days=UNRESOLVED_CONTACT_DAYS),
            )
        )
        async with self.db.session() as session:
            result = await session.exec(
                update(Open311Request)
                .where(col(Open311Request.contact_encrypted).is_not(None))
                .where(col(Open311Request.ticket_id).in_(due))
                .values(contact_encrypted=None, purged_at=now)
            )
            await session.commit()
        return int(result.rowcount or 0)
