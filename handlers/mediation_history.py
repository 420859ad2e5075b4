"""A mediation case under "My requests": its history in words, with times in the bot's time
zone, and "Withdraw" while it is open (asked twice, like a request's)."""

from __future__ import annotations

from datetime import datetime

from aiogram import Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.mediation_session_notices import MediationNotices
from handlers.menu import take_press
from services.mediation import (
    CLOSED_STATES,
    STREET_OFFICE,
    CaseNotFound,
    MediationService,
    WrongState,
)
from services.mediation_models import MediationCase, MediationEvent
from services.mediation_outcomes import MediationOutcomes
from services.routing import text


class MyCase(CallbackData, prefix="mmy"):
    case_id: int
    action: str  # open, withdraw (asks first), sure (withdraws)


def status_word(status: str) -> str:
    words = {
        "filed": _("filed"),
        "accepted": _("accepted"),
        "settled": _("settled"),
        "referred": _("referred to the court"),
        "withdrawn": _("withdrawn"),
        "street_office": _("with the street office"),
    }
    return words.get(status, status)


def org_name(code: str, notices: MediationNotices, locale: str) -> str:
    found = notices.directory.organisation(code) if code != STREET_OFFICE else None
    if found is None:
        return text(notices.routing.street_office_name, locale)
    return text(found.name, locale)


def describe(event: MediationEvent, notices: MediationNotices, locale: str) -> str | None:
    """One step of the case as its applicant reads it (None: a step they need not see)."""
    detail = event.detail
    if event.kind == "filed":
        return _("you filed it")
    if event.kind == "routed":
        return _("sent to {org}").format(org=org_name(detail, notices, locale))
    if event.kind == "declined":
        code, _colon, reason = detail.partition(": ")
        if not reason:  # forgotten with the case's personal data
            return _("{org} declined it").format(org=org_name(code, notices, locale))
        return _("{org} declined it: “{reason}”").format(
            org=org_name(code, notices, locale), reason=reason
        )
    if event.kind == "accepted":
        return _("{org} accepted it").format(org=org_name(detail or STREET_OFFICE, notices, locale))
    if event.kind == "evidence_asked" and not detail:
        return _("more evidence was asked for")
    if event.kind == "evidence_asked":
        return _("more evidence was asked for: “{what}”").format(what=detail)
    if event.kind == "evidence_added":
        return _("you added {count} files").format(count=detail)
    if event.kind == "times_offered":
        return _("times for the session were offered")
    if event.kind in ("booked", "cancelled"):
        moment = notices.at(datetime.fromisoformat(detail))
        if event.kind == "booked":
            return _("you booked the session of {time}").format(time=moment)
        return _("you cancelled the session of {time}").format(time=moment)
    if event.kind == "other_confirmed":
        return _("the other party confirmed they will attend")
    if event.kind == "evidence_shared":
        return _("the mediator shared your evidence with the other party")
    if event.kind == "settled":
        return _("settled: agreement {serial}").format(serial=detail)
    if event.kind == "referred":
        return _("not settled: referred to the court")
    if event.kind == "withdrawn":
        return _("withdrawn")
    if event.kind == "judicial_requested":
        return _("judicial confirmation requested on {day}").format(day=detail)
    if event.kind == "rated":
        return _("you rated it {stars} of 5").format(stars=detail)
    return None


async def show_my_cases(message: Message, mediation: MediationService) -> bool:
    """The resident's mediation cases, for "My requests"; False when they have none."""
    assert message.from_user is not None
    cases = await mediation.for_resident(message.from_user.id)
    if not cases:
        return False
    lines = [_("⚖️ Your mediation cases:")]
    lines += [f"{case.number} · {status_word(case.status)}" for case in cases]
    buttons = [
        [
            InlineKeyboardButton(
                text=_("Open {number}").format(number=case.number),
                callback_data=MyCase(case_id=case.id or 0, action="open").pack(),
            )
        ]
        for case in cases[:10]
    ]
    await message.answer(
        "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
    )
    return True


async def history_text(
    case: MediationCase, mediation: MediationService, notices: MediationNotices, locale: str
) -> str:
    events = await mediation.history(case.id or 0)
    steps = [
        f"{notices.at(event.at)} · {said}"
        for event in events
        if (said := describe(event, notices, locale)) is not None
    ]
    head = _("⚖️ Case {number} · {kind} · {org}\nStatus: {status}").format(
        number=case.number,
        kind=notices.kind(case.kind, locale),
        org=notices.org(case, locale),
        status=status_word(case.status),
    )
    return head + "\n\n" + "\n".join(steps)


async def my_case(
    query: CallbackQuery,
    callback_data: MyCase,
    mediation: MediationService,
    mediation_outcomes: MediationOutcomes,
    mediation_notices: MediationNotices,
    i18n: I18n,
) -> None:
    try:
        case = await mediation.get(callback_data.case_id)
    except CaseNotFound:
        case = None
    if case is None or case.resident_id != query.from_user.id:
        await query.answer(_("This case is not yours, or it no longer exists."), show_alert=True)
        return
    message = query.message if isinstance(query.message, Message) else None
    if callback_data.action == "open":
        await query.answer()
        words = await history_text(case, mediation, mediation_notices, i18n.current_locale)
        markup = None
        if case.status not in CLOSED_STATES:
            ask = MyCase(case_id=case.id or 0, action="withdraw").pack()
            markup = InlineKeyboardMarkup(
                inline_keyboard=[
                    [InlineKeyboardButton(text="↩️ " + _("Withdraw this case"), callback_data=ask)]
                ]
            )
        if message is not None:
            await message.answer(words, reply_markup=markup)
        return
    if callback_data.action == "withdraw":
        await take_press(query)
        sure = MyCase(case_id=case.id or 0, action="sure").pack()
        yes = InlineKeyboardButton(text="↩️ " + _("Yes, withdraw it"), callback_data=sure)
        if message is not None:
            await message.answer(
                _(
                    "Withdraw mediation case {number}? The mediators will stop working on it, "
                    "and it cannot be opened again."
                ).format(number=case.number),
                reply_markup=InlineKeyboardMarkup(inline_keyboard=[[yes]]),
            )
        return
    try:
        await mediation_outcomes.withdraw(case.id or 0, query.from_user.id, by_resident=True)
    except (CaseNotFound, WrongState):
        await query.answer(
            _("Case {number} is already closed.").format(number=case.number), show_alert=True
        )
        return
    await take_press(query)


def router() -> Router:
    router = Router(name="mediation-history")
    router.callback_query.register(my_case, MyCase.filter())
    return router
