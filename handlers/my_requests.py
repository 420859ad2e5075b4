"""My requests: the resident's list, one request's history, and adding to a request."""

from __future__ import annotations

import asyncio

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.gates import NOT_A_COMMAND, PRIVATE, Inline
from handlers.lawyer_asker import list_questions
from handlers.mediation_history import show_my_cases
from handlers.menu import REQUESTS, MenuButton, cancel_only, main_menu
from handlers.notices import TelegramTicketNotices
from handlers.relayed import media_of, source_of, words_of
from handlers.statuses import status_label
from services.conversation import Source
from services.legal import LegalDesk
from services.mediation import MediationService
from services.models import Ticket, TicketEvent
from services.routing import Routing, text
from services.ticket_contract import NotYourTicket, TicketNotFound, WrongState
from services.tickets import CLOSED, OPEN, WITHDRAWN, TicketService


class OpenTicket(CallbackData, prefix="open"):
    ticket_id: int


class CommentOn(CallbackData, prefix="cmt"):
    ticket_id: int


class Withdraw(CallbackData, prefix="wd"):
    ticket_id: int
    sure: bool  # False: ask first; True: the resident confirmed


class Commenting(StatesGroup):
    writing = State()


async def my_requests(
    message: Message,
    tickets: TicketService,
    routing: Routing,
    i18n: I18n,
    notices: TelegramTicketNotices,
    mediation: MediationService,
    legal: LegalDesk | None = None,
) -> None:
    assert message.from_user is not None
    mine = await tickets.for_resident(message.from_user.id)
    if mine:
        await list_tickets(message, mine, routing, i18n, notices)
    cases = await show_my_cases(message, mediation)  # to the mediators
    asked = legal is not None and await list_questions(message, legal)  # to the lawyers
    if not (mine or cases or asked):
        await message.answer(
            _("You have no requests yet. Press “Report a problem” to make one."),
            reply_markup=main_menu(),
        )


async def list_tickets(
    message: Message,
    mine: list[Ticket],
    routing: Routing,
    i18n: I18n,
    notices: TelegramTicketNotices,
) -> None:
    """The resident's tickets, newest first, each with an Open button."""
    locale = i18n.current_locale
    lines = [
        _("{number} · {category} · {status} · updated {when}").format(
            number=ticket.number,
            category=text(routing.category(ticket.category).name, locale),
            status=status_label(ticket.status),
            when=notices.when(ticket.updated_at),
        )
        + f"\n“{ticket.text[:80]}”"
        for ticket in mine
    ]
    buttons = [
        [
            InlineKeyboardButton(
                text=_("Open {number}").format(number=ticket.number),
                callback_data=OpenTicket(ticket_id=ticket.id or 0).pack(),
            )
        ]
        for ticket in mine[:10]
    ]
    await message.answer(
        _("Your requests, newest first:") + "\n\n" + "\n\n".join(lines),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons),
    )


def describe_event(event: TicketEvent, team: str, notices: TelegramTicketNotices) -> str | None:
    """One line of a ticket's history as its reporter sees it (internal notes stay hidden)."""
    lines = {
        "created": _("you reported it"),
        "taken": _("{team} took it").format(team=team),
        "reply": _("{team}: {text}").format(team=team, text=event.detail),
        "comment": _("you added: {text}").format(text=event.detail),
        "resolved": _("{team} marked it resolved").format(team=team),
        "reopened": _("you said it is not fixed yet"),
        "confirmed": _("you confirmed it is fixed"),
        "rated": _("you rated it {stars} of 5").format(stars=event.detail),
        "feedback": _("you told the team: {text}").format(text=event.detail),
        "joined": _("a neighbour joined it"),
        "reassigned": _("passed to {team}").format(team=team),
        "withdrawn": _("you withdrew it"),
    }
    line = lines.get(event.kind)
    return f"{notices.when(event.at)} · {line}" if line else None


async def open_ticket(
    query: CallbackQuery,
    callback_data: OpenTicket,
    tickets: TicketService,
    notices: TelegramTicketNotices,
    i18n: I18n,
) -> None:
    try:
        ticket = await tickets.get(callback_data.ticket_id)
    except TicketNotFound:
        ticket = None
    if ticket is None or ticket.resident_id != query.from_user.id:
        await query.answer(_("This request is not yours."), show_alert=True)
        return
    await query.answer()
    team = notices.team(ticket, i18n.current_locale)
    history = [
        line
        for event in await tickets.history(callback_data.ticket_id)
        if (line := describe_event(event, team, notices))
    ]
    buttons = []
    if ticket.status not in (CLOSED, WITHDRAWN):
        buttons = [
            [
                InlineKeyboardButton(
                    text="💬 " + _("Add a comment or photo"),
                    callback_data=CommentOn(ticket_id=callback_data.ticket_id).pack(),
                )
            ]
        ]
    if ticket.status in OPEN:
        withdraw = Withdraw(ticket_id=callback_data.ticket_id, sure=False).pack()
        buttons.append(
            [InlineKeyboardButton(text="↩️ " + _("Withdraw this request"), callback_data=withdraw)]
        )
    if isinstance(query.message, Message):
        await query.message.answer(
            _("Request {number}: {status}").format(
                number=ticket.number, status=status_label(ticket.status)
            )
            + f"\n“{ticket.text}”\n\n"
            + "\n".join(history),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons) if buttons else None,
        )


async def withdraw(query: CallbackQuery, callback_data: Withdraw, tickets: TicketService) -> None:
    """The reporter takes back a request not yet resolved: asked once, then done."""
    try:
        ticket = await tickets.get(callback_data.ticket_id)
    except TicketNotFound:
        ticket = None
    if ticket is None or ticket.resident_id != query.from_user.id:
        await query.answer(_("This request is not yours."), show_alert=True)
        return
    if not isinstance(query.message, Message):
        await query.answer()
        return
    if not callback_data.sure:
        await query.answer()
        sure = Withdraw(ticket_id=callback_data.ticket_id, sure=True).pack()
        await query.message.answer(
            _(
                "Withdraw request {number}? The team will stop working on it. "
                "If the problem comes back, report it again."
            ).format(number=ticket.number),
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [InlineKeyboardButton(text="↩️ " + _("Yes, withdraw it"), callback_data=sure)]
                ]
            ),
        )
        return
    try:
        ticket = await tickets.withdraw(callback_data.ticket_id, query.from_user.id)
    except NotYourTicket:
        await query.answer(_("This request is not yours."), show_alert=True)
        return
    except WrongState as state:
        await query.answer(
            _("Request {number} is already {status}; it cannot be withdrawn.").format(
                number=ticket.number, status=status_label(state.status)
            ),
            show_alert=True,
        )
        return
    await query.answer()
    await query.message.edit_text(
        _("↩️ Request {number} is withdrawn. The team has been told.").format(number=ticket.number)
    )


async def ask_comment(query: CallbackQuery, callback_data: CommentOn, state: FSMContext) -> None:
    await query.answer()
    await state.set_state(Commenting.writing)
    await state.update_data(ticket_id=callback_data.ticket_id)
    if isinstance(query.message, Message):
        await query.message.answer(
            _("Send your comment or a photo; the team will see it."), reply_markup=cancel_only()
        )


async def take_comment(message: Message, state: FSMContext, tickets: TicketService) -> None:
    ticket_id = int((await state.get_data())["ticket_id"])
    if message.media_group_id is not None:  # the form waits for the album's other parts
        ALBUMS.add(message, ticket_id, tickets, state)
        return
    await state.clear()
    await add_to_ticket(message, ticket_id, tickets)


async def reply_to_ticket_message(message: Message, tickets: TicketService) -> None:
    """Replying to a bot message about a ticket adds to that ticket; otherwise a new report.

    A plain comment takes one transaction (services.ticket_conversation.comment_in_reply).
    """
    assert message.reply_to_message is not None and message.from_user is not None
    replied_to = Source(message.chat.id, message.reply_to_message.message_id)
    words, media = words_of(message), media_of(message)
    ticket: Ticket | None
    if message.media_group_id is not None or (not words and media is None):
        ticket = await tickets.by_bot_message(replied_to.chat_id, replied_to.message_id)
        if ticket is not None and ticket.id is not None:
            await add_to_ticket(message, ticket.id, tickets)
            return
    else:
        try:
            ticket = await tickets.comment_in_reply(
                replied_to, message.from_user.id, words, media, source_of(message)
            )
        except (NotYourTicket, WrongState) as error:
            await refuse(message, error)
            return
        if ticket is not None:
            await acknowledge(message, ticket)
            return
    await message.answer(
        _(
            "That message is not about one of your requests. "
            "To report something new, press “Report a problem”."
        ),
        reply_markup=main_menu(),
    )


class AlbumComments:
    """The parts of an album a resident sends as a comment, gathered for a moment.

    Telegram delivers an album as one message per photo with a shared media_group_id; they go
    on to staff as one album with one acknowledgement. Gathered in this process: with several
    processes an album's parts can be split between them (each part still arrives).
    """

    def __init__(self, wait_seconds: float = 1.0) -> None:
        self.wait_seconds = wait_seconds
        self._parts: dict[str, tuple[int, list[Message]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @staticmethod
    def key(message: Message) -> str:
        return f"{message.chat.id}:{message.media_group_id}"

    def gathering(self, message: Message) -> bool:
        return self.key(message) in self._parts

    def add(
        self,
        message: Message,
        ticket_id: int | None,
        tickets: TicketService,
        form: FSMContext | None = None,
    ) -> None:
        """`form`: the comment form, left open for the other parts, closed once they are in."""
        key = self.key(message)
        if key in self._parts:
            self._parts[key][1].append(message)
            return
        assert ticket_id is not None
        self._parts[key] = (ticket_id, [message])
        task = asyncio.create_task(self._flush(key, tickets, form))  # keeps the language
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush(self, key: str, tickets: TicketService, form: FSMContext | None) -> None:
        await asyncio.sleep(self.wait_seconds)
        ticket_id, parts = self._parts.pop(key)
        if form is not None and await form.get_state() == Commenting.writing.state:
            await form.clear()
        parts.sort(key=lambda part: part.message_id)
        first = parts[0]
        items = [media for part in parts if (media := media_of(part)) is not None]
        words = next((words_of(part) for part in parts if words_of(part)), "")
        assert first.from_user is not None
        try:
            ticket = await tickets.comment_album(ticket_id, first.from_user.id, words, items)
        except (NotYourTicket, WrongState) as error:
            await refuse(first, error)
            return
        await first.answer(
            _("Added {count} to request {number}. The team will see them.").format(
                count=len(items), number=ticket.number
            ),
            reply_markup=main_menu(),
        )


ALBUMS = AlbumComments()


async def album_part(message: Message, tickets: TicketService) -> None:
    """A later part of an album being gathered: it joins the others."""
    ALBUMS.add(message, None, tickets)


async def add_to_ticket(message: Message, ticket_id: int, tickets: TicketService) -> None:
    assert message.from_user is not None
    if message.media_group_id is not None:
        ALBUMS.add(message, ticket_id, tickets)
        return
    words = words_of(message)
    media = media_of(message)
    if not words and media is None:
        await message.answer(
            _("This kind of message cannot be passed on; send words, a photo or a voice note."),
            reply_markup=main_menu(),
        )
        return
    try:
        ticket = await tickets.comment_from_resident(
            ticket_id, message.from_user.id, words, media, source_of(message)
        )
    except (NotYourTicket, WrongState) as error:
        await refuse(message, error)
        return
    await acknowledge(message, ticket)


async def refuse(message: Message, error: NotYourTicket | WrongState) -> None:
    """Why a comment was not added: not theirs, or closed."""
    if isinstance(error, NotYourTicket):
        await message.answer(_("This request is not yours."), reply_markup=main_menu())
        return
    await message.answer(
        _("That request is closed. To report something new, press “Report a problem”."),
        reply_markup=main_menu(),
    )


async def acknowledge(message: Message, ticket: Ticket) -> None:
    await message.answer(
        _("Added to request {number}. The team will see it.").format(number=ticket.number),
        reply_markup=main_menu(),
    )


async def edit_comment(message: Message, tickets: TicketService) -> None:
    """The resident edited a comment the team has: the team's copy follows."""
    if message.from_user is None:
        return
    source = source_of(message)
    ticket = await tickets.relayed_ticket(source)
    if ticket is None or ticket.resident_id != message.from_user.id:
        return  # not relayed, or (forged) not theirs: nothing to follow
    name = message.from_user.full_name
    await tickets.edit_relayed(source, message.from_user.id, name, words_of(message))


def router() -> Router:
    router = Router(name="my-requests")
    router.message.filter(PRIVATE)
    router.edited_message.filter(PRIVATE)
    router.message.register(album_part, Inline(F.media_group_id), Inline(ALBUMS.gathering))
    router.message.register(my_requests, StateFilter(None), Command("requests"))
    router.message.register(my_requests, StateFilter(None), MenuButton(REQUESTS))
    router.callback_query.register(open_ticket, OpenTicket.filter())
    router.callback_query.register(ask_comment, CommentOn.filter())
    router.callback_query.register(withdraw, Withdraw.filter())
    router.message.register(take_comment, StateFilter(Commenting.writing), NOT_A_COMMAND)
    router.edited_message.register(edit_comment)
    router.message.register(
        reply_to_ticket_message, StateFilter(None), Inline(F.reply_to_message.from_user.is_bot)
    )
    return router
