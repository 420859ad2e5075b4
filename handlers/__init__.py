"""Inbound adapters: aiogram Routers (one module per audience) and aiohttp routes."""

from aiogram import Router

from handlers import (
    admin,
    binding,
    board,
    common,
    dashboard_command,
    errors,
    fallback,
    frontdesk,
    mediation,
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
        mediation.early_router(),  # before common and staff: /start mc-…, an org's /stats
        common.router(),
        admin.router(),
        dashboard_command.router(),  # /dashboard
        binding.router(),  # /bind, /unbound
        tourists.router(),
        board.router(),  # before staff: a summary for the board is not a reply to relay
        staff.router(),
        frontdesk.router(),  # before residents: a certificate code is not a report
        mediation.router(),  # the mediation form, before the report form takes plain text
        residents.router(),
        fallback.router(),
    ]
