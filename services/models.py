"""Database tables (SQLModel). Alembic migrations in services/migrations track these."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, DateTime
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _timestamp(index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=False, default=utcnow, index=index)


class Person(SQLModel, table=True):
    """Someone who talked to the bot, with the language they chose."""

    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    locale: str | None = Field(default=None, max_length=8)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class ProcessedUpdate(SQLModel, table=True):
    """An update id already taken for handling: Telegram may deliver an update again."""

    __tablename__ = "processed_update"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    received_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp(index=True))
