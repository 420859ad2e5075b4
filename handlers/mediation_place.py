"""The mediation form's area step: a shared location or a grid from the list, or skipped.

The grid (and its community) is kept on the case, so the organisation it goes to, and the next
one when that declines, serves the applicant's area (services/mediation_routing.py). The point
itself is not kept: only the grid it falls in.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.mediation_form import AreaPick, Mediation, area_buttons, ask_evidence
from handlers.menu import MenuButton, take_press
from handlers.report_questions import SKIP
from services.routing import Routing, text


async def _placed(message: Message, state: FSMContext, grid: str | None) -> None:
    await state.update_data(grid=grid)
    await ask_evidence(message, state)


async def take_location(message: Message, state: FSMContext, routing: Routing, i18n: I18n) -> None:
    assert message.location is not None
    grid = routing.grid_at(message.location.latitude, message.location.longitude)
    if grid is None:
        await message.answer(
            _("That place is outside the areas I know. Choose your area, or press “Skip”."),
            reply_markup=area_buttons(routing, i18n.current_locale),
        )
        return
    await message.answer(_("Your area: {area}.").format(area=text(grid.name, i18n.current_locale)))
    await _placed(message, state, grid.code)


async def pick_area(
    query: CallbackQuery, callback_data: AreaPick, state: FSMContext, routing: Routing, i18n: I18n
) -> None:
    message = await take_press(query)
    if message is None:
        return
    try:
        grid = routing.grid(callback_data.code)
    except KeyError:
        return
    await message.answer(_("Your area: {area}.").format(area=text(grid.name, i18n.current_locale)))
    await _placed(message, state, grid.code)


async def skip(message: Message, state: FSMContext) -> None:
    await _placed(message, state, None)


async def not_a_place(message: Message, routing: Routing, i18n: I18n) -> None:
    await message.answer(
        _("Please share your location, choose your area, or press “Skip”."),
        reply_markup=area_buttons(routing, i18n.current_locale),
    )


def router() -> Router:
    router = Router(name="mediation-place")
    router.message.filter(F.chat.type == "private", Mediation.placing)
    router.message.register(take_location, F.location)
    router.message.register(skip, MenuButton(SKIP))
    router.message.register(not_a_place, ~F.text.startswith("/"))
    router.callback_query.register(pick_area, Mediation.placing, AreaPick.filter())
    return router
