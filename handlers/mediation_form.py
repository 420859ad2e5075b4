"""The mediation form: the kind of dispute, the other party, what happened, what is asked,
evidence, then Submit. Its answers are sealed in Redis like every form's (bot/forms.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

from aiogram import Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.settings import Settings
from handlers.gates import NOT_A_COMMAND, PRIVATE, TYPED
from handlers.mediation_evidence import evidence_of, too_large
from handlers.mediation_notices import KIND_NAMES, TelegramMediationNotices
from handlers.menu import (
    CANCEL,
    MEDIATION,
    MenuButton,
    cancel_only,
    keyboard,
    main_menu,
    take_press,
)
from handlers.report_questions import DONE, SHARE_LOCATION, SKIP
from services.mediation import TEXT_LIMIT, CaseDraft, EvidenceFile, MediationService
from services.routing import Routing, text

MAX_FILES = 10


class Mediation(StatesGroup):
    choosing_kind = State()
    other_name = State()
    other_contact = State()
    account = State()
    claim = State()
    placing = State()  # handlers/mediation_place.py
    evidence = State()
    confirming = State()


class KindChoice(CallbackData, prefix="mkind"):
    kind: str


class AreaPick(CallbackData, prefix="marea"):
    code: str


class MediationStep(CallbackData, prefix="mstep"):
    step: str  # submit


def kind_buttons(notices: TelegramMediationNotices, locale: str) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            text=notices.kind(kind, locale), callback_data=KindChoice(kind=kind).pack()
        )
        for kind in KIND_NAMES
    ]
    return InlineKeyboardMarkup(inline_keyboard=[buttons[i : i + 2] for i in range(0, 7, 2)])


def kinds_list(notices: TelegramMediationNotices, locale: str) -> str:
    return ", ".join(notices.kind(kind, locale) for kind in KIND_NAMES)


async def start_mediation(
    message: Message, state: FSMContext, mediation_notices: TelegramMediationNotices, i18n: I18n
) -> None:
    await begin(message, state, mediation_notices, i18n.current_locale, {})


async def begin(
    message: Message,
    state: FSMContext,
    notices: TelegramMediationNotices,
    locale: str,
    prefilled: dict[str, Any],
) -> None:
    await state.set_state(Mediation.choosing_kind)
    await state.set_data({"evidence": [], **prefilled})
    await message.answer(
        _(
            "⚖️ Mediation settles a dispute with the help of a mediator, before any court. "
            "It is free. A few questions first."
        ),
        reply_markup=cancel_only(),
    )
    await message.answer(
        _("What kind of dispute is it?"), reply_markup=kind_buttons(notices, locale)
    )


async def typed_kind(
    message: Message, state: FSMContext, mediation_notices: TelegramMediationNotices, i18n: I18n
) -> None:
    """A kind typed instead of pressed: taken if it names one, else refused with the choices."""
    typed = (message.text or "").strip().lower()
    locale = i18n.current_locale
    for kind in KIND_NAMES:
        names = {kind, i18n.gettext(KIND_NAMES[kind], locale=locale).lower()}
        if typed in names or typed == mediation_notices.kind(kind, locale).lower():
            await _kind_chosen(message, state, kind)
            return
    await message.answer(
        _("“{typed}” is not a kind of dispute I know. Choose one of: {kinds}.").format(
            typed=message.text, kinds=kinds_list(mediation_notices, locale)
        ),
        reply_markup=kind_buttons(mediation_notices, locale),
    )


async def choose_kind(query: CallbackQuery, callback_data: KindChoice, state: FSMContext) -> None:
    message = await take_press(query)
    if message is None or callback_data.kind not in KIND_NAMES:
        return
    await _kind_chosen(message, state, callback_data.kind)


async def _kind_chosen(message: Message, state: FSMContext, kind: str) -> None:
    await state.update_data(kind=kind)
    await state.set_state(Mediation.other_name)
    await message.answer(
        _("Who is the other party? Write their name (a person, a firm, a hospital…)."),
        reply_markup=cancel_only(),
    )


async def take_other_name(message: Message, state: FSMContext) -> None:
    name = (message.text or "").strip()
    if not name or len(name) > 200:
        await message.answer(
            _("Please write the other party's name in one line (up to 200 characters).")
        )
        return
    await state.update_data(other_name=name)
    await state.set_state(Mediation.other_contact)
    await message.answer(
        _("How can they be reached (a phone, an address)? Press “Skip” if you do not know."),
        reply_markup=keyboard(
            [KeyboardButton(text=SKIP.text())], [KeyboardButton(text=CANCEL.text())]
        ),
    )


async def take_other_contact(message: Message, state: FSMContext, i18n: I18n) -> None:
    contact = (message.text or "").strip()
    skipped = contact in SKIP.texts_in_every_locale(i18n)
    if not skipped and (not contact or len(contact) > 200):
        await message.answer(
            _("Please write how to reach them in one line (up to 200 characters).")
        )
        return
    await state.update_data(other_contact=None if skipped else contact)
    await state.set_state(Mediation.account)
    await message.answer(
        _("What happened? Tell it in your own words: when, where, and what went wrong."),
        reply_markup=cancel_only(),
    )


async def take_account(message: Message, state: FSMContext) -> None:
    words = (message.text or "").strip()
    if not words or len(words) > TEXT_LIMIT:
        await message.answer(
            _("Please describe it in words, up to {limit} characters.").format(limit=TEXT_LIMIT)
        )
        return
    await state.update_data(account=words)
    await state.set_state(Mediation.claim)
    await message.answer(
        _("What do you ask for? For example: an apology, repairs, compensation of 20,000 yuan.")
    )


async def take_claim(message: Message, state: FSMContext, routing: Routing, i18n: I18n) -> None:
    locale = i18n.current_locale
    words = (message.text or "").strip()
    if not words or len(words) > TEXT_LIMIT:
        await message.answer(
            _("Please write what you ask for, up to {limit} characters.").format(limit=TEXT_LIMIT)
        )
        return
    data = await state.update_data(claim=words)
    if "grid" in data:  # referred from a request: its area is known
        await ask_evidence(message, state)
        return
    await state.set_state(Mediation.placing)
    await message.answer(
        _(
            "Where do you live? It decides which mediation organisation takes your case. "
            "Share your location with the button below, choose your area, or press “Skip”."
        ),
        reply_markup=keyboard(
            [KeyboardButton(text=SHARE_LOCATION.text(), request_location=True)],
            [KeyboardButton(text=SKIP.text())],
            [KeyboardButton(text=CANCEL.text())],
        ),
    )
    await message.answer(_("Or choose your area:"), reply_markup=area_buttons(routing, locale))


def community_of(routing: Routing, grid: str | None) -> str | None:
    """The community of a grid code (None: no grid, or one the routing no longer has)."""
    if grid is None:
        return None
    try:
        return routing.community_of(routing.grid(grid)).code
    except KeyError:
        return None


def area_buttons(routing: Routing, locale: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=text(grid.name, locale), callback_data=AreaPick(code=grid.code).pack()
                )
            ]
            for grid in routing.grids
        ]
    )


async def ask_evidence(message: Message, state: FSMContext) -> None:
    await state.set_state(Mediation.evidence)
    await message.answer(
        _(
            "Add evidence if you have it: photos, documents or voice notes, one or more, then "
            "press “Done”. Or press “Skip”."
        ),
        reply_markup=keyboard(
            [KeyboardButton(text=DONE.text()), KeyboardButton(text=SKIP.text())],
            [KeyboardButton(text=CANCEL.text())],
        ),
    )


async def take_evidence(message: Message, state: FSMContext, settings: Settings) -> None:
    item = evidence_of(message)
    if item is None:
        await message.answer(_("Please send a photo, a document or a voice note, or press “Done”."))
        return
    if await too_large(message, item, settings):
        return
    files = list((await state.get_data()).get("evidence", []))
    if len(files) >= MAX_FILES:
        await message.answer(
            _("That is {count} files already, the most one case can hold.").format(count=MAX_FILES)
        )
        return
    files.append(
        {
            "kind": item.kind,
            "file_id": item.file_id,
            "size": item.size,
            "at": item.added_at.isoformat(),
            "name": item.file_name,
        }
    )
    await state.update_data(evidence=files)
    await message.answer(
        _("Evidence added ({count}). Send more, or press “Done”.").format(count=len(files))
    )


async def evidence_done(
    message: Message, state: FSMContext, mediation_notices: TelegramMediationNotices, i18n: I18n
) -> None:
    await state.set_state(Mediation.confirming)
    data = await state.get_data()
    if not data.get("intake"):
        data = await state.update_data(intake=uuid4().hex)
    locale = i18n.current_locale
    other = data["other_name"] + (
        f" ({data['other_contact']})" if data.get("other_contact") else ""
    )
    summary = _(
        "Please check your mediation request:\n\nKind: {kind}\nOther party: {other}\n\n"
        "What happened:\n“{account}”\n\nWhat you ask for:\n“{claim}”\n\nEvidence: {count}"
    ).format(
        kind=mediation_notices.kind(data["kind"], locale),
        other=other,
        account=data["account"],
        claim=data["claim"],
        count=len(data.get("evidence", [])),
    )
    await message.answer(_("Almost done."), reply_markup=cancel_only())
    submit = InlineKeyboardButton(
        text="📨 " + _("Submit"), callback_data=MediationStep(step="submit").pack()
    )
    await message.answer(summary, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[submit]]))


async def submit(
    query: CallbackQuery,
    state: FSMContext,
    mediation: MediationService,
    mediation_notices: TelegramMediationNotices,
    routing: Routing,
    i18n: I18n,
) -> None:
    message = await take_press(query)
    if message is None:
        return
    data = await state.get_data()
    grid = data.get("grid")
    community = community_of(routing, grid)
    case = await mediation.file(
        CaseDraft(
            resident_id=query.from_user.id,
            resident_name=query.from_user.full_name,
            resident_locale=i18n.current_locale,
            kind=data["kind"],
            other_name=data["other_name"],
            other_contact=data.get("other_contact"),
            account=data["account"],
            claim=data["claim"],
            evidence=tuple(
                EvidenceFile(
                    e["kind"],
                    e["file_id"],
                    e["size"],
                    datetime.fromisoformat(e["at"]),
                    e.get("name"),
                )
                for e in data.get("evidence", [])
            ),
            grid=grid,
            community=community,
            ticket_id=data.get("ticket_id"),
            intake_key=data["intake"],
        )
    )
    await state.clear()
    await message.answer(
        _(
            "Thank you. Your mediation case number is {number}. {org} has it now and will "
            "answer here. Follow it under “My requests”."
        ).format(number=case.number, org=mediation_notices.org(case, i18n.current_locale)),
        reply_markup=main_menu(),
    )


async def use_the_buttons(message: Message) -> None:
    await message.answer(_("Please press one of the buttons above, or send /cancel to stop."))


def router() -> Router:
    router = Router(name="mediation-form")
    router.message.filter(PRIVATE)
    router.message.register(start_mediation, StateFilter(None), Command("mediation"))
    router.message.register(start_mediation, StateFilter(None), MenuButton(MEDIATION))
    form = Router(name="mediation-form-steps")
    form.message.filter(PRIVATE, StateFilter(Mediation))
    words = (TYPED,)
    form.message.register(typed_kind, StateFilter(Mediation.choosing_kind), *words)
    router.callback_query.register(
        choose_kind, StateFilter(Mediation.choosing_kind), KindChoice.filter()
    )
    form.message.register(take_other_name, StateFilter(Mediation.other_name), *words)
    form.message.register(take_other_contact, StateFilter(Mediation.other_contact), *words)
    form.message.register(take_account, StateFilter(Mediation.account), *words)
    form.message.register(take_claim, StateFilter(Mediation.claim), *words)
    form.message.register(evidence_done, StateFilter(Mediation.evidence), MenuButton(DONE))
    form.message.register(evidence_done, StateFilter(Mediation.evidence), MenuButton(SKIP))
    form.message.register(take_evidence, StateFilter(Mediation.evidence), NOT_A_COMMAND)
    form.message.register(use_the_buttons, StateFilter(Mediation.confirming), NOT_A_COMMAND)
    router.callback_query.register(
        submit, StateFilter(Mediation.confirming), MediationStep.filter()
    )
    router.include_router(form)
    return router
