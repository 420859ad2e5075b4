"""A local Telegram Bot API stand-in for end-to-end tests.

Point a real aiogram ``Bot`` at it::

    standin = BotAPIStandin()
    await standin.start()
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(standin.base_url)))

Requests are validated against the published Bot API description, Telegram's
limits and flood control are enforced, and the test drives "users" through the
methods below (``send_message``, ``press_button``...) and inspects what the bot
did (``wait_for_messages``, ``messages``, ``calls``...).
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from .bodies import BodyError, read_request
from .formatting import find_entities, utf16_len
from .limits import Limits
from .methods import Answer, BotMethods, Context
from .models import Call, FakeChat, FakeUser, ForumTopic, StoredFile, Upload, WebhookInfo
from .spec import ApiError, BotApiSpec
from .state import StandinState, bot_user
from .webhook import WebhookDelivery

__all__ = ["DEFAULT_TOKEN", "BotAPIStandin"]

log = logging.getLogger(__name__)

TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{10,}$")
DEFAULT_TOKEN = "123456789:AAStandinTestTokenForLinkage"
# the user Telegram puts in "from" when an anonymous group administrator writes
ANONYMOUS_ADMIN_ID = 1087968824
"""A syntactically valid token tests can use (bot id 123456789)."""

ChatRef = FakeChat | FakeUser | int
_USER_MEDIA = {
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "video": "video/mp4",
    "video_note": "video/mp4",
    "animation": "video/mp4",
    "sticker": "image/webp",
}
UserRef = FakeUser | int


class BotAPIStandin:
    """The stand-in server plus the test-facing controls.

    ``limits`` scales Telegram's limits (see :class:`Limits`); ``spec_path``
    overrides the location of ``bot-api-spec.json``. With ``strict_chats`` (the
    default) sending to a chat the test never registered answers "chat not
    found"; ``require_https`` makes setWebhook insist on HTTPS like Telegram.
    ``clock`` (seconds, monotonic) drives flood control, so tests can step time.

    ``app`` is a plain aiohttp Application: it can also be served by
    pytest-aiohttp's ``aiohttp_server``, then set ``base_url`` to that server's URL.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        spec_path: str | Path | None = None,
        *,
        strict_chats: bool = True,
        require_https: bool = False,
        first_update_id: int = 1,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.spec = BotApiSpec.load(spec_path)
        self.state = StandinState(first_update_id=first_update_id)
        self._webhook = WebhookDelivery(self.state, self.limits, self.execute)
        self._methods = BotMethods(
            self.state,
            self.spec,
            self.limits,
            self._webhook,
            strict_chats=strict_chats,
            require_https=require_https,
            clock=clock,
        )
        self.base_url: str = ""
        self._runner: web.AppRunner | None = None
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        self.app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        self.app.on_shutdown.append(self._on_shutdown)

    # ================================================================ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0 = any free port); sets and returns ``base_url``."""
        self.state.closing = False
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = self._runner.addresses[0][1]
        self.base_url = f"http://{host}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        """Stop serving; long polls return at once and webhook delivery stops."""
        self.state.closing = True
        self.state.updates_signal.notify()
        await self._webhook.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _on_shutdown(self, app: web.Application) -> None:
        self.state.closing = True
        self.state.updates_signal.notify()
        await self._webhook.close()

    # ================================================================ HTTP side

    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"]
        if not TOKEN_RE.match(token):
            self._record(Call(method, {}, time.time(), False, 401, "Unauthorized"))
            return web.json_response(ApiError(401, "Unauthorized").to_dict(), status=401)
        try:
            raw, uploads = await read_request(request)
        except BodyError as exc:
            error = ApiError(400, f"Bad Request: {exc}")
            self._record(Call(method, {}, time.time(), False, 400, error.description))
            return web.json_response(error.to_dict(), status=400)
        status, body = await self.execute(token, method, raw, uploads, "http")
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if not TOKEN_RE.match(request.match_info["token"]):
            return web.json_response(ApiError(401, "Unauthorized").to_dict(), status=401)
        stored = self.state.files.by_path(request.match_info["file_path"])
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").to_dict(), status=404)
        content_type = stored.mime_type or (
            "image/jpeg" if stored.kind == "photo" else "application/octet-stream"
        )
        return web.Response(body=stored.data, content_type=content_type)

    async def execute(
        self,
        token: str,
        method: str,
        raw: dict[str, Any],
        uploads: dict[str, Upload] | None = None,
        source: str = "http",
    ) -> tuple[int, dict[str, Any]]:
        """Validate and run one Bot API call; returns (HTTP status, JSON body).

        Used for HTTP requests and for method calls returned by the webhook. The
        call is recorded when it arrives and completed (``done``) when answered.
        """
        uploads = uploads or {}
        spec = self.spec.method(method)
        name = spec.name if spec is not None else method
        params: dict[str, Any] = {**raw, **{k: v for k, v in uploads.items() if k not in raw}}
        call = Call(name, params, time.time(), False, source=source, done=False)
        self._record(call)
        self.state.bot = bot_user(token)
        try:
            if spec is None:
                raise ApiError(404, "Not Found: method not found")
            direct = {k: v for k, v in uploads.items() if k in spec.fields and k not in raw}
            call.params = self.spec.validate(spec, {**raw, **direct}, uploads)
            context = Context(token=token, bot=self.state.bot, uploads=uploads, source=source)
            result = await self._methods.call(context, spec, call.params)
        except ApiError as error:
            call.error_code, call.description, call.done = error.code, error.description, True
            self.state.calls_signal.notify()
            if error.code >= 500 or error.code == 429:
                log.debug("%s -> %s %s", name, error.code, error.description)
            return error.code, error.to_dict()
        except Exception as exc:  # a stand-in bug: answer like a broken server, keep serving
            log.exception("stand-in failure in %s", name)
            failure = ApiError(500, f"Internal Server Error: {type(exc).__name__}: {exc}")
            call.error_code, call.description, call.done = 500, failure.description, True
            self.state.calls_signal.notify()
            return 500, failure.to_dict()
        description = None
        if isinstance(result, Answer):
            result, description = result.result, result.description
        call.response_ok, call.description, call.result, call.done = True, description, result, True
        self.state.calls_signal.notify()
        body: dict[str, Any] = {"ok": True, "result": result}
        if description:
            body["description"] = description
        return 200, body

    def _record(self, call: Call) -> None:
        self.state.calls.append(call)
        self.state.calls_signal.notify()

    # ============================================================ world set-up

    def user(
        self,
        user_id: int,
        first_name: str = "Ann",
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
    ) -> FakeUser:
        """Register a user (and their private chat with the bot)."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = FakeUser(user_id, first_name, last_name, username, language_code)
        return self.state.add_user(user)

    def group(
        self,
        chat_id: int,
        title: str = "Staff",
        forum: bool = False,
        *,
        supergroup: bool | None = None,
        username: str | None = None,
        bot_status: str = "administrator",
    ) -> FakeChat:
        """Register a group (negative id); a supergroup when ``forum`` or ``supergroup``."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        kind = "supergroup" if forum or supergroup else "group"
        chat = FakeChat(chat_id, kind, title=title, username=username, is_forum=forum)
        if forum and chat_id not in self.state.chats:
            # thread 1 is the General topic, always there: no created topic ever gets that id
            self.state.next_message_id(chat_id)
        self.state.chats[chat_id] = chat
        self.state.bot_status[chat_id] = bot_status
        return chat

    def add_member(
        self, group_id: int | FakeChat, user_id: UserRef, status: str = "member"
    ) -> None:
        """Set a user's membership status (creator/administrator/member/restricted/left/kicked)."""
        if status not in ("creator", "administrator", "member", "restricted", "left", "kicked"):
            raise ValueError(f"unknown member status {status!r}")
        self.state.members[(_chat_id(group_id), _user_id(user_id))] = status

    def change_member(
        self, group_id: int | FakeChat, user_id: UserRef, status: str
    ) -> dict[str, Any]:
        """A person joins, leaves or is removed; returns the ``chat_member`` update Telegram
        sends a bot that administers the chat (delivered when allowed_updates asks for it)."""
        chat = self._chat(group_id)
        uid = _user_id(user_id)
        before = self._methods.member_view(chat, uid)
        self.add_member(chat, uid, status)
        return self.state.push_update(
            "chat_member",
            {
                "chat": chat.to_dict(),
                "from": self.state.user_dict(uid),
                "date": int(time.time()),
                "old_chat_member": before,
                "new_chat_member": self._methods.member_view(chat, uid),
            },
        )

    def set_bot_status(self, group_id: int | FakeChat, status: str, **rights: bool) -> None:
        """The bot's own membership in a group (default ``administrator``); `rights` are the
        administrator rights it lacks or has, e.g. ``can_manage_topics=False``."""
        self.state.bot_status[_chat_id(group_id)] = status
        self.state.bot_rights[_chat_id(group_id)] = dict(rights)

    def create_topic(self, group_id: int | FakeChat, name: str, icon_color: int = 7322096) -> int:
        """Create a forum topic as a user would; returns its message_thread_id."""
        chat = self._chat(group_id)
        if not chat.is_forum:
            raise ValueError("topics exist only in forum supergroups")
        message = self.state.new_message(
            chat,
            {"id": 1, "is_bot": False, "first_name": "Admin"},
            content={"forum_topic_created": {"name": name, "icon_color": icon_color}},
        )
        thread_id = int(message["message_id"])
        message["message_thread_id"] = thread_id
        message["is_topic_message"] = True
        self.state.store(message, from_bot=False)
        self.state.topics.setdefault(chat.id, {})[thread_id] = ForumTopic(
            thread_id, name, icon_color
        )
        return thread_id

    def delete_topic(self, group_id: int | FakeChat, thread_id: int) -> None:
        """Delete a forum topic as a group administrator does: it and its messages are gone.

        Telegram tells bots nothing; a later send to it is refused ("message thread not found").
        """
        chat = self._chat(group_id)
        if self.state.topics.get(chat.id, {}).pop(thread_id, None) is None:
            raise ValueError(f"chat {chat.id} has no topic {thread_id}")
        for message_id, message in list(self.state.messages.get(chat.id, {}).items()):
            if message.get("message_thread_id") == thread_id:
                self.state.delete_message(chat.id, message_id)
        self.state.changed()

    def topics(self, group_id: int | FakeChat) -> list[ForumTopic]:
        """Forum topics of a group, oldest first."""
        return list(self.state.topics.get(_chat_id(group_id), {}).values())

    def block_user(self, chat_id: int | FakeChat | FakeUser) -> None:
        """Answer 403 for calls to this chat (blocked by the user / bot kicked)."""
        self.state.blocked.add(_chat_id(chat_id))

    def unblock_user(self, chat_id: int | FakeChat | FakeUser) -> None:
        """Undo :meth:`block_user`."""
        self.state.blocked.discard(_chat_id(chat_id))

    def set_fault_rate(
        self,
        rate: float,
        statuses: tuple[int, ...] = (429, 502),
        seed: int | None = None,
        retry_after: int = 1,
    ) -> None:
        """Fail ``rate`` (0..1) of message-sending calls with one of ``statuses``."""
        self._methods.faults.configure(rate, statuses, seed, retry_after)

    def fail_next(self, *statuses: int) -> None:
        """Fail the next message-sending calls with exactly these statuses."""
        self._methods.faults.schedule(statuses)

    def reset_flood(self) -> None:
        """Forget flood-control history."""
        self._methods.flood.reset()

    # ========================================================= user actions

    def send_message(
        self,
        user: UserRef,
        text: str,
        chat: ChatRef | None = None,
        reply_to: dict[str, Any] | int | None = None,
        message_thread_id: int | None = None,
        *,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A user sends a text message; returns the queued update.

        Without ``entities`` the ones Telegram would detect (commands, URLs...) are added.
        """
        content: dict[str, Any] = {"text": text}
        if entities is None:
            entities = find_entities(text)
        if entities:
            content["entities"] = entities
        return self._user_message(user, content, chat, reply_to, message_thread_id)

    def send_as_group(
        self,
        chat: ChatRef,
        text: str,
        reply_to: dict[str, Any] | int | None = None,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        """An anonymous administrator writes as the group itself: ``sender_chat`` is the
        group and ``from`` is Telegram's GroupAnonymousBot."""
        group = self._chat(chat)
        return self._user_message(
            FakeUser(ANONYMOUS_ADMIN_ID, "Group", username="GroupAnonymousBot", is_bot=True),
            {"text": text, "sender_chat": group.to_dict()},
            group,
            reply_to,
            message_thread_id,
        )

    def send_command(
        self,
        user: UserRef,
        command: str,
        args: str | None = None,
        chat: ChatRef | None = None,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        """A user sends ``/command [args]`` with its bot_command entity."""
        if not command.startswith("/"):
            command = "/" + command
        text = f"{command} {args}" if args else command
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
        return self.send_message(
            user, text, chat, message_thread_id=message_thread_id, entities=[entity]
        )

    def send_photo(
        self,
        user: UserRef,
        data: bytes,
        caption: str | None = None,
        chat: ChatRef | None = None,
        media_group_id: str | None = None,
        *,
        file_name: str | None = None,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        """A user sends a photo; the bot can getFile/download/resend its file ids."""
        content: dict[str, Any] = {"photo": self.state.files.add_photo(data, file_name)}
        if caption:
            content["caption"] = caption
        if media_group_id:
            content["media_group_id"] = media_group_id
        return self._user_message(user, content, chat, None, message_thread_id)

    def send_document(
        self,
        user: UserRef,
        data: bytes,
        file_name: str = "document.bin",
        caption: str | None = None,
        chat: ChatRef | None = None,
        mime_type: str | None = None,
        reply_to: dict[str, Any] | int | None = None,
    ) -> dict[str, Any]:
        """A user sends a file as a document."""
        stored = self.state.files.add("document", data, file_name=file_name, mime_type=mime_type)
        content: dict[str, Any] = {"document": self.state.files.describe(stored)}
        if caption:
            content["caption"] = caption
        return self._user_message(user, content, chat, reply_to, None)

    def send_media(
        self,
        user: UserRef,
        kind: str,
        data: bytes,
        caption: str | None = None,
        chat: ChatRef | None = None,
        reply_to: dict[str, Any] | int | None = None,
        *,
        duration: int = 3,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        """A user sends a voice note, video, video note, audio, animation or sticker.

        As in Telegram, a video note and a sticker carry no caption.
        """
        if kind not in _USER_MEDIA:
            raise ValueError(f"unknown media kind {kind!r}; one of {sorted(_USER_MEDIA)}")
        stored = self.state.files.add(kind, data, mime_type=_USER_MEDIA[kind])
        media: dict[str, Any] = self.state.files.describe(stored)
        if kind in ("voice", "audio", "video", "video_note", "animation"):
            media["duration"] = duration
        if kind in ("video", "animation"):
            media.update(width=640, height=360)
        if kind == "video_note":
            media["length"] = 240
        if kind == "sticker":
            media.update(type="regular", width=512, height=512, is_animated=False)
            media["is_video"] = False
        content: dict[str, Any] = {kind: media}
        if caption and kind not in ("video_note", "sticker"):
            content["caption"] = caption
        return self._user_message(user, content, chat, reply_to, message_thread_id)

    def send_album(
        self,
        user: UserRef,
        photos: list[bytes],
        caption: str | None = None,
        chat: ChatRef | None = None,
        reply_to: dict[str, Any] | int | None = None,
    ) -> list[dict[str, Any]]:
        """A user sends 2-10 photos as one album: one update per photo, one media_group_id,
        the caption on the first, as Telegram delivers them."""
        if not 2 <= len(photos) <= 10:
            raise ValueError("an album holds 2 to 10 items")
        group_id = str(13_500_000_000_000_000 + len(self.state.bot_log) + time.time_ns() % 10**9)
        updates = []
        for index, data in enumerate(photos):
            content: dict[str, Any] = {
                "photo": self.state.files.add_photo(data),
                "media_group_id": group_id,
            }
            if caption and index == 0:
                content["caption"] = caption
            updates.append(self._user_message(user, content, chat, reply_to, None))
        return updates

    def edit_message(self, user: UserRef, message: dict[str, Any], text: str) -> dict[str, Any]:
        """A user edits their own message's text (or caption): an ``edited_message`` update
        carries the whole message as it is now, with ``edit_date``."""
        sender = self._user_obj(user)
        chat_id = int(message["chat"]["id"])
        stored = self.state.get_message(chat_id, int(message["message_id"]))
        if stored is None:
            raise AssertionError(f"message {message['message_id']} in chat {chat_id} is gone")
        if stored.get("from", {}).get("id") != sender.id:
            raise AssertionError("a user can edit only their own messages")
        if "text" in stored:
            stored["text"] = text
            stored["entities"] = find_entities(text)
            if not stored["entities"]:
                stored.pop("entities")
        else:
            stored["caption"] = text
        stored["edit_date"] = max(int(time.time()), int(stored["date"]))
        self.state.changed()
        return self.state.push_update("edited_message", copy.deepcopy(stored))

    def send_location(
        self, user: UserRef, latitude: float, longitude: float, chat: ChatRef | None = None
    ) -> dict[str, Any]:
        """A user shares a location."""
        content = {"location": {"latitude": float(latitude), "longitude": float(longitude)}}
        return self._user_message(user, content, chat, None, None)

    def send_contact(
        self,
        user: UserRef,
        phone_number: str,
        first_name: str,
        last_name: str | None = None,
        *,
        user_id: int | None = None,
        chat: ChatRef | None = None,
    ) -> dict[str, Any]:
        """A user shares a contact; ``user_id`` defaults to the sender (own contact)."""
        contact: dict[str, Any] = {"phone_number": phone_number, "first_name": first_name}
        if last_name:
            contact["last_name"] = last_name
        contact["user_id"] = user_id if user_id is not None else _user_id(user)
        return self._user_message(user, {"contact": contact}, chat, None, None)

    def press_button(
        self, user: UserRef, message: dict[str, Any], data: str, *, check: bool = False
    ) -> str:
        """Press an inline button carrying ``data`` on a bot message.

        The data need not be on the current keyboard (a stale button is a real
        case) unless ``check`` is set. Returns the callback query id (see
        :meth:`callback_answers`).
        """
        chat_id = int(message["chat"]["id"])
        current = self.state.get_message(chat_id, int(message["message_id"]))
        if check:
            if current is None:
                raise AssertionError(f"message {message['message_id']} in chat {chat_id} is gone")
            buttons = [
                button.get("callback_data")
                for row in current.get("reply_markup", {}).get("inline_keyboard", [])
                for button in row
            ]
            if data not in buttons:
                raise AssertionError(f"no inline button with callback_data {data!r}: {buttons}")
        shown = copy.deepcopy(current) if current is not None else _api_view(message)
        query_id = self.state.next_callback_id()
        query = {
            "id": query_id,
            "from": self._user_obj(user).to_dict(),
            "message": shown,
            "chat_instance": _chat_instance(chat_id),
            "data": data,
        }
        self.state.callback_queries[query_id] = query
        self.state.push_update("callback_query", query)
        return query_id

    def press_reply_button(
        self, user: UserRef, text: str, chat: ChatRef | None = None, *, check: bool = False
    ) -> dict[str, Any]:
        """Tap a reply-keyboard button (it simply sends its text).

        With ``check`` the text must be on the reply keyboard currently shown.
        """
        chat_id = _chat_id(chat) if chat is not None else _user_id(user)
        if check:
            rows = self.reply_keyboard(chat_id)
            texts = [text for row in rows or [] for text in row]
            if text not in texts:
                raise AssertionError(f"no reply button {text!r} on the keyboard; have {texts}")
        return self.send_message(user, text, chat)

    def inject_update(self, update_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an arbitrary update (``update_type`` like ``my_chat_member``)."""
        return self.state.push_update(update_type, copy.deepcopy(payload))

    def redeliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """Deliver the same update (same update_id) once more, as after a lost response."""
        self.state.enqueue(update, forced=True)
        return update

    def _user_message(
        self,
        user: UserRef,
        content: dict[str, Any],
        chat: ChatRef | None,
        reply_to: dict[str, Any] | int | None,
        thread_id: int | None,
    ) -> dict[str, Any]:
        sender = self._user_obj(user)
        target = self._chat(chat if chat is not None else sender.id)
        reply: dict[str, Any] | None = None
        if reply_to is not None:
            reply_id = reply_to if isinstance(reply_to, int) else int(reply_to["message_id"])
            reply = self.state.get_message(target.id, reply_id)
            if reply is None:
                raise AssertionError(f"message {reply_id} not found in chat {target.id}")
        if (
            thread_id is not None
            and target.is_forum
            and thread_id not in self.state.topics.get(target.id, {})
        ):
            raise AssertionError(f"no topic {thread_id} in chat {target.id}")
        message = self.state.new_message(
            target, sender.to_dict(), thread_id=thread_id, reply_to=reply, content=content
        )
        self.state.store(message, from_bot=False)
        return self.state.push_update("message", message)

    def _user_obj(self, user: UserRef) -> FakeUser:
        if isinstance(user, FakeUser):
            if user.id not in self.state.users:
                self.state.add_user(user)
            return self.state.users[user.id]
        found = self.state.users.get(user)
        if found is None:
            raise KeyError(f"unknown user {user}; register it with standin.user()")
        return found

    def _chat(self, chat: ChatRef) -> FakeChat:
        found = self.state.chats.get(_chat_id(chat))
        if found is None:
            raise KeyError(f"unknown chat {_chat_id(chat)}; register it first")
        return found

    # ============================================================ inspection

    async def wait_for_messages(
        self,
        chat_id: ChatRef,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - the test-facing name
    ) -> list[dict[str, Any]]:
        """The next ``count`` bot messages to a chat that the test has not consumed yet.

        Waits until they arrive; returns exactly ``count`` messages (current
        state, after edits) and advances the chat's cursor past them. Raises
        AssertionError listing what did arrive on timeout.
        """
        cid = _chat_id(chat_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            pending = self._pending(cid)
            if len(pending) >= count:
                self.state.cursors[cid] = self.state.cursors.get(cid, 0) + count
                return [self._view(m) for m in pending[:count]]
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [_summary(m) for m in pending]
                raise AssertionError(
                    f"expected {count} new bot message(s) in chat {cid} within {timeout}s, "
                    f"got {len(pending)}: {seen}"
                )
            await self.state.messages_signal.wait(remaining)

    def pending_messages(self, chat_id: ChatRef, consume: bool = True) -> list[dict[str, Any]]:
        """Bot messages not yet consumed by :meth:`wait_for_messages` (no waiting)."""
        cid = _chat_id(chat_id)
        pending = self._pending(cid)
        if consume:
            self.state.cursors[cid] = len(self.state.bot_log.get(cid, []))
        return [self._view(m) for m in pending]

    def _pending(self, chat_id: int) -> list[dict[str, Any]]:
        log_ = self.state.bot_log.get(chat_id, [])
        return log_[self.state.cursors.get(chat_id, 0) :]

    def messages(self, chat_id: ChatRef) -> list[dict[str, Any]]:
        """All bot messages in a chat as they are now (edits applied, deleted ones gone)."""
        cid = _chat_id(chat_id)
        live = self.state.messages.get(cid, {})
        return [
            self._view(m) for m in self.state.bot_log.get(cid, []) if live.get(m["message_id"]) is m
        ]

    def chat_history(self, chat_id: ChatRef) -> list[dict[str, Any]]:
        """Every live message in a chat (users', bot's and service ones) by id."""
        live = self.state.messages.get(_chat_id(chat_id), {})
        return [self._view(live[k]) for k in sorted(live)]

    def _view(self, message: dict[str, Any]) -> dict[str, Any]:
        """A copy of a message for tests: ``reply_markup`` is whatever the bot sent.

        Telegram's Message JSON only carries inline keyboards; tests also want to
        see reply keyboards, ReplyKeyboardRemove and ForceReply.
        """
        view = copy.deepcopy(message)
        markup = self.state.markups.get((int(message["chat"]["id"]), int(message["message_id"])))
        if markup is not None:
            view["reply_markup"] = copy.deepcopy(markup)
        return view

    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded calls, optionally only those of one method (case-insensitive)."""
        if method is None:
            return list(self.state.calls)
        wanted = method.lower()
        return [c for c in self.state.calls if c.method.lower() == wanted]

    def last_call(self, method: str | None = None) -> Call:
        """The most recent call (of ``method``); AssertionError if none."""
        found = self.calls(method)
        if not found:
            raise AssertionError(f"no {method or 'API'} calls recorded")
        return found[-1]

    async def wait_for_call(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - the test-facing name
    ) -> list[Call]:
        """Wait until at least ``count`` calls of ``method`` were recorded."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(found := self.calls(method)) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"expected {count} {method} call(s), got {len(found)}")
            await self.state.calls_signal.wait(remaining)
        return found

    def clear_calls(self) -> None:
        """Forget recorded calls."""
        self.state.calls.clear()

    def callback_answers(self, callback_query_id: str) -> list[dict[str, Any]]:
        """answerCallbackQuery parameters given for that query, in order."""
        return copy.deepcopy(self.state.callback_answers.get(callback_query_id, []))

    def commands(
        self,
        scope_type: str = "default",
        language_code: str = "",
        *,
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """Commands set with setMyCommands for exactly this scope and language."""
        key = (scope_type, chat_id, user_id, language_code)
        return copy.deepcopy(self.state.commands.get(key, []))

    def bot_texts(self, language_code: str = "") -> dict[str, str]:
        """Name, description and short description set for a language."""
        return {
            kind: text
            for (kind, language), text in self.state.bot_texts.items()
            if language == language_code
        }

    def keyboard(self, message: dict[str, Any]) -> list[list[dict[str, Any]]]:
        """Rows of buttons (inline or reply) the bot attached to ``message``."""
        key = (int(message["chat"]["id"]), int(message["message_id"]))
        markup = self.state.markups.get(key) or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [[_button(b) for b in row] for row in rows]

    def last_keyboard(self, target: dict[str, Any] | ChatRef) -> list[tuple[str, str | None]]:
        """``(text, callback_data)`` pairs of a message's keyboard.

        ``target`` is a bot message, or a chat to use the most recent live bot
        message there that carries a keyboard. Reply buttons have data None.
        """
        if isinstance(target, dict):
            rows = self.keyboard(target)
        else:
            rows = []
            for message in reversed(self.messages(target)):
                rows = self.keyboard(message)
                if rows:
                    break
        return [(b.get("text", ""), b.get("callback_data")) for row in rows for b in row]

    def reply_keyboard(self, chat_id: ChatRef) -> list[list[str]] | None:
        """Texts of the reply keyboard currently shown in a chat, or None."""
        rows = self.reply_keyboard_buttons(chat_id)
        return None if rows is None else [[button["text"] for button in row] for row in rows]

    def reply_keyboard_buttons(self, chat_id: ChatRef) -> list[list[dict[str, Any]]] | None:
        """The reply keyboard currently shown in a chat, buttons as dicts
        (``request_location``, ``request_contact``...), or None."""
        cid = _chat_id(chat_id)
        for message in reversed(self.state.bot_log.get(cid, [])):
            markup = self.state.markups.get((cid, message["message_id"]))
            if not markup:
                continue
            if "keyboard" in markup:
                return [[_button(b) for b in row] for row in markup["keyboard"]]
            if markup.get("remove_keyboard"):
                return None
        return None

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever a message, topic or recorded call changes."""
        self.state.observers.append(callback)

    def file(self, file_id: str) -> StoredFile | None:
        """A stored file by file_id (bytes in ``.data``)."""
        return self.state.files.get(file_id)

    @property
    def webhook(self) -> WebhookInfo | None:
        """The registered webhook, or None while the bot uses getUpdates."""
        return self._webhook.info

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed (getUpdates) or delivered (webhook)."""
        return [copy.deepcopy(entry.update) for entry in self.state.updates]

    @property
    def too_many_requests(self) -> int:
        """How many 429 answers flood control gave (injected faults not counted)."""
        return self._methods.flood_refusals

    @property
    def injected_faults(self) -> int:
        """How many calls failed through :meth:`set_fault_rate` / :meth:`fail_next`."""
        return self._methods.faults.injected


def _chat_id(chat: ChatRef) -> int:
    if isinstance(chat, FakeChat | FakeUser):
        return chat.id
    return int(chat)


def _user_id(user: UserRef) -> int:
    return user.id if isinstance(user, FakeUser) else int(user)


def _chat_instance(chat_id: int) -> str:
    digest = hashlib.sha256(str(chat_id).encode()).digest()
    return str(int.from_bytes(digest[:8], "big") >> 1)


def _api_view(message: dict[str, Any]) -> dict[str, Any]:
    """A test-side message copy reduced to what Telegram's Message JSON may carry."""
    shown = copy.deepcopy(message)
    markup = shown.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" not in markup:
        del shown["reply_markup"]
    return shown


def _button(button: Any) -> dict[str, Any]:
    return {"text": button} if isinstance(button, str) else dict(button)


def _summary(message: dict[str, Any]) -> str:
    for key in ("text", "caption"):
        if key in message:
            return f"#{message['message_id']} {message[key]!r}"
    kinds = [k for k in ("photo", "document", "location", "contact") if k in message]
    return f"#{message['message_id']} <{', '.join(kinds) or 'message'}>"
