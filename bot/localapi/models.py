"""Plain data objects used by the stand-in and handed to tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BOT_FIRST_NAME",
    "BOT_USERNAME",
    "Call",
    "FakeChat",
    "FakeUser",
    "ForumTopic",
    "StoredFile",
    "Upload",
    "WebhookInfo",
]

BOT_USERNAME = "linkage_test_bot"
BOT_FIRST_NAME = "Linkage"


@dataclass(frozen=True)
class Upload:
    """A file part received in a multipart request."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"Upload({self.name!r}, filename={self.filename!r}, {len(self.data)} bytes)"


@dataclass
class FakeUser:
    """A Telegram user the test controls."""

    id: int
    first_name: str = "Ann"
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The ``User`` JSON object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass
class FakeChat:
    """A chat known to the stand-in (private chat, group or supergroup)."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_forum: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The ``Chat`` JSON object as it appears inside messages."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        if self.is_forum:
            data["is_forum"] = True
        return data


@dataclass
class ForumTopic:
    """A topic of a forum supergroup."""

    message_thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    is_closed: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The ``ForumTopic`` JSON object."""
        data: dict[str, Any] = {
            "message_thread_id": self.message_thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            data["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return data


@dataclass
class StoredFile:
    """A file held in memory: uploaded by the bot or sent by a fake user."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def file_size(self) -> int:
        """Size in bytes."""
        return len(self.data)

    def to_file(self) -> dict[str, Any]:
        """The ``File`` JSON object returned by getFile."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


@dataclass
class Call:
    """One Bot API request, recorded in arrival order.

    ``done`` turns True once answered (a long poll is recorded while it waits);
    ``source`` is ``http`` or ``webhook`` (a method returned in a webhook reply).
    """

    method: str
    params: dict[str, Any]
    at: float
    response_ok: bool
    error_code: int | None = None
    description: str | None = None
    result: Any = None
    source: str = "http"
    done: bool = True


@dataclass
class WebhookInfo:
    """The webhook the bot registered with setWebhook."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    allowed_updates: list[str] | None = None
    has_custom_certificate: bool = False
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0
    failures: int = 0
    token: str = field(default="", repr=False)

    def to_dict(self, pending_update_count: int) -> dict[str, Any]:
        """The ``WebhookInfo`` JSON object (the secret is never echoed)."""
        data: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": self.has_custom_certificate,
            "pending_update_count": pending_update_count,
            "max_connections": self.max_connections,
        }
        if self.ip_address:
            data["ip_address"] = self.ip_address
        if self.allowed_updates is not None:
            data["allowed_updates"] = self.allowed_updates
        if self.last_error_date is not None:
            data["last_error_date"] = self.last_error_date
            data["last_error_message"] = self.last_error_message or ""
        return data
