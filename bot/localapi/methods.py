"""Bot API method implementations operating on :class:`StandinState`."""

from __future__ import annotations

import asyncio
import copy
import itertools
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .formatting import EntityParseError, ParsedText, parse_text, utf16_len
from .limits import FaultInjector, FloodControl, Limits
from .models import BOT_FIRST_NAME, FakeChat, FakeUser, ForumTopic, StoredFile, Upload, WebhookInfo
from .spec import ApiError, BotApiSpec, MethodSpec, bad_request
from .state import CONTENT_KEYS, StandinState
from .webhook import WebhookDelivery

__all__ = ["Answer", "BotMethods", "Context", "check_reply_markup"]

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
WRONG_FILE = "wrong file identifier/HTTP URL specified"
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
TOPIC_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)
_STATUS_TYPES = {
    "creator": "ChatMemberOwner",
    "administrator": "ChatMemberAdministrator",
    "member": "ChatMemberMember",
    "restricted": "ChatMemberRestricted",
    "left": "ChatMemberLeft",
    "kicked": "ChatMemberBanned",
}
_MEDIA_TYPES = {
    "photo": "PhotoSize",
    "video": "Video",
    "audio": "Audio",
    "voice": "Voice",
    "animation": "Animation",
    "sticker": "Sticker",
    "video_note": "VideoNote",
    "document": "Document",
}
_ADMIN = ("creator", "administrator")
_SERVER_ERRORS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
_INLINE_BUTTON_PLAIN = {"text", "icon_custom_emoji_id", "style"}


@dataclass
class Context:
    """Per-call information: the token, the bot's User object and the file parts."""

    token: str
    bot: dict[str, Any]
    uploads: dict[str, Upload] = field(default_factory=dict)
    source: str = "http"


@dataclass
class Answer:
    """A result with the optional ``description`` Telegram adds (setWebhook...)."""

    result: Any
    description: str | None = None


Handler = Callable[[Context, dict[str, Any]], Awaitable[Any]]


def check_reply_markup(markup: Any, limits: Limits) -> None:
    """Refuse inline keyboards Telegram refuses (callback_data size, bare buttons, URLs)."""
    if not isinstance(markup, dict):
        return
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list):
        return
    for row in rows:
        for button in row if isinstance(row, list) else []:
            if not isinstance(button, dict):
                continue
            if not set(button) - _INLINE_BUTTON_PLAIN:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the "
                    "inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None:
                size = len(str(data).encode("utf-8"))
                if size < 1 or size > limits.callback_data_bytes:
                    raise bad_request("BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and urlsplit(str(url)).scheme not in ("http", "https", "tg"):
                raise bad_request("BUTTON_URL_INVALID")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class BotMethods:
    """Implements Bot API methods; unknown-but-valid methods get a neutral answer."""

    def __init__(
        self,
        state: StandinState,
        spec: BotApiSpec,
        limits: Limits,
        webhook: WebhookDelivery,
        *,
        strict_chats: bool = True,
        require_https: bool = False,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.state = state
        self.spec = spec
        self.limits = limits
        self.webhook = webhook
        self.strict_chats = strict_chats
        self.require_https = require_https
        self.flood = FloodControl(limits, clock or time.monotonic)
        self.faults = FaultInjector()
        self.flood_refusals = 0
        self._poll_generation = 0
        self._media_groups = itertools.count(13_000_000_000_000_001)

    async def call(self, ctx: Context, method: MethodSpec, params: dict[str, Any]) -> Any:
        """Run ``method`` with validated ``params``; raises :class:`ApiError`."""
        if "reply_markup" in params:
            check_reply_markup(params["reply_markup"], self.limits)
        handler: Handler | None = getattr(self, f"api_{_snake(method.name)}", None)
        if handler is not None:
            return await handler(ctx, params)
        return self._fallback(ctx, method, params)

    # ================================================================ helpers

    def admit(self, chat: FakeChat, *, counts: bool = True) -> None:
        """Gate a call that reaches a chat: blocked/kicked, injected faults, flood control."""
        if chat.id in self.state.blocked:
            if chat.type == "private":
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            kind = "group" if chat.type == "group" else chat.type
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
        if chat.type != "private":
            status = self.state.member_status(chat.id, self.state.bot["id"])
            kind = "group" if chat.type == "group" else chat.type
            if status == "kicked":
                raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
            if status == "left":
                raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")
        if not counts:
            return
        status_code = self.faults.roll()
        if status_code == 429:
            retry = self.faults.retry_after
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        if status_code is not None:
            raise ApiError(status_code, _SERVER_ERRORS.get(status_code, "Internal Server Error"))
        retry_after = self.flood.admit(chat.id)
        if retry_after is not None:
            self.flood_refusals += 1
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )

    def chat(self, ref: int | str) -> FakeChat:
        """Resolve a chat_id (id or @username) or answer "chat not found"."""
        found = self.state.find_chat(ref)
        if found is not None:
            return found
        if not self.strict_chats and isinstance(ref, int) and ref != 0:
            if ref > 0:
                self.state.add_user(FakeUser(ref, first_name=f"User {ref}", language_code=None))
            else:
                self.state.chats[ref] = FakeChat(ref, "supergroup", title=f"Chat {ref}")
                self.state.bot_status[ref] = "administrator"
            return self.state.chats[ref]
        raise bad_request("chat not found")

    def thread(self, chat: FakeChat, params: dict[str, Any]) -> int | None:
        """Validate message_thread_id for forum supergroups."""
        thread_id = params.get("message_thread_id")
        if thread_id is None or not chat.is_forum:
            return None
        topic = self.state.topics.get(chat.id, {}).get(thread_id)
        if topic is None:
            if thread_id == 1:
                return None  # the General topic
            raise bad_request("message thread not found")
        if topic.is_closed and self.bot_status(chat) not in _ADMIN:
            raise bad_request("TOPIC_CLOSED")
        return int(thread_id)

    def reply_target(self, chat: FakeChat, params: dict[str, Any]) -> dict[str, Any] | None:
        """The message being replied to (reply_parameters or legacy reply_to_message_id)."""
        reply = params.get("reply_parameters") or {}
        message_id = reply.get("message_id", params.get("reply_to_message_id"))
        if message_id is None:
            return None
        allow = reply.get(
            "allow_sending_without_reply", params.get("allow_sending_without_reply", False)
        )
        target_chat = chat
        if reply.get("chat_id") is not None:
            target_chat = self.chat(reply["chat_id"])
        message = self.state.get_message(target_chat.id, int(message_id))
        if message is None or target_chat.id != chat.id:
            if allow or message is not None:
                return None
            raise bad_request("message to be replied not found")
        return message

    def bot_status(self, chat: FakeChat) -> str:
        """The bot's membership status in ``chat``."""
        return self.state.member_status(chat.id, self.state.bot["id"])

    def bot_manages_topics(self, chat: FakeChat) -> bool:
        """An administrator with "Manage topics" (or the owner), as Telegram requires for
        creating, closing, reopening, renaming and deleting topics."""
        status = self.bot_status(chat)
        if status == "creator":
            return True
        rights = self.state.bot_rights.get(chat.id, {})
        return status == "administrator" and rights.get("can_manage_topics", True)

    def parse(
        self, text: str, parse_mode: str | None, entities: Any, *, caption: bool
    ) -> ParsedText:
        """Parse entities and enforce the length limits, worded like Telegram."""
        try:
            parsed = parse_text(text, parse_mode, entities)
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
        except ValueError:
            raise bad_request("unsupported parse_mode") from None
        length = utf16_len(parsed.text)
        if caption:
            if length > self.limits.caption_length:
                raise bad_request("message caption is too long")
        elif length == 0:
            raise bad_request("message text is empty")
        elif length > self.limits.text_length:
            raise bad_request("message is too long")
        return parsed

    def text_content(self, params: dict[str, Any]) -> dict[str, Any]:
        """``text`` + ``entities`` for a text message."""
        parsed = self.parse(
            params.get("text", ""), params.get("parse_mode"), params.get("entities"), caption=False
        )
        content: dict[str, Any] = {"text": parsed.text}
        if parsed.entities:
            content["entities"] = parsed.entities
        return content

    def caption_content(self, params: dict[str, Any]) -> dict[str, Any]:
        """``caption`` + ``caption_entities`` when a caption was given."""
        raw = params.get("caption")
        if raw is None:
            return {}
        parsed = self.parse(
            raw, params.get("parse_mode"), params.get("caption_entities"), caption=True
        )
        content: dict[str, Any] = {}
        if parsed.text:
            content["caption"] = parsed.text
            if parsed.entities:
                content["caption_entities"] = parsed.entities
        if params.get("show_caption_above_media"):
            content["show_caption_above_media"] = True
        return content

    def upload_for(self, ctx: Context, value: Any) -> Upload | None:
        """An Upload for a field value (direct part or ``attach://name``)."""
        if isinstance(value, Upload):
            return value
        if isinstance(value, str) and value.startswith("attach://"):
            upload = ctx.uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"wrong HTTP URL specified: can't find attached file {value}")
            return upload
        return None

    def photo(self, ctx: Context, value: Any) -> list[dict[str, Any]]:
        """PhotoSize list for an upload, a known photo file_id or a URL."""
        upload = self.upload_for(ctx, value)
        if upload is not None:
            if not upload.data:
                raise bad_request("file must be non-empty")
            return self.state.files.add_photo(upload.data, upload.filename)
        value = str(value)
        if _is_url(value):
            return self.state.files.add_photo(b"", None)
        sizes = self.state.files.photo_sizes(value)
        if sizes is not None:
            return sizes
        known = self.state.files.get(value)
        if known is not None:
            raise bad_request(f"can't use file of type {_title(known.kind)} as Photo")
        raise bad_request(WRONG_FILE)

    def file(
        self, ctx: Context, kind: str, value: Any, *, accept_photo: bool = False
    ) -> StoredFile:
        """A stored file for an upload, a known file_id or a URL."""
        upload = self.upload_for(ctx, value)
        if upload is not None:
            if not upload.data:
                raise bad_request("file must be non-empty")
            mime = upload.content_type
            if mime in (None, "application/octet-stream"):
                mime = None
            return self.state.files.add(
                kind, upload.data, file_name=upload.filename, mime_type=mime
            )
        value = str(value)
        if _is_url(value):
            name = urlsplit(value).path.rsplit("/", 1)[-1] or None
            return self.state.files.add(kind, b"", file_name=name)
        known = self.state.files.get(value)
        if known is None:
            raise bad_request(WRONG_FILE)
        if known.kind == "photo" and not accept_photo and kind != "photo":
            raise bad_request(f"can't use file of type Photo as {_title(kind)}")
        return known

    def send(
        self,
        ctx: Context,
        chat: FakeChat,
        params: dict[str, Any],
        contents: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """Admit and store bot messages with ``contents``; returns copies."""
        thread_id = self.thread(chat, params)
        reply = self.reply_target(chat, params)
        markup = params.get("reply_markup")
        self.admit(chat)
        sent: list[dict[str, Any]] = []
        for content in contents:
            message = self.state.new_message(
                chat, ctx.bot, thread_id=thread_id, reply_to=reply, content=content
            )
            if isinstance(markup, dict) and markup.get("inline_keyboard"):
                message["reply_markup"] = copy.deepcopy(markup)
            if params.get("protect_content"):
                message["has_protected_content"] = True
            self.state.store(message, from_bot=True, markup=markup)
            sent.append(copy.deepcopy(message))
        return sent

    def editable(
        self, ctx: Context, params: dict[str, Any]
    ) -> tuple[FakeChat, dict[str, Any]] | None:
        """The bot message an edit targets; None for inline messages."""
        if params.get("inline_message_id"):
            return None
        if params.get("chat_id") is None:
            raise bad_request("chat_id is empty")
        if params.get("message_id") is None:
            raise bad_request("message identifier is not specified")
        chat = self.chat(params["chat_id"])
        message = self.state.get_message(chat.id, params["message_id"])
        if message is None:
            raise bad_request("message to edit not found")
        if message.get("from", {}).get("id") != ctx.bot["id"]:
            raise bad_request("message can't be edited")
        return chat, message

    def apply_edit(
        self,
        chat: FakeChat,
        message: dict[str, Any],
        changes: dict[str, Any],
        markup: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """Apply an edit (refusing no-op edits exactly like Telegram)."""
        inline = markup if markup and markup.get("inline_keyboard") else None
        unchanged = all(message.get(k) == v for k, v in changes.items())
        if unchanged and message.get("reply_markup") == inline:
            raise bad_request(NOT_MODIFIED)
        self.admit(chat)
        for field_name, value in changes.items():
            if value is None:
                message.pop(field_name, None)
            else:
                message[field_name] = value
        key = (chat.id, int(message["message_id"]))
        if inline is None:
            message.pop("reply_markup", None)
            if "inline_keyboard" in self.state.markups.get(key, {}):
                del self.state.markups[key]  # a reply keyboard stays shown
        else:
            message["reply_markup"] = copy.deepcopy(inline)
            self.state.markups[key] = copy.deepcopy(inline)
        message["edit_date"] = int(time.time())
        self.state.messages_signal.notify()
        return copy.deepcopy(message)

    def topic(self, chat: FakeChat, thread_id: int) -> ForumTopic:
        """A forum topic or "message thread not found"."""
        if not chat.is_forum:
            raise bad_request("the chat is not a forum")
        found = self.state.topics.get(chat.id, {}).get(thread_id)
        if found is None:
            raise bad_request("message thread not found")
        return found

    def service_message(
        self, ctx: Context, chat: FakeChat, thread_id: int | None, content: dict[str, Any]
    ) -> dict[str, Any]:
        """Store a service message (not reported to the test as a bot message)."""
        message = self.state.new_message(chat, ctx.bot, content=content)
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        return self.state.store(message, from_bot=True, service=True)

    # ============================================================= bot & polling

    async def api_get_me(self, ctx: Context, params: dict[str, Any]) -> Any:
        """getMe: the bot's User object."""
        return {
            **ctx.bot,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def api_log_out(self, ctx: Context, params: dict[str, Any]) -> Any:
        """logOut: always succeeds."""
        return True

    async def api_close(self, ctx: Context, params: dict[str, Any]) -> Any:
        """close: always succeeds."""
        return True

    async def api_get_updates(self, ctx: Context, params: dict[str, Any]) -> Any:
        """getUpdates: long polling with Telegram's offset semantics."""
        self._check_no_webhook()
        if "allowed_updates" in params:
            self.state.set_allowed_updates(params["allowed_updates"])
        self.state.confirm(params.get("offset"))
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        timeout = min(max(float(params.get("timeout", 0)), 0.0), self.limits.max_poll_timeout)
        self._poll_generation += 1
        generation = self._poll_generation
        self.state.updates_signal.notify()  # an older waiting poll is terminated (409)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.state.updates and not self.state.closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await self.state.updates_signal.wait(remaining)
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
            self._check_no_webhook()
        return self.state.take_updates(limit)

    def _check_no_webhook(self) -> None:
        if self.webhook.info is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )

    async def api_set_webhook(self, ctx: Context, params: dict[str, Any]) -> Any:
        """setWebhook: register (or, with an empty url, remove) the webhook."""
        url = params.get("url", "")
        if params.get("drop_pending_updates"):
            self.state.drop_updates()
        if not url:
            return self._remove_webhook()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise bad_request("bad webhook: Invalid URL specified")
        if self.require_https and parts.scheme != "https":
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = int(params.get("max_connections", 40))
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        if "allowed_updates" in params:
            self.state.set_allowed_updates(params["allowed_updates"])
        current = self.webhook.info
        info = WebhookInfo(
            url=url,
            secret_token=secret,
            max_connections=max_connections,
            ip_address=params.get("ip_address"),
            allowed_updates=self.state.allowed_updates,
            has_custom_certificate="certificate" in params,
            token=ctx.token,
        )
        if current is not None and (current.url, current.secret_token) == (url, secret):
            current.max_connections = info.max_connections
            current.allowed_updates = info.allowed_updates
            return Answer(True, "Webhook is already set")
        self.webhook.set(info)
        return Answer(True, "Webhook was set")

    def _remove_webhook(self) -> Answer:
        if self.webhook.info is None:
            return Answer(True, "Webhook is already deleted")
        self.webhook.delete()
        return Answer(True, "Webhook was deleted")

    async def api_delete_webhook(self, ctx: Context, params: dict[str, Any]) -> Any:
        """deleteWebhook: switch back to getUpdates."""
        if params.get("drop_pending_updates"):
            self.state.drop_updates()
        return self._remove_webhook()

    async def api_get_webhook_info(self, ctx: Context, params: dict[str, Any]) -> Any:
        """getWebhookInfo."""
        pending = len(self.state.updates)
        if self.webhook.info is None:
            return {"url": "", "has_custom_certificate": False, "pending_update_count": pending}
        return self.webhook.info.to_dict(pending)

    # ================================================================= sending

    async def api_send_message(self, ctx: Context, params: dict[str, Any]) -> Any:
        """sendMessage."""
        chat = self.chat(params["chat_id"])
        return self.send(ctx, chat, params, [self.text_content(params)])[0]

    async def api_send_photo(self, ctx: Context, params: dict[str, Any]) -> Any:
        """sendPhoto: upload, known file_id or URL."""
        chat = self.chat(params["chat_id"])
        content = {"photo": self.photo(ctx, params["photo"]), **self.caption_content(params)}
        return self.send(ctx, chat, params, [content])[0]

    async def api_send_document(self, ctx: Context, params: dict[str, Any]) -> Any:
        """sendDocument."""
        chat = self.chat(params["chat_id"])
        stored = self.file(ctx, "document", params["document"])
        content = {"document": self.state.files.describe(stored), **self.caption_content(params)}
        return self.send(ctx, chat, params, [content])[0]

    async def api_send_media_group(self, ctx: Context, params: dict[str, Any]) -> Any:
        """sendMediaGroup: 2-10 photos/videos, documents or audios as one album."""
        chat = self.chat(params["chat_id"])
        media = params["media"]
        if not 2 <= len(media) <= 10:
            raise bad_request("media group must include 2-10 items")
        kinds = {item.get("type") for item in media}
        if len(kinds) > 1 and not kinds <= {"photo", "video"}:
            raise bad_request("documents and audios can't be mixed with other media types")
        group_id = str(next(self._media_groups))
        contents: list[dict[str, Any]] = []
        for item in media:
            kind = str(item.get("type"))
            content: dict[str, Any] = {"media_group_id": group_id}
            if kind == "photo":
                content["photo"] = self.photo(ctx, item["media"])
            else:
                stored = self.file(ctx, kind, item["media"])
                content[kind] = self._media_object(kind, stored, item)
            content.update(self.caption_content(item))
            contents.append(content)
        return self.send(ctx, chat, params, contents)

    async def api_send_location(self, ctx: Context, params: dict[str, Any]) -> Any:
        """sendLocation."""
        chat = self.chat(params["chat_id"])
        location = {"latitude": params["latitude"], "longitude": params["longitude"]}
        for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
            if key in params:
                location[key] = params[key]
        return self.send(ctx, chat, params, [{"location": location}])[0]

    async def api_send_venue(self, ctx: Context, params: dict[str, Any]) -> Any:
        """sendVenue."""
        chat = self.chat(params["chat_id"])
        location = {"latitude": params["latitude"], "longitude": params["longitude"]}
        venue = {"location": location, "title": params["title"], "address": params["address"]}
        for key in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
            if key in params:
                venue[key] = params[key]
        return self.send(ctx, chat, params, [{"venue": venue, "location": location}])[0]

    async def api_send_contact(self, ctx: Context, params: dict[str, Any]) -> Any:
        """sendContact."""
        chat = self.chat(params["chat_id"])
        contact = {"phone_number": params["phone_number"], "first_name": params["first_name"]}
        for key in ("last_name", "vcard"):
            if key in params:
                contact[key] = params[key]
        return self.send(ctx, chat, params, [{"contact": contact}])[0]

    async def api_send_dice(self, ctx: Context, params: dict[str, Any]) -> Any:
        """sendDice."""
        chat = self.chat(params["chat_id"])
        emoji = params.get("emoji", "🎲")
        top = 64 if emoji == "🎰" else 5 if emoji in ("🏀", "⚽") else 6
        dice = {"emoji": emoji, "value": random.randint(1, top)}
        return self.send(ctx, chat, params, [{"dice": dice}])[0]

    async def api_copy_message(self, ctx: Context, params: dict[str, Any]) -> Any:
        """copyMessage: a new bot message with the same content; returns MessageId."""
        chat = self.chat(params["chat_id"])
        content = self._copied_content(params["from_chat_id"], params["message_id"], params)
        message = self.send(ctx, chat, params, [content])[0]
        return {"message_id": message["message_id"]}

    async def api_copy_messages(self, ctx: Context, params: dict[str, Any]) -> Any:
        """copyMessages: copies the messages that exist; returns MessageId list."""
        chat = self.chat(params["chat_id"])
        contents = []
        for message_id in sorted(params["message_ids"]):
            try:
                contents.append(self._copied_content(params["from_chat_id"], message_id, {}))
            except ApiError:
                continue
        if not contents:
            raise bad_request("messages to copy not found")
        sent = self.send(ctx, chat, params, contents)
        return [{"message_id": m["message_id"]} for m in sent]

    def _copied_content(
        self, from_chat: int | str, message_id: int, params: dict[str, Any]
    ) -> dict[str, Any]:
        source_chat = self.chat(from_chat)
        source = self.state.get_message(source_chat.id, message_id)
        if source is None:
            raise bad_request("message to copy not found")
        content = {k: copy.deepcopy(source[k]) for k in CONTENT_KEYS if k in source}
        if not content:
            raise bad_request("message can't be copied")
        if "text" not in content and ("caption" in params or "caption_entities" in params):
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(self.caption_content(params))
        return content

    async def api_forward_message(self, ctx: Context, params: dict[str, Any]) -> Any:
        """forwardMessage: the copy carries forward_origin."""
        chat = self.chat(params["chat_id"])
        content = self._forwarded_content(params["from_chat_id"], params["message_id"])
        return self.send(ctx, chat, params, [content])[0]

    async def api_forward_messages(self, ctx: Context, params: dict[str, Any]) -> Any:
        """forwardMessages: returns MessageId list."""
        chat = self.chat(params["chat_id"])
        contents = []
        for message_id in sorted(params["message_ids"]):
            try:
                contents.append(self._forwarded_content(params["from_chat_id"], message_id))
            except ApiError:
                continue
        if not contents:
            raise bad_request("messages to forward not found")
        sent = self.send(ctx, chat, params, contents)
        return [{"message_id": m["message_id"]} for m in sent]

    def _forwarded_content(self, from_chat: int | str, message_id: int) -> dict[str, Any]:
        source_chat = self.chat(from_chat)
        source = self.state.get_message(source_chat.id, message_id)
        if source is None:
            raise bad_request("message to forward not found")
        content = {k: copy.deepcopy(source[k]) for k in CONTENT_KEYS if k in source}
        if not content:
            raise bad_request("message can't be forwarded")
        content["forward_origin"] = source.get("forward_origin") or {
            "type": "user",
            "sender_user": source["from"],
            "date": source["date"],
        }
        return content

    async def api_send_chat_action(self, ctx: Context, params: dict[str, Any]) -> Any:
        """sendChatAction: validated and recorded, nothing else."""
        chat = self.chat(params["chat_id"])
        if params["action"] not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.thread(chat, params)
        self.admit(chat, counts=False)
        return True

    # ================================================================= editing

    async def api_edit_message_text(self, ctx: Context, params: dict[str, Any]) -> Any:
        """editMessageText."""
        target = self.editable(ctx, params)
        if "text" not in params:
            raise bad_request("message text is empty")
        content = self.text_content(params)
        if target is None:
            return True
        chat, message = target
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        changes = {"text": content["text"], "entities": content.get("entities")}
        return self.apply_edit(chat, message, changes, params.get("reply_markup"))

    async def api_edit_message_caption(self, ctx: Context, params: dict[str, Any]) -> Any:
        """editMessageCaption (an empty caption removes it)."""
        target = self.editable(ctx, params)
        content = self.caption_content({**params, "caption": params.get("caption", "")})
        if target is None:
            return True
        chat, message = target
        if "text" in message or not any(k in message for k in _MEDIA_TYPES):
            raise bad_request("there is no caption in the message to edit")
        changes = {
            "caption": content.get("caption"),
            "caption_entities": content.get("caption_entities"),
        }
        return self.apply_edit(chat, message, changes, params.get("reply_markup"))

    async def api_edit_message_media(self, ctx: Context, params: dict[str, Any]) -> Any:
        """editMessageMedia: the message's photo or file replaced, with the new caption."""
        target = self.editable(ctx, params)
        media = params["media"]
        kind = str(media.get("type"))
        if kind not in _MEDIA_TYPES:
            raise bad_request("wrong media type")
        if kind == "photo":
            content: dict[str, Any] = {"photo": self.photo(ctx, media["media"])}
        else:
            content = {kind: self._media_object(kind, self.file(ctx, kind, media["media"]), media)}
        caption = self.caption_content(media)
        if target is None:
            return True
        chat, message = target
        if not any(k in message for k in _MEDIA_TYPES):
            raise bad_request("there is no media in the message to edit")
        changes = {k: None for k in _MEDIA_TYPES if k in message}
        changes.update(content)
        changes["caption"] = caption.get("caption")
        changes["caption_entities"] = caption.get("caption_entities")
        return self.apply_edit(chat, message, changes, params.get("reply_markup"))

    async def api_edit_message_reply_markup(self, ctx: Context, params: dict[str, Any]) -> Any:
        """editMessageReplyMarkup (omitting reply_markup removes the keyboard)."""
        target = self.editable(ctx, params)
        if target is None:
            return True
        chat, message = target
        return self.apply_edit(chat, message, {}, params.get("reply_markup"))

    async def api_delete_message(self, ctx: Context, params: dict[str, Any]) -> Any:
        """deleteMessage."""
        chat = self.chat(params["chat_id"])
        message = self.state.get_message(chat.id, params["message_id"])
        if message is None:
            raise bad_request("message to delete not found")
        own = message.get("from", {}).get("id") == ctx.bot["id"]
        if not own and chat.type != "private" and self.bot_status(chat) not in _ADMIN:
            raise bad_request("message can't be deleted")
        self.state.delete_message(chat.id, params["message_id"])
        self.state.messages_signal.notify()
        return True

    async def api_delete_messages(self, ctx: Context, params: dict[str, Any]) -> Any:
        """deleteMessages: missing messages are skipped silently."""
        chat = self.chat(params["chat_id"])
        ids = params["message_ids"]
        if not 1 <= len(ids) <= 100:
            raise bad_request("too many message identifiers specified")
        for message_id in ids:
            self.state.delete_message(chat.id, message_id)
        self.state.messages_signal.notify()
        return True

    # ======================================================= callbacks & commands

    async def api_answer_callback_query(self, ctx: Context, params: dict[str, Any]) -> Any:
        """answerCallbackQuery: once, and only for queries the stand-in produced."""
        query_id = params["callback_query_id"]
        if query_id not in self.state.callback_queries or query_id in self.state.callback_answers:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get("text")
        if text is not None and len(text) > self.limits.callback_answer_length:
            raise bad_request("MESSAGE_TOO_LONG")
        answer = {k: v for k, v in params.items() if k != "callback_query_id"}
        self.state.callback_answers.setdefault(query_id, []).append(answer)
        return True

    def _scope_key(self, params: dict[str, Any]) -> tuple[Any, ...]:
        scope = params.get("scope") or {"type": "default"}
        chat_id = scope.get("chat_id")
        if isinstance(chat_id, str):
            found = self.state.find_chat(chat_id)
            chat_id = found.id if found else chat_id
        return (scope["type"], chat_id, scope.get("user_id"), params.get("language_code", ""))

    async def api_set_my_commands(self, ctx: Context, params: dict[str, Any]) -> Any:
        """setMyCommands per scope and language_code."""
        commands = params["commands"]
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        cleaned: list[dict[str, Any]] = []
        for item in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", item["command"]):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(item["description"].strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": item["command"], "description": item["description"]})
        key = self._scope_key(params)
        if cleaned:
            self.state.commands[key] = cleaned
        else:
            self.state.commands.pop(key, None)
        return True

    async def api_get_my_commands(self, ctx: Context, params: dict[str, Any]) -> Any:
        """getMyCommands for exactly that scope and language."""
        return copy.deepcopy(self.state.commands.get(self._scope_key(params), []))

    async def api_delete_my_commands(self, ctx: Context, params: dict[str, Any]) -> Any:
        """deleteMyCommands."""
        self.state.commands.pop(self._scope_key(params), None)
        return True

    def _set_bot_text(self, kind: str, params: dict[str, Any], limit: int) -> bool:
        value = params.get(kind, "")
        if len(value) > limit:
            raise bad_request(f"{kind.replace('_', ' ')} is too long")
        key = (kind, params.get("language_code", ""))
        if value:
            self.state.bot_texts[key] = value
        else:
            self.state.bot_texts.pop(key, None)
        return True

    def _get_bot_text(self, kind: str, params: dict[str, Any], default: str = "") -> str:
        language = params.get("language_code", "")
        texts = self.state.bot_texts
        return texts.get((kind, language), texts.get((kind, ""), default))

    async def api_set_my_description(self, ctx: Context, params: dict[str, Any]) -> Any:
        """setMyDescription (0-512 characters)."""
        return self._set_bot_text("description", params, 512)

    async def api_get_my_description(self, ctx: Context, params: dict[str, Any]) -> Any:
        """getMyDescription."""
        return {"description": self._get_bot_text("description", params)}

    async def api_set_my_short_description(self, ctx: Context, params: dict[str, Any]) -> Any:
        """setMyShortDescription (0-120 characters)."""
        return self._set_bot_text("short_description", params, 120)

    async def api_get_my_short_description(self, ctx: Context, params: dict[str, Any]) -> Any:
        """getMyShortDescription."""
        return {"short_description": self._get_bot_text("short_description", params)}

    async def api_set_my_name(self, ctx: Context, params: dict[str, Any]) -> Any:
        """setMyName (0-64 characters)."""
        return self._set_bot_text("name", params, 64)

    async def api_get_my_name(self, ctx: Context, params: dict[str, Any]) -> Any:
        """getMyName."""
        return {"name": self._get_bot_text("name", params, BOT_FIRST_NAME)}

    # =========================================================== chats & members

    async def api_get_chat(self, ctx: Context, params: dict[str, Any]) -> Any:
        """getChat: a ChatFullInfo built from the registered chat."""
        chat = self.chat(params["chat_id"])
        info = chat.to_dict()
        info.update({"accent_color_id": 0, "max_reaction_count": 11})
        return self.spec.fill_required("ChatFullInfo", info)

    def member_view(self, chat: FakeChat, user_id: int) -> dict[str, Any]:
        """The ``ChatMember`` object getChatMember answers for this person now."""
        return self._member(chat, user_id)

    def _member(self, chat: FakeChat, user_id: int) -> dict[str, Any]:
        status = self.state.member_status(chat.id, user_id)
        type_name = _STATUS_TYPES.get(status, "ChatMemberMember")
        member: dict[str, Any] = {"status": status, "user": self.state.user_dict(user_id)}
        if status == "administrator":
            # Required by newer Bot API versions than the bundled description.
            member["can_send_welcome_messages"] = True
            if chat.type == "supergroup":  # optional, and always given in supergroups
                member["can_manage_topics"] = True
            if user_id == self.state.bot["id"]:  # the rights the test gave the bot there
                member.update(self.state.bot_rights.get(chat.id, {}))
        for name, spec_field in self.spec.type_fields(type_name).items():
            if not spec_field.required or name in member:
                continue
            if spec_field.types[0] == "Boolean":
                if status == "administrator":
                    member[name] = name.startswith("can_") and name != "can_be_edited"
                else:
                    member[name] = name == "is_member"
            elif spec_field.types[0] == "Integer":
                member[name] = 0
            else:
                member[name] = self.spec.fill_required(spec_field.types[0])
        return member

    async def api_get_chat_member(self, ctx: Context, params: dict[str, Any]) -> Any:
        """getChatMember: the status the test set (``left`` when unknown)."""
        chat = self.chat(params["chat_id"])
        return self._member(chat, params["user_id"])

    async def api_get_chat_administrators(self, ctx: Context, params: dict[str, Any]) -> Any:
        """getChatAdministrators."""
        chat = self.chat(params["chat_id"])
        ids = [uid for (cid, uid) in self.state.members if cid == chat.id]
        if chat.id in self.state.bot_status:
            ids.append(self.state.bot["id"])
        return [
            self._member(chat, uid)
            for uid in ids
            if self.state.member_status(chat.id, uid) in _ADMIN
        ]

    async def api_get_chat_member_count(self, ctx: Context, params: dict[str, Any]) -> Any:
        """getChatMemberCount."""
        chat = self.chat(params["chat_id"])
        if chat.type == "private":
            return 2
        present = ("creator", "administrator", "member", "restricted")
        return sum(
            1
            for (cid, _), status in self.state.members.items()
            if cid == chat.id and status in present
        )

    # ============================================================ forum topics

    async def api_create_forum_topic(self, ctx: Context, params: dict[str, Any]) -> Any:
        """createForumTopic: only in forum supergroups where the bot is an admin."""
        chat = self.chat(params["chat_id"])
        if not chat.is_forum:
            raise bad_request("the chat is not a forum")
        if not self.bot_manages_topics(chat):
            raise bad_request("not enough rights to create a topic")
        name = params["name"]
        if not 1 <= len(name) <= 128:
            raise bad_request("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_INVALID")
        color = params.get("icon_color", TOPIC_COLORS[0])
        if color not in TOPIC_COLORS:
            raise bad_request("TOPIC_ICON_COLOR_INVALID")
        self.admit(chat, counts=False)
        created = {"name": name, "icon_color": color}
        if params.get("icon_custom_emoji_id"):
            created["icon_custom_emoji_id"] = params["icon_custom_emoji_id"]
        message = self.service_message(ctx, chat, None, {"forum_topic_created": created})
        thread_id = message["message_id"]
        message["message_thread_id"] = thread_id
        message["is_topic_message"] = True
        topic = ForumTopic(thread_id, name, color, params.get("icon_custom_emoji_id"))
        self.state.topics.setdefault(chat.id, {})[thread_id] = topic
        return topic.to_dict()

    async def api_close_forum_topic(self, ctx: Context, params: dict[str, Any]) -> Any:
        """closeForumTopic."""
        return self._set_topic_closed(ctx, params, closed=True)

    async def api_reopen_forum_topic(self, ctx: Context, params: dict[str, Any]) -> Any:
        """reopenForumTopic."""
        return self._set_topic_closed(ctx, params, closed=False)

    def _set_topic_closed(self, ctx: Context, params: dict[str, Any], *, closed: bool) -> bool:
        chat = self.chat(params["chat_id"])
        topic = self.topic(chat, params["message_thread_id"])
        if not self.bot_manages_topics(chat):
            raise bad_request("not enough rights to manage topics")
        if topic.is_closed == closed:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.is_closed = closed
        key = "forum_topic_closed" if closed else "forum_topic_reopened"
        self.service_message(ctx, chat, topic.message_thread_id, {key: {}})
        return True

    async def api_edit_forum_topic(self, ctx: Context, params: dict[str, Any]) -> Any:
        """editForumTopic: new name and/or custom emoji icon."""
        chat = self.chat(params["chat_id"])
        topic = self.topic(chat, params["message_thread_id"])
        if not self.bot_manages_topics(chat):
            raise bad_request("not enough rights to manage topics")
        name = params.get("name")
        emoji = params.get("icon_custom_emoji_id")
        if name is not None and not 1 <= len(name) <= 128:
            raise bad_request("TOPIC_TITLE_INVALID")
        if (name is None or name == topic.name) and (
            emoji is None or emoji == topic.icon_custom_emoji_id
        ):
            raise bad_request("TOPIC_NOT_MODIFIED")
        edited: dict[str, Any] = {}
        if name is not None:
            topic.name = edited["name"] = name
        if emoji is not None:
            topic.icon_custom_emoji_id = emoji or None
            edited["icon_custom_emoji_id"] = emoji
        self.service_message(ctx, chat, topic.message_thread_id, {"forum_topic_edited": edited})
        return True

    async def api_delete_forum_topic(self, ctx: Context, params: dict[str, Any]) -> Any:
        """deleteForumTopic: removes the topic and its messages."""
        chat = self.chat(params["chat_id"])
        topic = self.topic(chat, params["message_thread_id"])
        if not self.bot_manages_topics(chat):
            raise bad_request("not enough rights to delete a topic")
        del self.state.topics[chat.id][topic.message_thread_id]
        for message_id, message in list(self.state.messages.get(chat.id, {}).items()):
            if message.get("message_thread_id") == topic.message_thread_id:
                self.state.delete_message(chat.id, message_id)
        return True

    # =================================================================== files

    async def api_get_file(self, ctx: Context, params: dict[str, Any]) -> Any:
        """getFile: a file_path usable with ``/file/bot<token>/<file_path>``."""
        stored = self.state.files.get(params["file_id"])
        if stored is None:
            raise bad_request("wrong file_id or the file is temporarily unavailable")
        if stored.file_size > self.limits.download_size:
            raise bad_request("file is too big")
        return stored.to_file()

    # ================================================================ fallback

    def _media_object(
        self, kind: str, stored: StoredFile, params: dict[str, Any]
    ) -> dict[str, Any]:
        base = self.state.files.describe(stored)
        for key in ("width", "height", "duration", "title", "performer", "length"):
            if key in params:
                base[key] = params[key]
        if kind == "sticker":
            base.setdefault("type", "regular")
            base.setdefault("width", 512)
            base.setdefault("height", 512)
        return self.spec.fill_required(_MEDIA_TYPES.get(kind, "Document"), base)

    def _fallback(self, ctx: Context, method: MethodSpec, params: dict[str, Any]) -> Any:
        """Valid methods without special semantics: record and answer neutrally."""
        if method.sends_message and "chat_id" in params and method.name.startswith("send"):
            return self._generic_send(ctx, method, params)
        if method.sends_message and params.get("chat_id") is not None:
            self.admit(self.chat(params["chat_id"]))
        returns = method.returns
        if not returns or returns[-1] in ("Boolean", "True") or "Boolean" in returns:
            return True
        first = returns[0]
        if first.startswith("Array of"):
            return []
        neutral: dict[str, Any] = {"Integer": 0, "String": "", "Float": 0.0}
        if first in neutral:
            return neutral[first]
        if first in self.spec.types:
            return self.spec.fill_required(first)
        return True

    def _generic_send(self, ctx: Context, method: MethodSpec, params: dict[str, Any]) -> Any:
        chat = self.chat(params["chat_id"])
        content: dict[str, Any] = {}
        for name, spec_field in method.fields.items():
            if "InputFile" in spec_field.types and name != "thumbnail" and name in params:
                stored = self.file(ctx, name, params[name], accept_photo=True)
                content[name] = self._media_object(name, stored, params)
        if "caption" in method.fields:
            content.update(self.caption_content(params))
        if method.name == "sendPoll":
            options = [
                {"persistent_id": str(i), "text": o.get("text", ""), "voter_count": 0}
                for i, o in enumerate(params.get("options", []))
            ]
            content["poll"] = self.spec.fill_required(
                "Poll",
                {
                    "id": str(next(self._media_groups)),
                    "question": params["question"],
                    "options": options,
                    "type": params.get("type", "regular"),
                    "is_anonymous": params.get("is_anonymous", True),
                    "allows_multiple_answers": params.get("allows_multiple_answers", False),
                },
            )
        message = self.send(ctx, chat, params, [content])[0]
        if "MessageId" in method.returns:
            return {"message_id": message["message_id"]}
        return message


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def _title(kind: str) -> str:
    return "".join(part.capitalize() for part in kind.split("_"))
