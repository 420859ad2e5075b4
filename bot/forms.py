"""Form state written when an update is done, not halfway through its handler.

A handler moves a form on (set_state, update_data) and then answers. Written at once, a
process killed between the two leaves the form a step ahead of what the person was shown:
the update, delivered again, meets the next step and the person never sees the question
they are now expected to answer. Staged until the handler returns, a crash before that
leaves the form where it was, and the redelivered update does the whole step again. A step
that fails is not kept either, which is what the error answer tells the person. A step
that finished while Redis went away waits for it (a minute at most) before it is written.

The answers in a form are personal data (a tourist's ID number and phone, a resident's words
and location). In Redis they are sealed with the data key (`SealedJSON`; the state names stay
readable, they hold nothing personal); in memory they expire as in Redis
(`ExpiringMemoryStorage`). A form whose answers are gone (left too long) or cannot be read back
(sealed with a key no longer given) is dropped, and the person is told (`TellLostForms`).
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from enum import StrEnum
from typing import Any, TypeVar

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.exceptions import WatchError

from handlers.menu import CERTIFICATE, HELP, LANGUAGE, MEDIATION, REPORT, REQUESTS, main_menu
from services.privacy import DecryptionError, FieldCipher

log = logging.getLogger(__name__)

DONE_KEPT_SECONDS = 2 * 24 * 3600  # as long as update ids are kept in the database
COMMIT_PATIENCE_SECONDS = 60.0  # how long a finished step waits for Redis to come back
# A form's state name (nothing personal) outlives its answers by this, so that a person who
# comes back to a form forgotten is told so rather than have their answer taken as new.
LOST_FORM_NOTICE_SECONDS = 7 * 24 * 3600
SWEEP_SECONDS = 600.0  # memory: at most this long between sweeps of expired forms
FORM_MARK = "__form__"  # stored with every form's answers: answers gone means form forgotten
Changes = dict[StorageKey, dict[str, Any]]  # key → {"state": …, "data": …} as last set
Forms = dict[StorageKey, tuple[str | None, dict[str, Any]]]  # key → (state, answers) whole
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
_staged: ContextVar[Changes | None] = ContextVar("linkage_staged_forms", default=None)
T = TypeVar("T")


class LostForm(StrEnum):
    EXPIRED = "its answers were left longer than STATE_TTL_SECONDS"
    UNREADABLE = "its answers could not be read (sealed with a data key no longer given)"


class UnreadableForm(ValueError):
    """Stored answers that do not decrypt with any data key, or are not a form."""


class SealedJSON:
    """RedisStorage's json_dumps and json_loads: a form's answers encrypted with the data key.

    Forms written before they were sealed (plain JSON) are still read: the person goes on
    where they were, and `StagedStorage` writes the form again sealed at once.
    """

    def __init__(self, cipher: FieldCipher) -> None:
        self.cipher = cipher

    def dumps(self, data: Any) -> str:
        return self.cipher.encrypt(json.dumps(data, ensure_ascii=False))

    def loads(self, text: str) -> Any:
        try:
            plain = text if text.startswith("{") else self.cipher.decrypt(text)
            return json.loads(plain)
        except (DecryptionError, ValueError):
            raise UnreadableForm("a stored form could not be read") from None


class ExpiringMemoryStorage(BaseStorage):
    """Forms in this process's memory, expiring as RedisStorage's do (state_ttl, data_ttl).

    aiogram's MemoryStorage keeps a form for ever. Here each record has a deadline, checked
    when it is read; and at most every SWEEP_SECONDS a read or write drops every record past
    its deadline, so the forms of people who never come back go too. No task per form.
    """

    def __init__(
        self, state_ttl: float, data_ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.state_ttl = state_ttl
        self.data_ttl = data_ttl
        self.clock = clock
        self._states: dict[StorageKey, tuple[float, str]] = {}
        self._data: dict[StorageKey, tuple[float, dict[str, Any]]] = {}
        self._sweep_every = min(SWEEP_SECONDS, state_ttl, data_ttl)
        self._next_sweep = clock() + self._sweep_every

    def forms_with_answers(self) -> int:
        """How many forms' answers are held, expired ones not yet swept included."""
        return len(self._data)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = state.state if isinstance(state, State) else state
        self._keep(self._states, key, name, self.state_ttl)

    async def get_state(self, key: StorageKey) -> str | None:
        return self._fresh(self._states, key)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        self._keep(self._data, key, copy.deepcopy(dict(data)) or None, self.data_ttl)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return copy.deepcopy(self._fresh(self._data, key) or {})

    async def close(self) -> None:
        self._states.clear()
        self._data.clear()

    def _keep(
        self,
        records: dict[StorageKey, tuple[float, T]],
        key: StorageKey,
        value: T | None,
        ttl: float,
    ) -> None:
        self._sweep_now_and_then()
        if value is None:
            records.pop(key, None)
        else:
            records[key] = (self.clock() + ttl, value)

    def _fresh(self, records: dict[StorageKey, tuple[float, T]], key: StorageKey) -> T | None:
        self._sweep_now_and_then()
        record = records.get(key)
        if record is None:
            return None
        deadline, value = record
        if self.clock() >= deadline:
            del records[key]
            return None
        return value

    def _sweep_now_and_then(self) -> None:
        now = self.clock()
        if now < self._next_sweep:
            return
        self._next_sweep = now + self._sweep_every
        for records in (self._states, self._data):
            for key in [key for key, (deadline, _value) in records.items() if now >= deadline]:
                del records[key]


class StagedStorage(BaseStorage):
    """Wraps the real storage; inside `staged()` writes wait in memory until it ends.

    Every form is written whole (state and answers, marked with FORM_MARK), so both are kept
    for the same while after each step; a state whose answers are gone or unreadable is a lost
    form: dropped when read, and noted for `TellLostForms`.
    """

    def __init__(self, inner: BaseStorage) -> None:
        self.inner = inner
        self._lost: dict[StorageKey, LostForm] = {}

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
            await self._write(self.inner, await self._whole(changes))
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
        forms = await self._whole(changes)
        async with storage.redis.pipeline(transaction=True) as pipe:
            queued = copy.copy(storage)  # the same storage, writing into the transaction
            queued.redis = pipe
            await self._write(queued, forms)
            pipe.set(_done_key(update_id), 1, ex=DONE_KEPT_SECONDS)
            await pipe.execute()

    async def done(self, update_id: int) -> bool:
        """Whether this update's step was written (Redis only: memory dies with the process)."""
        if not isinstance(self.inner, RedisStorage):
            return False
        return bool(await self.inner.redis.exists(_done_key(update_id)))

    async def seal_plain_forms(self) -> int:
        """Seal the forms still in plain JSON, written before forms were sealed; run at start.

        A person coming back has theirs sealed when it is read (`get_state`); this does it for
        those who do not, instead of leaving theirs plain until it expires. Each keeps its TTL;
        one written again meanwhile (WATCH) is left as its writer wrote it.
        """
        storage = self.inner
        if not isinstance(storage, RedisStorage):
            return 0
        if not isinstance(builder := storage.key_builder, DefaultKeyBuilder):
            raise TypeError("forms in Redis are expected under a DefaultKeyBuilder")
        sealed = 0
        match = builder.separator.join((builder.prefix, "*", "data"))
        async for key in storage.redis.scan_iter(match=match, count=500):
            async with storage.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    value = await pipe.get(key)
                    if not value or not value.startswith(b"{"):
                        continue
                    data = {**json.loads(value), FORM_MARK: 1}
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(key, storage.json_dumps(data), keepttl=True)
                    await pipe.execute()
                    sealed += 1
                except WatchError:
                    continue
        if sealed:
            log.info("sealed %s forms left in plain JSON by an earlier version", sealed)
        return sealed

    def take_lost(self, key: StorageKey) -> LostForm | None:
        """Why this person's form was dropped when last read, once; None if it was not."""
        return self._lost.pop(key, None)

    async def _whole(self, changes: Changes) -> Forms:
        """Each changed form as it now stands: what was set, the rest as stored."""
        forms: Forms = {}
        for key, change in changes.items():
            state = change["state"] if "state" in change else await self.inner.get_state(key)
            data = change["data"] if "data" in change else await self._stored_data(key)
            forms[key] = (state, data)
        return forms

    @staticmethod
    async def _write(storage: BaseStorage, forms: Forms) -> None:
        for key, (state, data) in forms.items():
            await storage.set_state(key, state)
            await storage.set_data(key, {**data, FORM_MARK: 1} if state or data else {})

    async def _stored_data(self, key: StorageKey) -> dict[str, Any]:
        try:
            data = await self.inner.get_data(key)
        except UnreadableForm:
            return {}  # its state, read first, has dropped the form already
        data.pop(FORM_MARK, None)
        return data

    async def _lose(self, key: StorageKey, why: LostForm) -> None:
        level = logging.INFO if why is LostForm.EXPIRED else logging.WARNING
        log.log(level, "form of user %s in chat %s dropped: %s", key.user_id, key.chat_id, why)
        await self.inner.set_state(key, None)
        await self.inner.set_data(key, {})
        self._lost[key] = why

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = state.state if isinstance(state, State) else state
        changes = _staged.get()
        if changes is None:
            await self._write(self.inner, await self._whole({key: {"state": name}}))
            return
        changes.setdefault(key, {})["state"] = name

    async def get_state(self, key: StorageKey) -> str | None:
        change = (_staged.get() or {}).get(key, {})
        if "state" in change:
            return change["state"]  # type: ignore[no-any-return]
        state = await self.inner.get_state(key)
        if state is None:
            return None
        try:
            data = await self.inner.get_data(key)
        except UnreadableForm:
            await self._lose(key, LostForm.UNREADABLE)
            return None
        if FORM_MARK in data:
            return state
        if not data:  # the answers expired, the state name was kept to say so
            await self._lose(key, LostForm.EXPIRED)
            return None
        # written before forms were sealed: carried on, and written sealed now
        await self._write(self.inner, {key: (state, data)})
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        changes = _staged.get()
        if changes is None:
            await self._write(self.inner, await self._whole({key: {"data": dict(data)}}))
            return
        changes.setdefault(key, {})["data"] = dict(data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        change = (_staged.get() or {}).get(key, {})
        if "data" in change:
            return dict(change["data"])
        return await self._stored_data(key)

    async def close(self) -> None:
        await self.inner.close()


class TellLostForms(BaseMiddleware):
    """A person whose form was dropped is told, instead of their answer meeting no question.

    What they sent is not taken as something else (a phone number as a new report), unless
    it is a command or a menu press: that then does what it says.
    """

    def __init__(self, forms: StagedStorage) -> None:
        self.forms = forms

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        context: FSMContext | None = data.get("state")
        lost = self.forms.take_lost(context.key) if context is not None else None
        if lost is None:
            return await handler(event, data)
        if lost is LostForm.EXPIRED:
            text = _(
                "You left your form unfinished for too long, so I deleted what you had entered. "
                "Nothing was sent. Please start again from the menu."
            )
        else:
            text = _(
                "I could not read back your unfinished form, so I deleted it. "
                "Nothing was sent. Please start again from the menu."
            )
        chat: Chat | None = data.get("event_chat")
        menu = main_menu() if chat is not None and chat.type == "private" else None
        if isinstance(event, CallbackQuery):
            await event.answer()
            if isinstance(event.message, Message):
                await event.message.answer(text, reply_markup=menu)
            return None
        if isinstance(event, Message):
            await event.answer(text, reply_markup=menu)
            if _starts_something(event, data["i18n"]):
                return await handler(event, data)
            return None
        return await handler(event, data)


def _starts_something(message: Message, i18n: I18n) -> bool:
    text = message.text or ""
    menu = (REPORT, REQUESTS, CERTIFICATE, MEDIATION, LANGUAGE, HELP)
    return text.startswith("/") or any(text in entry.texts_in_every_locale(i18n) for entry in menu)


def _done_key(update_id: int) -> str:
    return f"linkage:update-done:{update_id}"
