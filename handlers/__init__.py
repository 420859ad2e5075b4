"""Inbound adapters: aiogram Routers (one module per audience) and aiohttp routes."""

from aiogram import Router

from handlers import (
    admin,
    binding,
    board,
    common,
    dashboard_auth,
    errors,
    fallback,
    frontdesk,
    residents,
    roles,
    staff,
    tourists,
)


def telegram_routers() -> list[Router]:
    """In the order they are tried; the fallback router comes last."""
    return [
        errors.router(),
        roles.router(),  # before common: /start with an invitation code
        common.router(),
        admin.router(),
        dashboard_auth.router(),  # /dashboard
        binding.router(),  # /bind, /unbound
        tourists.router(),
        board.router(),  # before staff: a summary for the board is not a reply to relay
        staff.router(),
        frontdesk.router(),  # before residents: a certificate code is not a report
        residents.router(),
        fallback.router(),
    ]
