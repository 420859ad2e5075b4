"""The relay: moves notifications from the outbox onto the queue.

It runs in every process. If the queue is away (Redis down), rows simply stay pending in the
database and move once it is back: a state change never fails for want of a queue.

In embedded mode, rows this process commits skip it (handed to the sender in memory, see
services.outbox); it still sweeps what other processes wrote, what an admin retries, and what a
crash left queued but unsent (`requeue_stale`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from services.outbox import Outbox
from services.queue import Entry, NotificationQueue

log = logging.getLogger(__name__)


class Relay:
    def __init__(
        self,
        outbox: Outbox,
        queue: NotificationQueue,
        poll_seconds: float = 1.0,
        stale_after: timedelta = timedelta(minutes=5),
    ) -> None:
        self.outbox = outbox
        self.queue = queue
        self.poll_seconds = poll_seconds
        self.stale_after = stale_after

    async def run_once(self, batch: int = 500) -> int:
        """Queue what is pending; returns how many were queued.

        A batch short of `batch` was all there was: no second read to find nothing.
        """
        moved = 0
        while rows := await self.outbox.pending(batch):
            await self.queue.publish(
                [Entry(row.id, row.chat_id, row.priority) for row in rows if row.id is not None]
            )
            await self.outbox.mark_queued([row.id for row in rows if row.id is not None])
            moved += len(rows)
            if len(rows) < batch:
                break
        return moved

    async def run(self, stop: asyncio.Event) -> None:
        failures = 0
        last_sweep = time.monotonic()
        while not stop.is_set():
            try:
                if time.monotonic() - last_sweep > self.stale_after.total_seconds() / 2:
                    last_sweep = time.monotonic()
                    if requeued := await self.outbox.requeue_stale(self.stale_after):
                        log.warning("%s queued notifications were lost by the queue", requeued)
                await self.run_once()
                failures = 0
            except Exception as error:  # the queue or the database is away: rows wait
                failures += 1
                log.warning("relay cannot queue notifications yet (%s); they wait", error)
                await _sleep_unless(stop, min(30.0, 0.5 * 2**failures))
                continue
            await _first_of(self.outbox.wait_for_writes(self.poll_seconds), stop.wait())


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _first_of(*waits: Coroutine[Any, Any, Any]) -> None:
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
