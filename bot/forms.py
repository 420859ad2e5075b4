"""Form state written when an update is done, not halfway through its handler.

A handler moves a form on (set_state, update_data) and then answers. Written at once, a
process killed between the two leaves the form a step ahead of what the person was shown:
the update, delivered again, meets the next step and the person never sees the question
they are now expected to answer. Staged until the handler returns, a crash before that
leaves the form where it was, and the redelivered update does the whole step again. A step
that fails is not kept either, which is what the error answer tells the person. A step
that finished while Redis went away waits for it (a minute at most) before it is written.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

DONE_KEPT_SECONDS = 2 * 24 * 3600  # as long as update ids are kept in the database
COMMIT_PATIENCE_SECONDS = 60.0  # how long a finished step waits for Redis to come back
Changes = dict[StorageKey, dict[str, Any]]  # key → {"state": …, "data": …} as last set
_staged: ContextVar[Changes | None] = ContextVar("linkage_staged_forms", default=None)


class StagedStorage(BaseStorage):
    """Wraps the real storage; inside `staged()` writes wait in memory until it ends."""

    def __init__(self, inner: BaseStorage) -> None:
        self.inner = inner

    @asynccontextmanager
    async def staged(self, update_id: int) -> AsyncIterator[None]:
        """Stage the writes of the block; write them if it ends normally, drop them if not.

        In Redis the writes and a mark that this update is done go in one transaction, so an
        update delivered again after a crash is either done with its form moved, or not.
        """
        changes: Changes = {}
        token = _staged.set(changes)
        try:
            yield
        finally:
            _staged.reset(token)
        if not isinstance(self.inner, RedisStorage):
            await self._write(self.inner, changes)
            return
        # The person has seen this step's answer: keep trying while Redis is briefly away,
        # so the form does not stay a step behind what they were shown.
        deadline = time.monotonic() + COMMIT_PATIENCE_SECONDS
        pause = 0.5
        while True:
            try:
                await self._commit(self.inner, changes, update_id)
                return
            except (RedisConnectionError, RedisTimeoutError):
                if time.monotonic() + pause > deadline:
                    raise
                log.warning("forms of update %s not written yet: Redis is away", update_id)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)

    async def _commit(self, storage: RedisStorage, changes: Changes, update_id: int) -> None:
        async with storage.redis.pipeline(transaction=True) as pipe:
            queued = copy.copy(storage)  # the same storage, writing into the transaction
            queued.redis = pipe
            await self._write(queued, changes)
            pipe.set(_done_key(update_id), 1, ex=DONE_KEPT_SECONDS)
            await pipe.execute()

    async def done(self, update_id: int) -> bool:
        """Whether this update's step was written (Redis only: memory dies with the process)."""
        if not isinstance(self.inner, RedisStorage):
            return False
        return bool(await self.inner.redis.exists(_done_key(update_id)))

    @staticmethod
    async def _write(storage: BaseStorage, changes: Changes) -> None:
        for key, change in changes.items():
            if "state" in change:
                await storage.set_state(key, change["state"])
            if "data" in change:
                await storage.set_data(key, change["data"])

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        changes = _staged.get()
        if changes is None:
            await self.inner.set_state(key, state)
            return
        changes.setdefault(key, {})["state"] = state.state if isinstance(state, State) else state

    async def get_state(self, key: StorageKey) -> str | None:
        change = (_staged.get() or {}).get(key, {})
        if "state" in change:
            return change["state"]  # type: ignore[no-any-return]
        return await self.inner.get_state(key)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        changes = _staged.get()
        if changes is None:
            await self.inner.set_data(key, data)
            return
        changes.setdefault(key, {})["data"] = dict(data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        change = (_staged.get() or {}).get(key, {})
        if "data" in change:
            return dict(change["data"])
        return await self.inner.get_data(key)

    async def close(self) -> None:
        await self.inner.close()


def _done_key(update_id: int) -> str:
    return f"linkage:update-done:{update_id}"
