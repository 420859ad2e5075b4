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
or a year after it was filed if it never is. The requests' parameters are read and checked in
services/open311_params.py.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import col, select

from services.api_keys import Client
from services.models import Open311Request, Ticket, TicketEvent, as_utc, utcnow
from services.open311_params import (
    MAX_RESULTS,
    MAX_SPAN,
    Open311Error,
    Query,
    Submission,
    storable,
)
from services.privacy import FieldCipher
from services.routing import Category, Grid, Routing, text
from services.storage import Database
from services.ticket_contract import NO_RESIDENT, Draft
from services.tickets import OPEN, TicketService

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
UNRESOLVED_CONTACT_DAYS = 365
CHAT_PRECISION = 3  # decimal places of a chat ticket's point: about 100 m

Record = dict[str, Any]


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
        if storable(request_id):
            records = await self.requests(Query(ids=(request_id,)), locale, utcnow())
        if not records:
            raise Open311Error(404, f"there is no service request {request_id!r}")
        return records[0]

    async def token(self, token: str) -> Record:
        if not storable(token):
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
