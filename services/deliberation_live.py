"""A consultation's one message in the staff chat, kept up to date as votes, opinions and
ratings come, within Telegram's limits for a group (about 20 messages a minute, edits too).

A vote marks the consultation pending (`changed`, in the vote's own transaction). Whoever
refreshes next — the voter's handler at once, or the runner's minute round for what was held
back — claims it with one conditional UPDATE (pending, and not edited within `every`, 15 s):
of two processes only one wins, and it renders what is committed after its claim, so a vote
landing meanwhile marks it pending again for the next edit. The edit goes through the outbox,
sealed (it quotes residents' opinions). What the message says is rendered outside the domain.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import col, select

from services.models import Consultation
from services.outbox import Outbox, Outgoing, Priority
from services.storage import Database

EVERY = timedelta(seconds=15)


def changed(consultation: Consultation) -> None:
    """Mark it for its live message (the caller adds it to its session)."""
    consultation.tally_pending = True


class LiveTally:
    def __init__(self, db: Database, outbox: Outbox, every: timedelta = EVERY) -> None:
        self.db, self.outbox, self.every = db, outbox, every

    async def attach(self, consultation_id: int, message_id: int, now: datetime) -> None:
        """This staff-chat message shows the consultation from now on (it was just sent)."""
        async with self.db.session() as session:
            await session.exec(
                update(Consultation)
                .where(col(Consultation.id) == consultation_id)
                .values(tally_message_id=message_id, tally_shown_at=now)
            )
            await session.commit()

    def _ready(self, now: datetime) -> Any:
        return or_(
            col(Consultation.tally_shown_at).is_(None),
            col(Consultation.tally_shown_at) <= now - self.every,
        )

    async def due(self, now: datetime, only: int | None = None) -> list[int]:
        """Consultations changed since their message was last edited, not edited within
        `every`."""
        query = (
            select(Consultation.id)
            .where(col(Consultation.tally_message_id).is_not(None))
            .where(col(Consultation.tally_pending))
            .where(self._ready(now))
        )
        if only is not None:
            query = query.where(col(Consultation.id) == only)
        async with self.db.session() as session:
            return [found for found in (await session.exec(query.limit(50))).all() if found]

    async def claim(self, consultation_id: int, now: datetime) -> Consultation | None:
        """The consultation to render now, if this call wins it; None if another did."""
        async with self.db.session() as session:
            won = await session.exec(
                update(Consultation)
                .where(col(Consultation.id) == consultation_id)
                .where(col(Consultation.tally_pending))
                .where(self._ready(now))
                .values(tally_pending=False, tally_shown_at=now)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
            if not won.rowcount:
                return None
            return await session.get(Consultation, consultation_id)

    async def show(self, consultation: Consultation, text: str, markup: dict[str, Any]) -> None:
        """Edit its message to `text` (claimed first)."""
        assert consultation.id is not None
        params = {"message_id": consultation.tally_message_id, "text": text, "reply_markup": markup}
        async with self.db.session() as session:
            self.outbox.add(
                session,
                Outgoing(
                    consultation.chat_id,
                    "editMessageText",
                    params,
                    Priority.NORMAL,
                    f"consultation:{consultation.id}",
                    sealed=True,
                ),
            )
            await session.commit()
