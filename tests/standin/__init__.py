"""A local Telegram Bot API stand-in for end-to-end tests of the Linkage bot.

See :class:`BotAPIStandin` for the test-facing API.
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
