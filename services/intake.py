"""A form files once: the same Submit delivered again finds what the first one made.

A form is named by an intake key (unique in its table). A Submit pressed again, after a crash or
a lost answer, or raced by another process, gets the row already filed instead of a second one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

Row = TypeVar("Row")


async def file_once(
    intake_key: str | None,
    filed: Callable[[str], Awaitable[Row | None]],
    file: Callable[[], Awaitable[Row]],
) -> Row:
    """`file()` unless a row with this key exists (or another process files it meanwhile)."""
    if intake_key and (found := await filed(intake_key)):
        return found
    try:
        return await file()
    except IntegrityError:
        if intake_key and (found := await filed(intake_key)):
            return found
        raise
