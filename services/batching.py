"""Group commit: concurrent callers share one database round trip instead of one each.

A caller adds its item and waits for the writer's turn. Whoever gets the turn first does the
work for every item added so far, its own included, and hands each caller its answer; a caller
whose item was done meanwhile returns at once. Nothing waits for a timer or a batch size: an
item alone goes at once, as before, and items that arrive while a round trip is under way go
together in the next one. So no item waits longer than one round trip more than it would alone,
and under load each waits less, because there are fewer round trips to queue behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")
Answer = TypeVar("Answer")


class GroupCommit(Generic[Item, Answer]):
    """Runs `work(items) -> answers` (same order) for whatever callers have added meanwhile."""

    def __init__(self, work: Callable[[list[Item]], Awaitable[list[Answer]]]) -> None:
        self._work = work
        self._waiting: list[tuple[Item, asyncio.Future[Answer]]] = []
        self._turn = asyncio.Lock()

    async def __call__(self, item: Item) -> Answer:
        answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, answer))
        async with self._turn:
            if not answer.done():
                await self._run(answer)
        return answer.result()

    async def _run(self, own: asyncio.Future[Answer]) -> None:
        batch, self._waiting = self._waiting, []
        try:
            answers = await self._work([item for item, _future in batch])
        except asyncio.CancelledError:
            # This caller was cancelled: its own item is dropped, as its own round trip would
            # have been; the others' items go back for the next turn.
            self._waiting[:0] = [entry for entry in batch if entry[1] is not own]
            own.cancel()
            raise
        except BaseException as error:
            # Failed: every caller in the batch gets the error, as each would have alone.
            for _item, future in batch:
                if not future.done():
                    future.set_exception(error)
            if not isinstance(error, Exception):
                raise
            return
        for (_item, future), value in zip(batch, answers, strict=True):
            if not future.done():
                future.set_result(value)
