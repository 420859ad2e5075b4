"""What a consultation says to the people invited (each in their own language) and to its staff
chat (in the chat's language); the buttons they press. Voters never see who else voted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton

from handlers.menu import N_
from handlers.notices import TelegramTicketNotices
from handlers.ticket_card import markup
from services.deliberation import Tally
from services.models import Consultation, ConsultationInvitee, as_utc
from services.outbox import Outgoing, Priority

LETTERS = "ABCDEF"
Translate = Callable[[str], str]


class Ballot(CallbackData, prefix="dv"):
    consultation_id: int
    round: int
    option: int


class Opine(CallbackData, prefix="do"):
    consultation_id: int


class Satisfaction(CallbackData, prefix="ds"):
    consultation_id: int
    stars: int


class StaffAct(CallbackData, prefix="dst"):
    """A button on the staff message: refresh, export, edit, round (a new one), decide, done."""

    action: str
    consultation_id: int


def reference(consultation: Consultation) -> str:
    return f"consultation:{consultation.id}"


def deadline_text(moment: datetime, zone: object) -> str:
    return f"{as_utc(moment).astimezone(zone):%Y-%m-%d %H:%M}"  # type: ignore[arg-type]


def tally_lines(c: Consultation, tally: Tally, _: Translate) -> str:
    lines = [f"{LETTERS[i]}. {option} — {tally.counts[i]}" for i, option in enumerate(c.options)]
    lines.append(
        _("{voted} of {invited} invited have chosen.").format(
            voted=tally.voted, invited=tally.invited
        )
    )
    return "\n".join(lines)


def ballot_buttons(c: Consultation, _: Translate) -> list[list[InlineKeyboardButton]]:
    assert c.id is not None
    rows = [
        [
            InlineKeyboardButton(
                text=f"{LETTERS[i]}. {option}",
                callback_data=Ballot(consultation_id=c.id, round=c.round, option=i).pack(),
            )
        ]
        for i, option in enumerate(c.options)
    ]
    rows.append(
        [
            InlineKeyboardButton(
                text=_("✍️ Write an opinion"), callback_data=Opine(consultation_id=c.id).pack()
            )
        ]
    )
    return rows


STAFF_ACTIONS = {
    "refresh": N_("📊 Tally and opinions"),
    "export": N_("📄 Export"),
    "edit": N_("✏️ Correct"),
    "decide": N_("📣 Publish the decision"),
    "done": N_("✅ Carried out"),
}


def staff_buttons(c: Consultation, _: Translate) -> list[list[InlineKeyboardButton]]:
    """What staff can do now with it."""
    assert c.id is not None
    actions = {
        "open": ["refresh", "export", "edit"],
        "closed": ["refresh", "export", "decide"],
        "decided": ["refresh", "export", "done"],
        "done": ["refresh", "export"],
    }.get(c.status, [])
    return [
        [
            InlineKeyboardButton(
                text=_(STAFF_ACTIONS[action]),
                callback_data=StaffAct(action=action, consultation_id=c.id).pack(),
            )
        ]
        for action in actions
    ]


class DeliberationTelegramNotices:
    def __init__(self, tickets: TelegramTicketNotices) -> None:
        self.tickets = tickets  # its i18n, zone and the staff chats' languages

    def translator(self, locale: str) -> Translate:
        return lambda message: self.tickets.i18n.gettext(message, locale=locale)

    def ballot(self, c: Consultation, _: Translate) -> str:
        parts = [_("🗳 Consultation: {question}").format(question=c.question)]
        if c.background:
            parts.append(c.background)
        options = "\n".join(f"{LETTERS[i]}. {option}" for i, option in enumerate(c.options))
        parts.append(_("Options:") + "\n" + options)
        when = deadline_text(c.deadline, self.tickets.zone)
        parts.append(
            _(
                "Choose an option below, and write your opinion if you like: you can change "
                "both until {deadline}. Other residents never see who you are."
            ).format(deadline=when)
        )
        parts.append(
            _("The tally is shown while voting.")
            if c.show_tally
            else _("The tally is shown only after the deadline.")
        )
        return "\n\n".join(parts)

    def _to(
        self, invitee: ConsultationInvitee, c: Consultation, words: str, buttons: bool = False
    ) -> Outgoing:
        _ = self.translator(invitee.locale)
        extra = {"reply_markup": markup(ballot_buttons(c, _))} if buttons else {}
        return Outgoing.text(
            invitee.person_id, words, priority=Priority.NORMAL, reference=reference(c), **extra
        )

    def invitation(self, c: Consultation, invitee: ConsultationInvitee) -> Outgoing:
        return self._to(invitee, c, self.ballot(c, self.translator(invitee.locale)), True)

    def revised(self, c: Consultation, invitee: ConsultationInvitee, voided: bool) -> Outgoing:
        _ = self.translator(invitee.locale)
        if voided:
            head = _(
                "🔁 Round {round}: the consultation was corrected, so the choices made in "
                "round {previous} no longer count. Please choose again."
            ).format(round=c.round, previous=c.round - 1)
        else:
            head = _("✏️ The consultation was corrected before anyone chose:")
        return self._to(invitee, c, head + "\n\n" + self.ballot(c, _), True)

    def voice_opinion(self, c: Consultation, number: int, file_id: str) -> Outgoing:
        _ = self.translator(self.tickets.chat_locale(c.chat_id))
        caption = _("🎤 Resident {number}'s opinion on consultation {id}: {question}").format(
            number=number, id=c.id, question=c.question
        )
        return Outgoing(
            c.chat_id,
            "sendVoice",
            {"voice": file_id, "caption": caption[:1024]},
            Priority.NORMAL,
            reference(c),
            sealed=True,  # a person's voice
        )

    def reminder(self, c: Consultation, invitee: ConsultationInvitee) -> Outgoing:
        _ = self.translator(invitee.locale)
        head = _("⏰ One day left: you have not chosen yet.")
        return self._to(invitee, c, head + "\n\n" + self.ballot(c, _), True)

    def closed(self, c: Consultation, tally: Tally) -> Outgoing:
        _ = self.translator(self.tickets.chat_locale(c.chat_id))
        words = (
            _("🔒 Consultation {id} closed at its deadline: {question}").format(
                id=c.id, question=c.question
            )
            + "\n\n"
            + _("Final tally:")
            + "\n"
            + tally_lines(c, tally, _)
            + "\n\n"
            + _("Publish the decision with its reasons: /decide {id}").format(id=c.id)
        )
        return Outgoing.text(
            c.chat_id, words, reference=reference(c), reply_markup=markup(staff_buttons(c, _))
        )

    def decided(
        self, c: Consultation, invitee: ConsultationInvitee, tally: Tally, numbers: list[str]
    ) -> Outgoing:
        _ = self.translator(invitee.locale)
        parts = [
            _("📣 The decision on “{question}”:").format(question=c.question)
            + "\n"
            + (c.decision or ""),
            _("Final tally:") + "\n" + tally_lines(c, tally, _),
        ]
        if numbers:
            parts.append(
                _("This answers your request {numbers}.").format(numbers=", ".join(numbers))
            )
        return self._to(invitee, c, "\n\n".join(parts))

    def carried_out(self, c: Consultation, invitee: ConsultationInvitee) -> Outgoing:
        _ = self.translator(invitee.locale)
        assert c.id is not None
        words = (
            _("✅ Done: the decision on “{question}” has been carried out.").format(
                question=c.question
            )
            + "\n"
            + (c.decision or "")
            + "\n\n"
            + _("How satisfied are you with it? 1 star: not at all; 5 stars: very satisfied.")
        )
        stars = [
            [
                InlineKeyboardButton(
                    text="⭐" * n,
                    callback_data=Satisfaction(consultation_id=c.id, stars=n).pack(),
                )
            ]
            for n in range(5, 0, -1)
        ]
        return Outgoing.text(
            invitee.person_id, words, reference=reference(c), reply_markup=markup(stars)
        )
