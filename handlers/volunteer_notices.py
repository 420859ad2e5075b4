"""What volunteers and the staff are told: a task's invitation (with its "I will come" and "I
can't" buttons, answered in handlers.volunteers), a volunteer's answer, the month's thanks; and
the words those are said in, shared with handlers.volunteers and handlers.volunteer_tasks:
skills and times of day, hours, moments in the office's time.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton
from aiogram.utils.i18n import I18n, get_i18n
from aiogram.utils.i18n import gettext as _

from handlers.menu import N_
from handlers.ticket_card import markup
from services.certificates import CHINA_TIME
from services.models import as_utc
from services.outbox import Outgoing
from services.routing import Routing, text
from services.volunteer_contract import Profile, TaskView
from services.volunteer_routing import routed_skills

LABELS = {
    "elderly_care": N_("Elderly care"),
    "tutoring": N_("Tutoring"),
    "cleaning": N_("Cleaning"),
    "translation": N_("Translation"),
    "first_aid": N_("First aid"),
    "other": N_("Other"),
    "weekdays": N_("Weekdays"),
    "weekends": N_("Weekends"),
    "mornings": N_("Mornings"),
    "afternoons": N_("Afternoons"),
    "evenings": N_("Evenings"),
}


LIST_SEPARATOR = N_(", ")  # between the skills or times listed: "、" in Chinese


class Reply(CallbackData, prefix="va"):
    task: int
    yes: bool


def labels(
    codes: tuple[str, ...] | list[str],
    translate: Any = None,
    routing: Routing | None = None,
    locale: str | None = None,
) -> str:
    """Skills or times in words, in the current (or the given) language: a skill the routing
    file names in its own words, the others from the catalogs."""
    words = translate or _
    named = {
        skill.code: skill.name for skill in routed_skills(routing.volunteers if routing else None)
    }
    locale = locale or get_i18n().current_locale
    said = [
        text(named[code], locale) if code in named else words(LABELS[code])
        for code in codes
        if code in named or code in LABELS
    ]
    return words(LIST_SEPARATOR).join(said) or "—"


def hours(minutes: int) -> str:
    return f"{minutes / 60:g}"


def grid_name(routing: Routing, code: str, locale: str | None) -> str:
    try:
        return text(routing.grid(code).name, locale)
    except KeyError:
        return code


def local_moment(moment: datetime, zone: tzinfo) -> str:
    return f"{as_utc(moment).astimezone(zone):%Y-%m-%d %H:%M}"


class VolunteerNotices:
    """services.volunteers.VolunteerWords in each reader's language; names travel sealed."""

    def __init__(
        self, i18n: I18n, routing: Routing, staff_locale: str, zone: tzinfo = CHINA_TIME
    ) -> None:
        self.i18n, self.routing, self.staff_locale, self.zone = i18n, routing, staff_locale, zone

    def _(self, message: str, locale: str) -> str:
        return self.i18n.gettext(message, locale=locale)

    def invitation(self, task: TaskView, volunteer: Profile) -> Outgoing:
        locale = volunteer.locale
        words = self._(
            "🙋 Volunteers wanted: {what}\nWhere: {grid}\nWhen: {when}, {hours} hours\n"
            "People needed: {needed}\nSkills: {skills}\n\nCan you come?",
            locale,
        ).format(
            what=task.what,
            grid=grid_name(self.routing, task.grid_code, locale),
            when=local_moment(task.starts_at, self.zone),
            hours=hours(task.minutes),
            needed=task.needed,
            skills=labels(task.skills, lambda m: self._(m, locale), self.routing, locale)
            if task.skills
            else self._("any", locale),
        )
        buttons = [
            [
                InlineKeyboardButton(
                    text=self._("✅ I will come", locale),
                    callback_data=Reply(task=task.id, yes=True).pack(),
                ),
                InlineKeyboardButton(
                    text=self._("❌ I can't", locale),
                    callback_data=Reply(task=task.id, yes=False).pack(),
                ),
            ]
        ]
        return Outgoing.text(
            volunteer.user_id,
            words,
            reply_markup=markup(buttons),
            reference=f"volunteer-task:{task.id}",
        )

    def answered(self, task: TaskView, volunteer: Profile, accepted: bool) -> Outgoing:
        """To the task's staff chat, sealed: the volunteer's name, and phone when they come."""
        locale = self.routing.chat_locales.get(task.staff_chat_id, self.staff_locale)
        said = (
            N_("🙋 {name} will come to task #{id} “{what}” ({accepted} of {needed}).")
            if accepted
            else N_("{name} can no longer come to task #{id} “{what}” ({accepted} of {needed}).")
        )
        words = self._(said, locale).format(
            name=volunteer.name,
            id=task.id,
            what=task.what,
            accepted=task.accepted,
            needed=task.needed,
        )
        if accepted and volunteer.phone:
            words += "\n" + self._("Phone: {phone}", locale).format(phone=volunteer.phone)
        message = Outgoing.text(task.staff_chat_id, words, reference=f"volunteer-task:{task.id}")
        return Outgoing(
            message.chat_id,
            message.method,
            message.params,
            reference=message.reference,
            sealed=True,
        )

    def thanks(self, volunteer: Profile, month: str, minutes: int, tasks: int) -> Outgoing:
        words = self._(
            "💐 Thank you for volunteering! In {month} you gave {hours} hours to your "
            "neighbours, in {tasks} tasks.",
            volunteer.locale,
        ).format(month=month, hours=hours(minutes), tasks=tasks)
        return Outgoing.text(volunteer.user_id, words, reference="volunteer-thanks")
