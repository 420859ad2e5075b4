"""What came of a run: the rows in the database and the cards in the staff chats."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlmodel import select

from bot.localapi import BotAPIStandin
from services.models import Application, Notification, Ticket, TicketEvent
from services.storage import Database
from tests.support.processes import EAST_GATE_CHAT, VERIFIERS


@dataclass
class Stored:
    tickets: list[Ticket]
    events: list[TicketEvent]
    notifications: list[Notification]
    applications: list[Application]

    def half_written_tickets(self) -> list[str]:
        """Tickets missing a part written with them: number, 'created' event, staff card."""
        created = Counter(e.ticket_id for e in self.events if e.kind == "created")
        noted = Counter(n.reference for n in self.notifications)
        return [
            f"{t.id}:{t.number!r}"
            for t in self.tickets
            if not t.number or created[t.id] != 1 or not noted[f"ticket:{t.id}"]
        ]


async def stored(database_url: str) -> Stored:
    db = Database(database_url)
    try:
        async with db.session() as session:
            return Stored(
                list((await session.exec(select(Ticket))).all()),
                list((await session.exec(select(TicketEvent))).all()),
                list((await session.exec(select(Notification))).all()),
                list((await session.exec(select(Application))).all()),
            )
    finally:
        await db.close()


def staff_cards(standin: BotAPIStandin) -> Counter[str]:
    """New-ticket cards in grid 1's staff chat, counted by request number."""
    return Counter(
        message["text"].split(" · ")[0].removeprefix("🆕 Request ")
        for message in standin.messages(EAST_GATE_CHAT)
        if (message.get("text") or "").startswith("🆕 Request ")
    )


def verifier_cards(standin: BotAPIStandin) -> Counter[str]:
    """Application cards in the verifier chat, counted by application."""
    return Counter(
        message["caption"].split(" for ")[0].removeprefix("🪪 Application ")
        for message in standin.messages(VERIFIERS)
        if (message.get("caption") or "").startswith("🪪 Application ")
    )
