"""The live message of a consultation in its staff chat: the staff view (handlers/
deliberation_staff.py), rendered in the chat's language and edited in place as votes, opinions
and ratings come (services/deliberation_live.py decides when, and who edits)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.settings import Settings
from handlers.deliberation_notices import staff_buttons
from handlers.deliberation_staff import staff_view
from services.deliberation import DeliberationService
from services.deliberation_live import LiveTally
from services.models import utcnow


class LiveView:
    def __init__(
        self,
        live: LiveTally,
        deliberation: DeliberationService,
        i18n: I18n,
        chat_locale: Callable[[int], str],
        settings: Settings,
    ) -> None:
        self.live, self.deliberation, self.i18n = live, deliberation, i18n
        self.chat_locale, self.settings = chat_locale, settings

    async def refresh(self, now: datetime | None = None, only: int | None = None) -> int:
        """Edit the messages that are due (only one consultation's, after its vote); how many."""
        now = now or utcnow()
        edited = 0
        for consultation_id in await self.live.due(now, only):
            consultation = await self.live.claim(consultation_id, now)
            if consultation is None:
                continue  # another process edits it
            with self.i18n.context(), self.i18n.use_locale(self.chat_locale(consultation.chat_id)):
                text = await staff_view(consultation, self.deliberation, self.settings)
                buttons = InlineKeyboardMarkup(inline_keyboard=staff_buttons(consultation, _))
            await self.live.show(consultation, text[:4096], buttons.model_dump(exclude_none=True))
            edited += 1
        return edited
