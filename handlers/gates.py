"""Cheap filters that aiogram runs on the event loop, and the shapes a message is routed by.

aiogram awaits a filter that is a `Filter` (or a coroutine function) and sends every other one,
each `F.…` magic filter and each `State` used as a filter, through `asyncio.to_thread`: a
thread-pool round trip for a check of a microsecond. The filters a message meets on its way to
a handler are therefore `Filter`s: `StateFilter(Form.step)` rather than the bare state,
`PRIVATE`, `GROUPS`, `TYPED`, `NOT_A_COMMAND`, and `Inline(…)` around any other check.
Filters that only a rare message meets, after its state has matched, may stay magic. See
bench/README.md, "Upstream".

`Shape` sorts every message into exactly one of five kinds, so that handlers/__init__.py can
send it past the routers that cannot answer it (a plain text outside any form need not be tried
against every command and every form step).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from aiogram.filters import Filter
from aiogram.types import Message, TelegramObject
from aiogram.utils.i18n import I18n
from magic_filter import MagicFilter

from handlers.menu import is_menu_text


class ChatIs(Filter):
    """The message was sent in one of these kinds of chat."""

    def __init__(self, *kinds: str) -> None:
        self.kinds = frozenset(kinds)

    async def __call__(self, message: Message) -> bool:
        return message.chat.type in self.kinds


class Typed(Filter):
    """Words that are not a command: `F.text, ~F.text.startswith("/")` in one check."""

    async def __call__(self, message: Message) -> bool:
        return bool(message.text) and not message.text.startswith("/")  # type: ignore[union-attr]


class NotACommand(Filter):
    """Anything but a text starting with "/" (a photo too): `~F.text.startswith("/")`."""

    async def __call__(self, message: Message) -> bool:
        return message.text is None or not message.text.startswith("/")


class Inline(Filter):
    """Any synchronous check of the event (a magic filter, a function), awaited inline."""

    def __init__(self, check: MagicFilter | Callable[[Any], Any]) -> None:
        self.check = check.resolve if isinstance(check, MagicFilter) else check

    async def __call__(self, event: TelegramObject) -> Any:
        return self.check(event)


class Never(Filter):
    """Keeps an observer out of the way of updates that other routers take."""

    async def __call__(self, event: TelegramObject) -> bool:
        return False


PRIVATE = ChatIs("private")
GROUPS = ChatIs("group", "supergroup")
TYPED = Typed()
NOT_A_COMMAND = NotACommand()
NEVER = Never()


class Shape(enum.Enum):
    """Every message is exactly one of these; each is routed on its own (handlers/__init__.py)."""

    COMMAND = "command"  # text or caption starting with "/", in any chat and state
    GROUP = "group"  # anything else in a group
    FORM = "form"  # anything else in a private chat, while a form is open
    MENU = "menu"  # else a press of a reply-keyboard button (the text of some MenuButton)
    PLAIN = "plain"  # anything else in a private chat, outside any form


def shape_of(message: Message, raw_state: str | None, i18n: I18n) -> Shape:
    words = message.text if message.text is not None else message.caption
    if words is not None and words.startswith("/"):
        return Shape.COMMAND
    if message.chat.type != "private":
        return Shape.GROUP
    if raw_state is not None:
        return Shape.FORM
    return Shape.MENU if is_menu_text(message.text, i18n) else Shape.PLAIN


class Shaped(Filter):
    """Lets through the messages of one shape."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape

    async def __call__(self, message: Message, i18n: I18n, raw_state: str | None = None) -> bool:
        return shape_of(message, raw_state, i18n) is self.shape
