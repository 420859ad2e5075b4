"""Inbound adapters: aiogram Routers (one module per audience) and aiohttp routes."""

from aiogram import Router

from handlers import (
    admin,
    binding,
    board,
    common,
    errors,
    fallback,
    frontdesk,
    households,
    residents,
    roles,
    staff,
    tourists,
    volunteer_tasks,
    volunteers,
)


def telegram_routers() -> list[Router]:
    """In the order they are tried; the fallback router comes last."""
    return [
        errors.router(),
        roles.router(),  # before common: /start with an invitation code
        common.router(),
        admin.router(),
        binding.router(),  # /bind, /unbound
        tourists.router(),
        board.router(),  # before staff: a summary for the board is not a reply to relay
        households.router(),  # before staff: /contacts in a grid's chat
        volunteer_tasks.router(),  # before staff: /task's answers are not replies to relay
        volunteers.router(),
        staff.router(),
        frontdesk.router(),  # before residents: a certificate code is not a report
        residents.router(),
        fallback.router(),
    ]
