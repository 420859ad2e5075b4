"""Shared by the parts of deliberation in a staff chat: the form's states and buttons, which
grids a chat may invite, and who may open a consultation there (asked of
services/authorization at the moment of each action)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.utils.i18n import get_i18n

from services.authorization import Actor, Authorization
from services.routing import Routing, text

NONE = "-"


class ConsultForm(StatesGroup):
    question = State()
    background = State()
    options = State()
    grids = State()
    tickets = State()
    deadline = State()
    tally = State()
    confirm = State()


class FormPress(CallbackData, prefix="dfm"):
    action: str  # grid, done, tally, open, cancel
    value: str = ""


def grids_of_chat(routing: Routing, chat_id: int) -> list[str]:
    """The grids whose requests this chat sees: its own, its community's, or all of them."""
    if chat_id == routing.street_office_chat_id:
        return [grid.code for grid in routing.grids]
    return [grid.code for grid in routing.grids if chat_id in routing.escalation_chain(grid)]


async def may_open(chat_id: int, actor: Actor, authorization: Authorization) -> bool:
    if not authorization.is_staff_chat(chat_id):
        return False
    if authorization.is_admin(actor.user_id):
        return True
    return await authorization.staff_scope(chat_id, actor) is not None


def grid_name(routing: Routing, code: str) -> str:
    return text(routing.grid(code).name, chat_language())


def chat_language() -> str:
    """The language this chat reads now (set by ChatLanguage), for the grids' names."""
    return get_i18n().current_locale
