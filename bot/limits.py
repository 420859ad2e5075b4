"""Telegram's size limits, applied to every outgoing call in one place.

Text over 4096 characters is split into several messages, a caption over 1024 is cut at a
word boundary and the rest follows as text, and callback_data over 64 bytes is refused before
it reaches Telegram. Telegram counts characters in UTF-16 code units after entity parsing.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import (
    SendAnimation,
    SendAudio,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendVideo,
    SendVoice,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType
from aiogram.types import InlineKeyboardMarkup, MessageEntity, ReplyParameters

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CAPTIONED = (SendPhoto, SendDocument, SendVideo, SendAnimation, SendAudio, SendVoice)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int) -> list[tuple[int, int]]:
    """Cut text into (start, end) index ranges of at most `limit` UTF-16 units each.

    Cuts fall after a blank line, a line end or a space when one is in the second half of a
    piece, otherwise mid-word. Whitespace at a cut is dropped; no piece is empty.
    """
    pieces: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        while start < len(text) and text[start].isspace():
            start += 1
        if start >= len(text):
            break
        end = _furthest_end(text, start, limit)
        if end < len(text):
            end = _nice_cut(text, start, end)
        piece_end = end
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        pieces.append((start, piece_end))
        start = end
    return pieces


def _furthest_end(text: str, start: int, limit: int) -> int:
    units = 0
    index = start
    while index < len(text):
        width = 2 if ord(text[index]) > 0xFFFF else 1
        if units + width > limit:
            break
        units += width
        index += 1
    return index


def _nice_cut(text: str, start: int, end: int) -> int:
    middle = start + (end - start) // 2
    for separator in ("\n\n", "\n", " "):
        found = text.rfind(separator, middle, end)
        if found != -1:
            return found + len(separator)
    return end


def clip_entities(
    text: str, entities: list[MessageEntity] | None, start: int, end: int
) -> list[MessageEntity] | None:
    """The entities that fall inside text[start:end], re-based to that piece."""
    if not entities:
        return None
    low, high = utf16_len(text[:start]), utf16_len(text[:end])
    clipped = []
    for entity in entities:
        first = max(entity.offset, low)
        last = min(entity.offset + entity.length, high)
        if last > first:
            clipped.append(
                entity.model_copy(update={"offset": first - low, "length": last - first})
            )
    return clipped or None


def check_callback_data(markup: Any) -> None:
    if not isinstance(markup, InlineKeyboardMarkup):
        return
    for row in markup.inline_keyboard:
        for button in row:
            data = button.callback_data
            if data is not None and len(data.encode()) > CALLBACK_DATA_LIMIT:
                raise ValueError(
                    f"callback_data {data!r} is {len(data.encode())} bytes; "
                    f"Telegram allows {CALLBACK_DATA_LIMIT}"
                )


class TelegramLimits(BaseRequestMiddleware):
    """Session middleware: every call the bot makes passes through here."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        check_callback_data(getattr(method, "reply_markup", None))
        if isinstance(method, SendMessage) and utf16_len(method.text) > MESSAGE_LIMIT:
            return await self._send_long_text(make_request, bot, method)
        caption = getattr(method, "caption", None) if isinstance(method, CAPTIONED) else None
        if caption and utf16_len(caption) > CAPTION_LIMIT:
            return await self._send_long_caption(make_request, bot, method)
        return await make_request(bot, method)

    async def _send_long_text(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: SendMessage
    ) -> Response[Any]:
        _refuse_markup_parsing(method.parse_mode, "text")
        pieces = split_text(method.text, MESSAGE_LIMIT)
        response: Response[Any] | None = None
        for number, (start, end) in enumerate(pieces):
            last = number == len(pieces) - 1
            piece = method.model_copy(
                update={
                    "text": method.text[start:end],
                    "entities": clip_entities(method.text, method.entities, start, end),
                    "reply_markup": method.reply_markup if last else None,
                    "reply_parameters": method.reply_parameters if number == 0 else None,
                    "reply_to_message_id": None,
                }
            )
            response = await make_request(bot, piece)
        assert response is not None
        return response

    async def _send_long_caption(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: Any
    ) -> Response[Any]:
        _refuse_markup_parsing(method.parse_mode, "caption")
        caption: str = method.caption
        (start, end), *_rest = split_text(caption, CAPTION_LIMIT)
        media = method.model_copy(
            update={
                "caption": caption[start:end],
                "caption_entities": clip_entities(caption, method.caption_entities, start, end),
            }
        )
        response = await make_request(bot, media)
        rest_start = end
        while rest_start < len(caption) and caption[rest_start].isspace():
            rest_start += 1
        rest = SendMessage(
            chat_id=method.chat_id,
            message_thread_id=method.message_thread_id,
            text=caption[rest_start:].rstrip(),
            entities=clip_entities(caption, method.caption_entities, rest_start, len(caption)),
            reply_parameters=ReplyParameters(message_id=response.message_id),  # type: ignore[attr-defined]
        )
        if utf16_len(rest.text) > MESSAGE_LIMIT:
            await self._send_long_text(make_request, bot, rest)
        elif rest.text:
            await make_request(bot, rest)
        return response


def _refuse_markup_parsing(parse_mode: Any, what: str) -> None:
    """HTML or Markdown can't be cut safely: long texts must use entities (aiogram formatting)."""
    if isinstance(parse_mode, str):
        raise ValueError(
            f"a {what} over Telegram's limit must be sent with entities, not parse_mode"
        )
