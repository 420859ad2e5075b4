"""Everything the stand-in remembers: chats, messages, files, updates, calls."""

from __future__ import annotations

import asyncio
import copy
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .media import FileStore
from .models import BOT_FIRST_NAME, BOT_USERNAME, Call, FakeChat, FakeUser, ForumTopic

__all__ = ["DEFAULT_EXCLUDED_UPDATES", "QueuedUpdate", "Signal", "StandinState", "bot_user"]

# Update types Telegram only delivers when allowed_updates names them explicitly.
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

# Message fields that carry content (copied by copyMessage / forwardMessage).
CONTENT_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "show_caption_above_media",
    "photo",
    "document",
    "video",
    "audio",
    "voice",
    "animation",
    "sticker",
    "video_note",
    "location",
    "venue",
    "contact",
    "dice",
    "poll",
)


def bot_user(token: str) -> dict[str, Any]:
    """The ``User`` object for the bot owning ``token`` (id = digits before the colon)."""
    return {
        "id": int(token.split(":", 1)[0]),
        "is_bot": True,
        "first_name": BOT_FIRST_NAME,
        "username": BOT_USERNAME,
    }


class Signal:
    """Wakes every waiter when something changes (an edge-triggered broadcast)."""

    def __init__(self, then: Callable[[], None] | None = None) -> None:
        self._event = asyncio.Event()
        self._then = then

    def notify(self) -> None:
        """Wake all current waiters (and call ``then``, if given)."""
        self._event.set()
        self._event = asyncio.Event()
        if self._then is not None:
            self._then()

    async def wait(self, seconds: float | None) -> bool:
        """Wait for the next notify (at most ``seconds``); False on timeout."""
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), seconds)
        except TimeoutError:
            return False
        return True


@dataclass
class QueuedUpdate:
    """An update waiting to be fetched or delivered.

    ``forced`` marks a redelivered update: getUpdates returns it once even when
    the offset has already moved past its id.
    """

    update: dict[str, Any]
    forced: bool = False

    @property
    def update_id(self) -> int:
        """The update's id."""
        return int(self.update["update_id"])

    @property
    def kind(self) -> str:
        """The update type (``message``, ``callback_query``...)."""
        return next(k for k in self.update if k != "update_id")


class StandinState:
    """Mutable state shared by the HTTP handlers and the test-facing API."""

    def __init__(self, first_update_id: int = 1) -> None:
        self.bot: dict[str, Any] = bot_user("1:standin")
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, FakeChat] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.bot_status: dict[int, str] = {}
        # administrator rights the bot was given differently from "all of them", per chat
        self.bot_rights: dict[int, dict[str, bool]] = {}
        self.topics: dict[int, dict[int, ForumTopic]] = {}
        self.messages: dict[int, dict[int, dict[str, Any]]] = {}
        self.markups: dict[tuple[int, int], dict[str, Any]] = {}
        self.bot_log: dict[int, list[dict[str, Any]]] = {}
        self.cursors: dict[int, int] = {}
        self.files = FileStore()
        self.updates: list[QueuedUpdate] = []
        self.filtered_updates: list[dict[str, Any]] = []
        self.allowed_updates: list[str] | None = None
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: dict[str, list[dict[str, Any]]] = {}
        self.commands: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}
        self.calls: list[Call] = []
        self.blocked: set[int] = set()
        self.closing = False
        self.observers: list[Callable[[], None]] = []
        self.updates_signal = Signal()
        self.messages_signal = Signal(self.changed)
        self.calls_signal = Signal(self.changed)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._update_ids = itertools.count(first_update_id)
        self._callback_ids = itertools.count(1)

    def changed(self) -> None:
        """Tell every observer that messages, topics or calls changed (a web page redraws)."""
        for observer in list(self.observers):
            observer()

    # ------------------------------------------------------------------ chats

    def add_user(self, user: FakeUser) -> FakeUser:
        """Register a user and their private chat with the bot."""
        self.users[user.id] = user
        self.chats[user.id] = FakeChat(
            id=user.id,
            type="private",
            username=user.username,
            first_name=user.first_name,
            last_name=user.last_name,
        )
        return user

    def user_dict(self, user_id: int) -> dict[str, Any]:
        """The ``User`` JSON for any id (placeholder for unknown users)."""
        if user_id == self.bot["id"]:
            return dict(self.bot)
        user = self.users.get(user_id)
        if user is None:
            return {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        return user.to_dict()

    def find_chat(self, chat_ref: int | str) -> FakeChat | None:
        """A chat by id or ``@username``."""
        if isinstance(chat_ref, int):
            return self.chats.get(chat_ref)
        name = chat_ref.removeprefix("@").lower()
        return next((c for c in self.chats.values() if (c.username or "").lower() == name), None)

    def member_status(self, chat_id: int, user_id: int) -> str:
        """Membership status as getChatMember reports it."""
        if user_id == self.bot["id"] and chat_id in self.bot_status:
            return self.bot_status[chat_id]
        status = self.members.get((chat_id, user_id))
        if status is not None:
            return status
        chat = self.chats.get(chat_id)
        if chat is not None and chat.type == "private" and user_id in (chat_id, self.bot["id"]):
            return "member"
        return "left"

    # --------------------------------------------------------------- messages

    def next_message_id(self, chat_id: int) -> int:
        """Allocate the next message id in a chat."""
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def new_message(
        self,
        chat: FakeChat,
        sender: dict[str, Any],
        *,
        thread_id: int | None = None,
        reply_to: dict[str, Any] | None = None,
        content: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Build (not store) a ``Message`` with a fresh id."""
        message: dict[str, Any] = {
            "message_id": self.next_message_id(chat.id),
            "from": dict(sender),
            "chat": chat.to_dict(),
            "date": int(time.time()),
        }
        if thread_id is not None and chat.is_forum:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
            if reply_to is None:
                reply_to = self.messages.get(chat.id, {}).get(thread_id)
        if reply_to is not None:
            message["reply_to_message"] = strip_reply(reply_to)
        if content:
            message.update(content)
        return message

    def store(
        self,
        message: dict[str, Any],
        *,
        from_bot: bool,
        markup: dict[str, Any] | None = None,
        service: bool = False,
    ) -> dict[str, Any]:
        """Keep ``message`` in its chat; bot messages also go to the test's log."""
        chat_id = message["chat"]["id"]
        self.messages.setdefault(chat_id, {})[message["message_id"]] = message
        if markup is not None:
            self.markups[(chat_id, message["message_id"])] = markup
        if from_bot and not service:
            self.bot_log.setdefault(chat_id, []).append(message)
            self.messages_signal.notify()
        else:
            self.changed()
        return message

    def get_message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """A live (not deleted) message."""
        return self.messages.get(chat_id, {}).get(message_id)

    def delete_message(self, chat_id: int, message_id: int) -> bool:
        """Delete a message; False if it did not exist."""
        removed = self.messages.get(chat_id, {}).pop(message_id, None)
        self.markups.pop((chat_id, message_id), None)
        return removed is not None

    # ---------------------------------------------------------------- updates

    def is_allowed(self, kind: str) -> bool:
        """Whether the current allowed_updates setting lets ``kind`` through."""
        if not self.allowed_updates:
            return kind not in DEFAULT_EXCLUDED_UPDATES
        return kind in self.allowed_updates

    def set_allowed_updates(self, allowed: list[str] | None) -> None:
        """Apply a new allowed_updates list and drop queued updates it excludes."""
        self.allowed_updates = list(allowed) if allowed else None
        self.updates = [u for u in self.updates if self.is_allowed(u.kind)]

    def push_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Create an update with the next id and queue it (unless filtered out)."""
        update = {"update_id": next(self._update_ids), kind: payload}
        self.enqueue(update)
        return update

    def enqueue(self, update: dict[str, Any], *, forced: bool = False) -> None:
        """Queue an existing update dict."""
        entry = QueuedUpdate(copy.deepcopy(update), forced)
        if not self.is_allowed(entry.kind):
            self.filtered_updates.append(entry.update)
            return
        self.updates.append(entry)
        self.updates_signal.notify()

    def confirm(self, offset: int | None) -> None:
        """Apply a getUpdates ``offset`` exactly like Telegram."""
        if not offset:
            return
        if offset < 0:
            keep = -offset
            self.updates = self.updates[-keep:] if keep < len(self.updates) else self.updates
            return
        self.updates = [u for u in self.updates if u.update_id >= offset or u.forced]

    def take_updates(self, limit: int) -> list[dict[str, Any]]:
        """The first ``limit`` queued updates (they stay queued until confirmed)."""
        batch = self.updates[:limit]
        for entry in batch:
            entry.forced = False
        return [copy.deepcopy(entry.update) for entry in batch]

    def drop_updates(self) -> None:
        """Forget every pending update (drop_pending_updates)."""
        self.updates.clear()

    def next_callback_id(self) -> str:
        """A fresh callback query id (a long decimal string, like Telegram's)."""
        return f"{4_000_000_000_000_000 + next(self._callback_ids)}"


def strip_reply(message: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``message`` suitable as ``reply_to_message`` (not nested further)."""
    reply = copy.deepcopy(message)
    reply.pop("reply_to_message", None)
    return reply
