"""Bot processes filing tickets at the same moment: `python -m tests.support.file_tickets`.

Arguments: database URL, a directory, how many processes, how many tickets each. The bot's
modules are imported once, then forked into that many processes; each builds the bot as
`python -m bot` does (its own engine and connections), waits until all are ready, files its
tickets through the same service the resident conversation uses, and prints each number it was
given, one a line. The exit code is non-zero if any process failed.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
from multiprocessing.synchronize import Barrier
from pathlib import Path

from bot.factory import build
from bot.settings import Settings
from services.ticket_contract import Draft
from tests.support.running import TOKEN


async def file_tickets(
    database_url: str, data_dir: Path, first_resident: int, count: int, start: Barrier
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token=TOKEN,
        database_url=database_url,
        data_dir=data_dir,
        staff_chat_id=-1001,
    )
    linkage = build(settings)
    try:
        await asyncio.to_thread(start.wait, 60)
        for n in range(count):
            ticket = await linkage.tickets.create(
                Draft(
                    resident_id=first_resident + n,
                    resident_name=f"Resident {n}",
                    resident_locale="en",
                    text="The drain at our gate is blocked",
                    category="drainage",
                    grid=None,
                    staff_chat_id=-1001,
                )
            )
            os.write(1, f"{ticket.number}\n".encode())  # one short write: never interleaved
    finally:
        await linkage.close()


def worker(database_url: str, directory: Path, index: int, count: int, start: Barrier) -> None:
    data_dir = directory / f"bot{index}"  # each process its own, as separate machines would
    asyncio.run(file_tickets(database_url, data_dir, 1000 * (index + 1), count, start))


def main(database_url: str, directory: Path, processes: int, each: int) -> int:
    context = multiprocessing.get_context("fork")  # imports done once, shared by every process
    start = context.Barrier(processes)
    workers = [
        context.Process(target=worker, args=(database_url, directory, n, each, start))
        for n in range(processes)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join()
    return max(abs(process.exitcode or 0) for process in workers)


if __name__ == "__main__":
    url, folder, how_many, each = sys.argv[1:5]
    sys.exit(main(url, Path(folder), int(how_many), int(each)))
