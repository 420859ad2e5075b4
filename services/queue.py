"""The queue between the outbox and the senders: Redis Streams, or in-process when alone.

An entry only names a notification (its id and chat); the outbox row is the truth. So an entry
seen twice is harmless: the sender checks the row before sending. And what a notification says
(a message text, a verifier's card with personal data) never passes through Redis.

In-process, a row just committed in this process is handed over as it is (services.outbox,
`handoff`): its entry carries it, and the sender sends it without reading it back. Until that
entry is acknowledged the queue holds the row's id "in hand", so a read-back for another entry
(a swept row of the same chat) leaves it to its own entry and nothing goes out twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator, Set
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, ResponseError

from services.batching import GroupCommit
from services.models import Notification
from services.outbox import Handoff, Priority

log = logging.getLogger(__name__)
GROUP = "senders"


@dataclass(frozen=True)
class Entry:
    notification_id: int
    chat_id: int
    priority: int
    entry_id: str = ""  # the stream entry, for XACK
    # handed over in this process just after its commit: sent as it is, not read back
    notification: Notification | None = field(default=None, compare=False, repr=False)


class NotificationQueue(Protocol):
    async def publish(self, entries: list[Entry]) -> None: ...

    async def receive(self, consumer: str, count: int, block_ms: int) -> list[Entry]: ...

    async def ack(self, entry: Entry) -> None: ...

    async def claim_abandoned(self, consumer: str, idle_ms: int, count: int) -> list[Entry]: ...

    def chat_lock(self, chat_id: int) -> contextlib.AbstractAsyncContextManager[None]: ...

    async def trim(self) -> int: ...

    def handoff(self) -> Handoff | None:
        """Where committed rows go straight in, for a sender in this process; None: the relay
        publishes them (another process may be the one to send them)."""
        ...

    def in_hand(self) -> Set[int]:
        """Rows handed over and not yet acknowledged: a read-back leaves them to their entries."""
        ...


class MemoryQueue:
    """Embedded mode: one process, so a priority queue and plain locks do."""

    def __init__(self) -> None:
        # (priority, notification, arrival): an entry published twice never meets itself
        self._queue: asyncio.PriorityQueue[tuple[int, int, int, Entry]] = asyncio.PriorityQueue()
        self._arrivals = itertools.count()
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}  # chat → (lock, holders+waiters)
        self._in_hand: set[int] = set()

    async def publish(self, entries: list[Entry]) -> None:
        for entry in entries:
            self._put(entry)

    def _put(self, entry: Entry) -> None:
        self._queue.put_nowait((entry.priority, entry.notification_id, next(self._arrivals), entry))

    def hold(self, rows: list[Notification]) -> None:
        self._in_hand.update(row.id for row in rows if row.id is not None)

    def hand_over(self, rows: list[Notification]) -> None:
        """Committed rows, queued as they are (services.outbox's `handoff`)."""
        self.hold(rows)
        for row in rows:
            assert row.id is not None
            self._put(Entry(row.id, row.chat_id, row.priority, notification=row))

    def drop(self, rows: list[Notification]) -> None:
        self._in_hand.difference_update(row.id for row in rows)

    def handoff(self) -> Handoff | None:
        return self

    def in_hand(self) -> Set[int]:
        return self._in_hand

    async def receive(self, consumer: str, count: int, block_ms: int) -> list[Entry]:
        try:
            *_order, first = await asyncio.wait_for(self._queue.get(), block_ms / 1000)
        except TimeoutError:
            return []
        entries = [first]
        while len(entries) < count and not self._queue.empty():
            entries.append(self._queue.get_nowait()[-1])
        return entries

    async def ack(self, entry: Entry) -> None:
        if entry.notification is not None:
            self._in_hand.discard(entry.notification_id)

    async def claim_abandoned(self, consumer: str, idle_ms: int, count: int) -> list[Entry]:
        return []  # nobody else consumes here

    async def trim(self) -> int:
        return 0  # a taken entry is gone already

    @contextlib.asynccontextmanager
    async def chat_lock(self, chat_id: int) -> AsyncIterator[None]:
        lock, users = self._locks.get(chat_id, (asyncio.Lock(), 0))
        self._locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[chat_id]
            if users == 1:
                del self._locks[chat_id]  # forget chats nobody is sending to
            else:
                self._locks[chat_id] = (lock, users - 1)


class RedisStreamQueue:
    """Several processes: one stream per priority, read through a consumer group.

    A consumer that dies leaves its entries pending; another takes them over with XAUTOCLAIM.
    Per-chat locks keep one chat's messages in order whichever process sends them.
    """

    def __init__(self, redis: Redis, prefix: str = "linkage:notify", lock_seconds: float = 60):
        self.redis = redis
        self.prefix = prefix
        self.lock_seconds = lock_seconds
        self.streams = [f"{prefix}:{int(priority)}" for priority in Priority]
        self._groups_ready = False
        self._acks = GroupCommit(self._ack_all)  # concurrent chat tasks share one round trip

    def _stream(self, priority: int) -> str:
        return f"{self.prefix}:{priority}"

    def handoff(self) -> Handoff | None:
        return None  # any process may send: entries name rows, the relay publishes them

    def in_hand(self) -> Set[int]:
        return frozenset()

    async def _ensure_groups(self) -> None:
        if self._groups_ready:
            return
        for stream in self.streams:
            with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists
                await self.redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
        self._groups_ready = True

    async def publish(self, entries: list[Entry]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for entry in entries:
                fields: dict[Any, Any] = {"id": entry.notification_id, "chat": entry.chat_id}
                pipe.xadd(self._stream(entry.priority), fields)
            await pipe.execute()

    async def receive(self, consumer: str, count: int, block_ms: int) -> list[Entry]:
        """Urgent entries first: a lower stream is read only when the ones above are empty."""
        try:
            return await self._receive(consumer, count, block_ms)
        except ResponseError as error:
            if "NOGROUP" in str(error):  # Redis restarted empty: make the groups again
                self._groups_ready = False
            raise

    async def _receive(self, consumer: str, count: int, block_ms: int) -> list[Entry]:
        await self._ensure_groups()
        for stream in self.streams:
            answer: Any = await self.redis.xreadgroup(GROUP, consumer, {stream: ">"}, count=count)
            if answer:
                return self._entries(stream, answer[0][1])
        answer = await self.redis.xreadgroup(
            GROUP, consumer, dict.fromkeys(self.streams, ">"), count=count, block=block_ms
        )  # RESP2 shape: [[stream, [(entry id, fields), …]], …]
        return [entry for stream, items in answer or [] for entry in self._entries(stream, items)]

    async def ack(self, entry: Entry) -> None:
        await self._acks(entry)

    async def _ack_all(self, entries: list[Entry]) -> list[None]:
        """One XACK per stream for entries acknowledged together."""
        by_stream: dict[str, list[str]] = {}
        for entry in entries:
            by_stream.setdefault(self._stream(entry.priority), []).append(entry.entry_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            for stream, entry_ids in by_stream.items():
                pipe.xack(stream, GROUP, *entry_ids)
            await pipe.execute()
        return [None] * len(entries)

    async def claim_abandoned(self, consumer: str, idle_ms: int, count: int) -> list[Entry]:
        await self._ensure_groups()
        claimed: list[Entry] = []
        for stream in self.streams:
            answer: Any = await self.redis.xautoclaim(
                stream, GROUP, consumer, min_idle_time=idle_ms, count=count
            )
            claimed += self._entries(stream, answer[1])
        return claimed

    @contextlib.asynccontextmanager
    async def chat_lock(self, chat_id: int) -> AsyncIterator[None]:
        """Held while this process sends to the chat, however long Telegram makes it wait.

        The lock expires `lock_seconds` after its last renewal, so a dead process frees the
        chat; a live one renews it every third of that, through a 429 wait or a backoff, so
        no other process takes the chat while a message of it may still go out from here.
        """
        lock = self.redis.lock(
            f"{self.prefix}:lock:{chat_id}",
            timeout=self.lock_seconds,
            blocking_timeout=self.lock_seconds,
        )
        async with lock:
            renewing = asyncio.create_task(self._renew(lock, chat_id))
            try:
                yield
            finally:
                renewing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewing

    async def _renew(self, lock: Lock, chat_id: int) -> None:
        while True:
            await asyncio.sleep(self.lock_seconds / 3)
            try:
                await lock.reacquire()
            except LockError:  # expired meanwhile (Redis away longer than the lock)
                log.error("the lock on chat %s expired while sending to it", chat_id)
                return
            except Exception as error:  # Redis away: try again before the lock runs out
                log.warning("cannot renew the lock on chat %s (%s)", chat_id, error)

    async def trim(self) -> int:
        """Delete the entries every consumer is done with; returns how many.

        Entries are kept from the oldest one still pending (read, not acknowledged: a sender is
        at it, or died at it and another will claim it) or, when none is, from the first the
        group has not read yet. So trimming never loses work: XTRIM MINID below that entry.
        """
        await self._ensure_groups()
        trimmed = 0
        for stream in self.streams:
            groups: Any = await self.redis.xinfo_groups(stream)
            group = next((g for g in groups if _text(g["name"]) == GROUP), None)
            if group is None:
                continue
            keep_from = _after(_text(group["last-delivered-id"]))
            if int(group["pending"]):
                pending: Any = await self.redis.xpending(stream, GROUP)
                keep_from = _text(pending["min"])
            trimmed += int(await self.redis.xtrim(stream, minid=keep_from, approximate=False))
        return trimmed

    async def length(self) -> dict[int, int]:
        """Entries held per priority stream (read or not): what Redis keeps."""
        lengths = {}
        for priority in Priority:
            lengths[int(priority)] = int(await self.redis.xlen(self._stream(int(priority))))
        return lengths

    def _entries(self, stream: Any, items: list[Any]) -> list[Entry]:
        name = stream.decode() if isinstance(stream, bytes) else str(stream)
        priority = int(name.rsplit(":", 1)[1])
        entries = []
        for entry_id, fields in items:
            if not fields:  # deleted meanwhile
                continue
            entries.append(
                Entry(
                    notification_id=int(fields[b"id"]),
                    chat_id=int(fields[b"chat"]),
                    priority=priority,
                    entry_id=entry_id.decode() if isinstance(entry_id, bytes) else entry_id,
                )
            )
        return entries


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _after(entry_id: str) -> str:
    """The smallest stream id after `entry_id` ("ms-seq")."""
    milliseconds, sequence = entry_id.split("-")
    return f"{milliseconds}-{int(sequence) + 1}"
