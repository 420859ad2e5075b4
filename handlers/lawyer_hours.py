"""`/duty` and `/hours`: who is on duty at the legal service point, and the lawyers' hours.

`/duty` (in the lawyers' chat) shows today's lawyers on duty, `/duty YYYY-MM-DD` another day's,
`/duty on|off [YYYY-MM-DD]` puts oneself on or off duty. `/hours` prints one's month (items and
total), `/hours YYYY-MM` another month, `/hours add 30` records minutes (for the question when
sent in its topic or in reply to it), and `/hours export YYYY-MM` (admins) sends every lawyer's
month as a CSV file.
"""

from __future__ import annotations

import re
from datetime import date

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import gettext as _

from bot.settings import Settings
from handlers.lawyer_desk import InLawyersChat, refusal, today
from handlers.staff_access import ChatLanguage, actor_of
from services.authorization import Authorization
from services.legal import LegalDesk
from services.legal_duty import DutyRoster, Standing
from services.legal_hours import DEFAULT_MINUTES, MAX_MINUTES, ServiceHours
from services.legal_routing import CurrentPoint

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_day(word: str) -> date | None:
    try:
        return date.fromisoformat(word)
    except ValueError:
        return None


def parse_month(word: str) -> tuple[int, int] | None:
    found = MONTH.match(word)
    if found is None or not 1 <= int(found.group(2)) <= 12:
        return None
    return int(found.group(1)), int(found.group(2))


def duration(minutes: int) -> str:
    return _("{hours} h {minutes} min").format(hours=minutes // 60, minutes=minutes % 60)


async def duty(
    message: Message,
    command: CommandObject,
    duty: DutyRoster,
    current: CurrentPoint,
    settings: Settings,
) -> None:
    point = current.point
    if point is None or message.chat.id != point.chat_id or message.from_user is None:
        await message.answer(_("Send /duty in the lawyers' chat."))
        return
    words = (command.args or "").split()
    day = today(settings.zone)
    if words and words[0] in ("on", "off"):
        if len(words) > 1 and (day := parse_day(words[1]) or date.min) == date.min:
            await message.answer(_("A day is written YYYY-MM-DD, e.g. /duty on 2026-12-03."))
            return
        standing, lawyer = await duty.standing(actor_of(message), "duty")
        if standing is not Standing.LAWYER or lawyer is None:
            await message.answer(refusal(standing))
            return
        await duty.set(lawyer.user_id, day, words[0] == "on")
        said = (
            _("{name} is on duty on {day}.")
            if words[0] == "on"
            else _("{name} is off duty on {day}.")
        )
        await message.answer(said.format(name=lawyer.name, day=day.isoformat()))
        return
    if words:
        shown = parse_day(words[0])
        if shown is None:
            await message.answer(_("Send /duty, /duty YYYY-MM-DD, or /duty on|off [YYYY-MM-DD]."))
            return
        day = shown
    on = (await duty.on_duty(day)).lawyers
    names = ", ".join(lawyer.name for lawyer in on) or _("nobody")
    await message.answer(_("On duty on {day}: {names}").format(day=day.isoformat(), names=names))


async def hours_command(
    message: Message,
    command: CommandObject,
    duty: DutyRoster,
    hours: ServiceHours,
    legal: LegalDesk,
    current: CurrentPoint,
    authorization: Authorization,
    settings: Settings,
) -> None:
    if message.from_user is None:
        return
    words = (command.args or "").split()
    if words and words[0] == "export":
        await export(message, words[1:], hours, authorization)
        return
    standing, lawyer = await duty.standing(actor_of(message), "hours")
    if standing is not Standing.LAWYER or lawyer is None:
        await message.answer(refusal(standing))
        return
    if words and words[0] == "add":
        minutes = int(words[1]) if len(words) > 1 and words[1].isdigit() else DEFAULT_MINUTES
        if (len(words) > 1 and not words[1].isdigit()) or not 1 <= minutes <= MAX_MINUTES:
            await message.answer(
                _("Send /hours add and the minutes, 1 to {most}, e.g. /hours add 30.").format(
                    most=MAX_MINUTES
                )
            )
            return
        found = await InLawyersChat()(message, current, legal)
        question = found["question"] if isinstance(found, dict) else None
        day = today(settings.zone)
        await hours.record(
            lawyer.user_id, lawyer.name, minutes, day, question.id if question else None
        )
        about = _(" for {number}").format(number=question.number) if question else ""
        await message.answer(
            _("⏱ Recorded {minutes} min{about} on {day}.").format(
                minutes=minutes, about=about, day=day.isoformat()
            )
        )
        return
    local = today(settings.zone)
    month = parse_month(words[0]) if words else (local.year, local.month)
    if month is None:
        await message.answer(_("Send /hours, /hours YYYY-MM or /hours add 30."))
        return
    items = await hours.month(*month, lawyer_id=lawyer.user_id)
    title = _("⏱ Service hours of {name}, {month}:").format(
        name=lawyer.name, month=f"{month[0]}-{month[1]:02d}"
    )
    other = _("other work")
    lines = [
        f"{item.day.isoformat()} · {item.minutes} min · {item.number or other}" for item in items
    ]
    total = sum(item.minutes for item in items)
    lines.append(_("Total: {total}").format(total=duration(total)))
    await message.answer("\n".join([title, *lines]))


async def export(
    message: Message, words: list[str], hours: ServiceHours, authorization: Authorization
) -> None:
    assert message.from_user is not None
    actor = actor_of(message)
    if not authorization.is_admin(actor.user_id) or actor.as_chat is not None:
        authorization.refused(actor, "/hours export", "lawyers' hours", "not an admin")
        await message.answer(_("Only an admin can export the lawyers' hours."))
        return
    month = parse_month(words[0]) if words else None
    if month is None:
        await message.answer(_("Send /hours export and a month, e.g. /hours export 2026-11."))
        return
    data = await hours.export(*month)
    name = f"legal-hours-{month[0]}-{month[1]:02d}.csv"
    await message.answer_document(
        BufferedInputFile(data, name),
        caption=_("Lawyers' service hours, {month}.").format(month=f"{month[0]}-{month[1]:02d}"),
    )


def router() -> Router:
    router = Router(name="lawyer-hours")
    for observer in (router.message,):
        observer.middleware(ChatLanguage())
    router.message.register(duty, Command("duty"))
    router.message.register(hours_command, Command("hours"))
    return router
