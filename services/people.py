"""People who talk to the bot, and the language each one reads."""

from __future__ import annotations

import time
from collections import OrderedDict

from sqlmodel import col, select

from services.batching import GroupCommit
from services.models import Person, utcnow
from services.storage import Database

LOCALES = ("en", "zh")
REMEMBER_SECONDS = 30.0  # a choice made through another process reaches this one within this
REMEMBER_PEOPLE = 10_000  # the most recently seen people whose choice is kept in memory


def locale_from_language_code(language_code: str | None) -> str | None:
    """Telegram's language_code (zh, zh-hans, zh-Hant, en-US…) to one of our locales."""
    if not language_code:
        return None
    primary = language_code.lower().replace("_", "-").split("-")[0]
    return primary if primary in LOCALES else None


class PeopleService:
    """Every update asks for its person's language: the answer is kept in memory for a while.

    A choice made here (/language) is seen at once; one made through another process sharing
    the database, within `remember_seconds`. Look-ups that miss go to the database together
    (one SELECT for the updates in hand).
    """

    def __init__(
        self,
        db: Database,
        default_locale: str = "en",
        remember_seconds: float = REMEMBER_SECONDS,
        remember_people: int = REMEMBER_PEOPLE,
    ) -> None:
        if default_locale not in LOCALES:
            raise ValueError(f"unknown locale {default_locale!r}")
        self.db = db
        self.default_locale = default_locale
        self.remember_seconds = remember_seconds
        self.remember_people = remember_people
        self._locales = GroupCommit(self._chosen_locales)  # one SELECT for concurrent updates
        self._remembered: OrderedDict[int, tuple[float, str | None]] = OrderedDict()

    async def chosen_locale(self, telegram_id: int) -> str | None:
        now = time.monotonic()
        remembered = self._remembered.get(telegram_id)
        if remembered is not None and remembered[0] > now:
            self._remembered.move_to_end(telegram_id)
            return remembered[1]
        chosen = await self._locales(telegram_id)
        self._remember(telegram_id, chosen, now)
        return chosen

    def _remember(self, telegram_id: int, locale: str | None, now: float) -> None:
        self._remembered[telegram_id] = (now + self.remember_seconds, locale)
        self._remembered.move_to_end(telegram_id)
        while len(self._remembered) > self.remember_people:
            self._remembered.popitem(last=False)

    async def _chosen_locales(self, telegram_ids: list[int]) -> list[str | None]:
        query = select(Person.telegram_id, Person.locale).where(
            col(Person.telegram_id).in_(set(telegram_ids))
        )
        async with self.db.engine.connect() as connection:
            result = await connection.execute(query)
            chosen: dict[int, str | None] = {person: locale for person, locale in result}
        return [chosen.get(telegram_id) for telegram_id in telegram_ids]

    async def locale_for(self, telegram_id: int | None, language_code: str | None) -> str:
        """The person's own choice, else their Telegram language, else the default."""
        if telegram_id is not None:
            chosen = await self.chosen_locale(telegram_id)
            if chosen:
                return chosen
        return locale_from_language_code(language_code) or self.default_locale

    async def choose_locale(self, telegram_id: int, locale: str) -> None:
        if locale not in LOCALES:
            raise ValueError(f"unknown locale {locale!r}")
        async with self.db.session() as session:
            person = await session.get(Person, telegram_id)
            if person is None:
                person = Person(telegram_id=telegram_id)
            person.locale = locale
            person.updated_at = utcnow()
            session.add(person)
            await session.commit()
        self._remember(telegram_id, locale, time.monotonic())
