"""A file a mediation applicant sends as evidence: what it is, and whether it is too large
(shared by the form and by "Add evidence" later)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.settings import Settings
from handlers.mediation_notices import size_text
from services.mediation import EvidenceFile


def evidence_of(message: Message) -> EvidenceFile | None:
    now = message.date.astimezone(UTC) if message.date else datetime.now(UTC)
    if message.photo:
        photo = message.photo[-1]
        return EvidenceFile("photo", photo.file_id, photo.file_size or 0, now)
    if message.document:
        d = message.document
        return EvidenceFile("document", d.file_id, d.file_size or 0, now, d.file_name)
    if message.voice:
        return EvidenceFile("voice", message.voice.file_id, message.voice.file_size or 0, now)
    return None


async def too_large(message: Message, item: EvidenceFile, settings: Settings) -> bool:
    limit = settings.mediation_evidence_max_mb * 1024 * 1024
    if item.size <= limit:
        return False
    await message.answer(
        _("That file is {size}; the limit is {limit} MB. Send a smaller one.").format(
            size=size_text(item.size), limit=f"{settings.mediation_evidence_max_mb:g}"
        )
    )
    return True
