"""What the outbox keeps, and for how long: so a year of notifications is not a year of rows.

- Delivered (and withdrawn) notifications are deleted after NOTIFICATION_RETENTION_DAYS. The
  ones about a ticket are slimmed instead: their parameters (the text) are emptied, and the row
  stays as the pair "this Telegram message belongs to ticket N", which a staff member's reply to
  an old message needs (services.tickets.by_bot_message). Those grow with tickets, not with
  traffic.
- Dead letters and unreachable ones stay DEAD_LETTER_RETENTION_DAYS for an admin to look at.
- A stored file (a certificate card) is deleted once no row that may still be sent names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, not_, or_, update
from sqlmodel import col

from services.models import Notification
from services.outbox import DEAD, DELIVERED, UNREACHABLE, WITHDRAWN, Outbox

TICKET_REFERENCE = "ticket:%"
LEGAL_REFERENCE = "legal:%"  # a legal question's: a lawyer may reply to an old card too


@dataclass(frozen=True)
class Pruned:
    deleted: int  # rows
    slimmed: int  # ticket rows whose text was emptied
    files: int  # stored files deleted


class OutboxRetention:
    def __init__(self, outbox: Outbox, file_grace_seconds: float = 3600) -> None:
        self.outbox = outbox
        self.file_grace_seconds = file_grace_seconds  # a file younger may await its commit
        self._slimmed_up_to: datetime | None = None  # rows before it are slim already

    async def prune(self, delivered_before: datetime, dead_before: datetime) -> Pruned:
        finished = col(Notification.state).in_((DELIVERED, WITHDRAWN))
        created = col(Notification.created_at)
        about_ticket = or_(
            col(Notification.reference).like(TICKET_REFERENCE),
            col(Notification.reference).like(LEGAL_REFERENCE),
        )
        old_finished = and_(finished, created < delivered_before)
        old_dead = and_(col(Notification.state).in_((DEAD, UNREACHABLE)), created < dead_before)
        async with self.outbox.db.session() as session:
            deleted = await session.exec(
                delete(Notification).where(
                    or_(
                        and_(
                            old_finished,
                            or_(col(Notification.reference).is_(None), not_(about_ticket)),
                        ),
                        old_dead,
                    )
                )
            )
            slim = update(Notification).where(old_finished, about_ticket).values(params={})
            if self._slimmed_up_to is not None:  # once a process has slimmed, only the new ones
                slim = slim.where(created >= self._slimmed_up_to)
            slimmed = await session.exec(slim.execution_options(synchronize_session=False))
            await session.commit()
        self._slimmed_up_to = delivered_before
        files = 0
        if self.outbox.files is not None:
            needed = await self.outbox.files_still_needed()
            files = self.outbox.files.sweep(needed, self.file_grace_seconds)
        return Pruned(int(deleted.rowcount or 0), int(slimmed.rowcount or 0), files)
