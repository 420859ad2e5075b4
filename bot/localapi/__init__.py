"""A local Telegram Bot API server that enforces Telegram's limits.

The tests' and the sandbox's Telegram: it speaks the published Bot API to the real bot and lets a
test or a web page act as the people in the chats. See :class:`BotAPIStandin`.
"""

from __future__ import annotations

from .formatting import find_entities, parse_text, utf16_len
from .limits import Limits
from .models import Call, FakeChat, FakeUser, ForumTopic, StoredFile, Upload, WebhookInfo
from .server import DEFAULT_TOKEN, BotAPIStandin
from .spec import ApiError, BotApiSpec

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "BotAPIStandin",
    "BotApiSpec",
    "Call",
    "FakeChat",
    "FakeUser",
    "ForumTopic",
    "Limits",
    "StoredFile",
    "Upload",
    "WebhookInfo",
    "find_entities",
    "parse_text",
    "utf16_len",
]
