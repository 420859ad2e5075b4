"""The organisation's chat: the case card's buttons, `/offer` times, the outcome, `/stats`.

Every press and command asks `may_mediate` (services/mediation_access.py) about the person at
that moment: only members of the case's organisation chat (or admins) act on it.
"""

from __future__ import annotations

import re
from datetime import datetime

from aiogram import Bot, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.settings import Settings
from handlers.gates import GROUPS, TYPED
from handlers.mediation_history import status_word
from handlers.mediation_notices import CaseAction, TelegramMediationNotices
from handlers.mediation_session_notices import MediationNotices
from handlers.menu import take_press
from services.authorization import Actor, Authorization
from services.mediation import CaseNotFound, MediationService, WrongState
from services.mediation_access import may_mediate
from services.mediation_appointments import MediationAppointments
from services.mediation_models import MediationCase
from services.mediation_outcomes import MediationOutcomes
from services.mediation_sharing import share_evidence
from services.mediation_stats import SEED, MediationStats, by_organisation, organisation_stats
from services.models import utcnow
from services.routing import Routing, text

_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})")


class Writing(StatesGroup):
    decline_reason = State()
    evidence_wanted = State()
    terms = State()


def actor_of(query: CallbackQuery | Message) -> Actor:
    assert query.from_user is not None
    as_chat = None
    if isinstance(query, Message) and query.sender_chat is not None:
        as_chat = query.sender_chat.id
    return Actor(query.from_user.id, query.from_user.full_name, as_chat)


async def invite_link(bot: Bot, case: MediationCase) -> str:
    me = await bot.me()
    return f"https://t.me/{me.username}?start={case.invite_code}"


async def case_action(
    query: CallbackQuery,
    callback_data: CaseAction,
    state: FSMContext,
    mediation: MediationService,
    mediation_outcomes: MediationOutcomes,
    mediation_notices: MediationNotices,
    authorization: Authorization,
    bot: Bot,
) -> None:
    try:
        case = await mediation.get(callback_data.case_id)
    except CaseNotFound:
        await query.answer(_("This case no longer exists."), show_alert=True)
        return
    if not await may_mediate(authorization, case, actor_of(query), callback_data.action):
        await query.answer(
            _("Only the members of this organisation's chat can act on its cases."),
            show_alert=True,
        )
        return
    action, user = callback_data.action, query.from_user.id
    try:
        if action == "accept":
            await mediation.accept(case.id or 0, user, await invite_link(bot, case))
            await take_press(query)
        elif action in ("decline", "evidence", "settle"):
            await query.answer()
            target = {
                "decline": Writing.decline_reason,
                "evidence": Writing.evidence_wanted,
                "settle": Writing.terms,
            }[action]
            await state.set_state(target)
            await state.update_data(case_id=case.id)
            question = {
                "decline": _("Why do you decline case {number}? Write the reason in one message."),
                "evidence": _(
                    "What evidence do you need for case {number}? Write it in one message."
                ),
                "settle": _(
                    "Write the terms of the agreement for case {number} in one message: what "
                    "each party does, and by when."
                ),
            }[action]
            if isinstance(query.message, Message):
                await query.message.answer(question.format(number=case.number))
        elif action == "refer":
            await mediation_outcomes.refer(case.id or 0, user, "")
            await take_press(query)
        elif action == "withdraw":
            await mediation_outcomes.withdraw(case.id or 0, user, by_resident=False)
            await take_press(query)
        elif action == "judicial":
            day = mediation_outcomes.today(utcnow())
            await mediation_outcomes.judicial_confirmation(case.id or 0, user, day)
            await take_press(query)
        elif action == "share":
            if case.evidence_shared:
                await query.answer(_("The evidence is already shared."), show_alert=True)
                return
            await share_evidence(mediation, mediation_notices, case.id or 0, user)
            await query.answer(_("The other party can now see the evidence."))
    except WrongState as error:
        await query.answer(
            _("Case {number} is already {status}.").format(
                number=error.case.number, status=status_word(error.case.status)
            ),
            show_alert=True,
        )


async def written(
    message: Message,
    state: FSMContext,
    mediation: MediationService,
    mediation_outcomes: MediationOutcomes,
    authorization: Authorization,
) -> None:
    words = (message.text or "").strip()
    data = await state.get_data()
    current = await state.get_state()
    await state.clear()
    case = await mediation.get(int(data["case_id"]))
    actor = actor_of(message)
    if not words or not await may_mediate(authorization, case, actor, str(current)):
        return
    try:
        if current == Writing.decline_reason.state:
            case = await mediation.decline(case.id or 0, actor.user_id, words)
            await message.answer(
                _("Case {number} declined; it went on.").format(number=case.number)
            )
        elif current == Writing.evidence_wanted.state:
            await mediation.ask_for_evidence(case.id or 0, actor.user_id, words)
            await message.answer(_("The applicant was asked for more evidence."))
        elif current == Writing.terms.state:
            case = await mediation_outcomes.settle(case.id or 0, actor.user_id, words)
    except WrongState as error:
        await message.answer(
            _("Case {number} is already {status}.").format(
                number=error.case.number, status=status_word(error.case.status)
            )
        )


def parse_times(text: str, settings: Settings) -> list[datetime]:
    return [
        datetime.fromisoformat(
            f"{day}T{int(clock.split(':')[0]):02d}:{clock.split(':')[1]}"
        ).replace(tzinfo=settings.zone)
        for day, clock in _TIME.findall(text)
    ]


async def offer(
    message: Message,
    command: CommandObject,
    mediation: MediationService,
    mediation_appointments: MediationAppointments,
    authorization: Authorization,
    settings: Settings,
) -> None:
    number, _space, rest = (command.args or "").strip().partition(" ")
    case = await mediation.by_number(number) if number else None
    if case is None:
        await message.answer(
            _("Write it as: /offer M2026-000001 2026-12-10 09:30, 2026-12-11 14:00")
        )
        return
    if not await may_mediate(authorization, case, actor_of(message), "offer"):
        await message.answer(
            _("Only the members of this organisation's chat can act on its cases.")
        )
        return
    times = parse_times(rest, settings)
    try:
        case = await mediation_appointments.offer(case.id or 0, actor_of(message).user_id, times)
    except ValueError:
        await message.answer(
            _(
                "I found no time in the future. Write it as: /offer {number} 2026-12-10 09:30"
            ).format(number=case.number)
        )
        return
    except WrongState:
        await message.answer(_("Accept case {number} first.").format(number=case.number))
        return
    await message.answer(
        _("📅 {count} times offered to the applicant of {number}.").format(
            count=len(case.offered), number=case.number
        )
    )


async def stats(
    message: Message,
    mediation_notices: TelegramMediationNotices,
    mediation: MediationService,
    i18n: I18n,
) -> None:
    """An organisation's chat: its own figures, per kind, beside the seed's."""
    organisation = mediation.directory.of_chat(message.chat.id)
    if organisation is None:
        return
    figures = await organisation_stats(mediation.db, organisation.code)
    await message.answer(render_figures(figures, mediation_notices, i18n.current_locale))


async def area_stats(
    message: Message,
    mediation_notices: TelegramMediationNotices,
    mediation: MediationService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    """The whole area's figures, per organisation and per kind: in the street office's chat
    (then its request figures follow, from handlers/staff.py) or for an admin in private."""
    in_office = routing.street_office_chat_id == message.chat.id
    user = message.from_user.id if message.from_user else 0
    if not in_office and not (message.chat.type == "private" and authorization.is_admin(user)):
        raise SkipHandler()
    locale = i18n.current_locale
    figures = await organisation_stats(mediation.db, None)
    lines = [_("⚖️ The whole area"), render_figures(figures, mediation_notices, locale)]
    lines.append(_("Per organisation:"))
    order = [o.code for o in mediation.directory.organisations]
    counted = await by_organisation(mediation.db)
    for code, counts in sorted(
        counted.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order)
    ):
        found = mediation.directory.organisation(code) if code else None
        name = text(found.name if found else routing.street_office_name, locale)
        lines.append(
            _("{org}: {received} received, {settled} settled").format(
                org=name, received=counts.received, settled=counts.settled
            )
        )
    await message.answer("\n".join(lines))
    if in_office:
        raise SkipHandler()  # the street office's request figures too


def render_figures(figures: MediationStats, notices: TelegramMediationNotices, locale: str) -> str:
    t = figures.total
    share = f"{t.diversion_share:.2%}" if t.diversion_share is not None else "–"
    median = (
        f"{figures.median_days_to_settle:.1f}" if figures.median_days_to_settle is not None else "–"
    )
    lines = [
        _(
            "⚖️ Mediation figures\nReceived: {received}\nAccepted: {accepted}\nSettled: {settled}\n"
            "Referred to the court: {referred}\nWithdrawn: {withdrawn}\n"
            "Median days to settlement: {median}\nDiverted from court (settled of closed): {share}"
            "\nJudicial confirmation requested: {judicial}"
        ).format(
            judicial=figures.judicially_confirmed,
            received=t.received,
            accepted=t.accepted,
            settled=t.settled,
            referred=t.referred,
            withdrawn=t.withdrawn,
            median=median,
            share=share,
        )
    ]
    for kind, counts in figures.by_kind.items():
        lines.append(
            _("{kind}: {received} received, {settled} settled").format(
                kind=notices.kind(kind, locale),
                received=counts.received,
                settled=counts.settled,
            )
        )
    lines.append(
        _(
            "For comparison, Zhuji's platform in ten months: {diverted} disputes diverted "
            "({share}), {settled} settled, {confirmed} judicially confirmed."
        ).format(
            diverted=f"{SEED['diverted']:,}",
            share=f"{SEED['diverted_share']:.2%}",
            settled=f"{SEED['settled']:,}",
            confirmed=f"{SEED['judicially_confirmed']:,}",
        )
    )
    return "\n".join(lines)


def org_chat(message: Message, mediation: MediationService) -> bool:
    """A mediation organisation's chat (its /stats are mediation figures)."""
    return mediation.directory.of_chat(message.chat.id) is not None


def router() -> Router:
    router = Router(name="mediation-org")
    router.callback_query.register(case_action, CaseAction.filter())
    router.message.register(offer, GROUPS, Command("offer"))
    router.message.register(stats, GROUPS, Command("stats"), org_chat)
    router.message.register(area_stats, Command("stats"))
    router.message.register(written, GROUPS, StateFilter(Writing.decline_reason), TYPED)
    router.message.register(written, GROUPS, StateFilter(Writing.evidence_wanted), TYPED)
    router.message.register(written, GROUPS, StateFilter(Writing.terms), TYPED)
    return router
