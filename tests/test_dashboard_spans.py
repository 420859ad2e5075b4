"""Each ticket keeps its response and resolution spans in seconds (the dashboard's weekly
medians read them from one index): 0027 back-fills the tickets already there, and every write
keeps them in step with the moments, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlmodel import select

from services.migrate import upgrade_to_head
from services.models import Ticket
from services.storage import Database
from tests.test_migrations import at_revision

CREATED = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


async def test_0027_back_fills_the_spans_of_tickets_already_there(each_database: str) -> None:
    db = Database(each_database)
    try:
        await at_revision(db, "0023")
        async with db.engine.begin() as connection:
            for number, answered, resolved in (
                ("2026-000001", CREATED + timedelta(minutes=42), CREATED + timedelta(hours=30)),
                ("2026-000002", CREATED + timedelta(seconds=90), None),
                ("2026-000003", None, None),
            ):
                await connection.execute(
                    text(
                        "INSERT INTO ticket (number, resident_id, resident_name, resident_locale,"
                        " category, staff_chat_id, text, photos, status, created_at, updated_at,"
                        " first_response_at, resolved_at, anonymous, escalation_level) VALUES"
                        " (:number, 5001, '', 'en', 'drainage', -1001, 'words', '[]', 'new',"
                        " :created, :created, :answered, :resolved, false, 0)"
                    ),
                    {
                        "number": number,
                        "created": CREATED,
                        "answered": answered,
                        "resolved": resolved,
                    },
                )
        await upgrade_to_head(db)
        async with db.session() as session:
            tickets = (await session.exec(select(Ticket).order_by(Ticket.number))).all()
        spans = [(t.response_seconds, t.resolution_seconds) for t in tickets]
        assert spans == [(42 * 60, 30 * 3600), (90, None), (None, None)]
    finally:
        await db.close()


async def test_every_write_keeps_the_spans_in_step(each_database: str) -> None:
    db = Database(each_database)
    try:
        await upgrade_to_head(db)
        async with db.session() as session:
            ticket = Ticket(
                resident_id=5001,
                category="drainage",
                staff_chat_id=-1001,
                text="words",
                created_at=CREATED,
            )
            session.add(ticket)
            await session.commit()
            await session.refresh(ticket)
            assert (ticket.response_seconds, ticket.resolution_seconds) == (None, None)

            ticket.first_response_at = CREATED + timedelta(minutes=5)  # taken
            session.add(ticket)
            await session.commit()
            await session.refresh(ticket)
            assert (ticket.response_seconds, ticket.resolution_seconds) == (300, None)

            ticket.resolved_at = CREATED + timedelta(hours=2)  # resolved
            session.add(ticket)
            await session.commit()
            await session.refresh(ticket)
            assert (ticket.response_seconds, ticket.resolution_seconds) == (300, 7200)

            ticket.resolved_at = None  # the resident said it was not fixed: reopened
            ticket.reopened_at = CREATED + timedelta(hours=3)
            session.add(ticket)
            await session.commit()
            await session.refresh(ticket)
            assert (ticket.response_seconds, ticket.resolution_seconds) == (300, None)
    finally:
        await db.close()
