"""Ticket numbers under load: several bot processes filing at once into one database (SQLite
and PostgreSQL alike) each get a number of their own; gaps are allowed, repeats are not."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

from sqlmodel import col, select

from services.migrate import upgrade_to_head
from services.models import Notification, Ticket
from services.storage import Database
from tests.support.running import process_environment

ROOT = Path(__file__).resolve().parents[1]
PROCESSES, EACH = 4, 8
NUMBER = re.compile(r"(\d{4})-(\d{6,})")


async def file_at_once(database_url: str, directory: Path) -> list[str]:
    """PROCESSES bot processes each file EACH tickets, all at once; the numbers they were told."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.file_tickets",
        database_url,
        str(directory),
        str(PROCESSES),
        str(EACH),
        cwd=ROOT,
        env=process_environment(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 180)
    assert process.returncode == 0, err.decode()
    return out.decode().split()


async def test_processes_filing_at_once_get_distinct_numbers(
    each_database: str, tmp_path: Path
) -> None:
    db = Database(each_database)
    try:
        await upgrade_to_head(db)
        told = await file_at_once(each_database, tmp_path)

        async with db.session() as session:
            tickets = list(await session.exec(select(Ticket)))
            cards = {
                reference: text
                for reference, text in await session.exec(
                    select(Notification.reference, Notification.params["text"].as_string()).where(
                        col(Notification.method) == "sendMessage"
                    )
                )
            }
        numbers = [ticket.number for ticket in tickets]
        assert len(tickets) == PROCESSES * EACH
        assert sorted(told) == sorted(numbers)  # what each filer was told is what is stored
        assert len(set(numbers)) == len(numbers)
        for ticket in tickets:
            match = NUMBER.fullmatch(ticket.number)
            assert match, ticket.number
            assert int(match[1]) == ticket.created_at.year
            assert f"Request {ticket.number} ·" in cards[f"ticket:{ticket.id}"]  # staff see it
    finally:
        await db.close()
