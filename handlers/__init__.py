"""Inbound adapters: aiogram Routers (one module per audience) and aiohttp routes."""

from aiogram import Router

from handlers import (
    admin,
    binding,
    board,
    common,
    dashboard_command,
    deliberation,
    errors,
    fallback,
    frontdesk,
    households,
    lawyer,
    mediation,
    rental,
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
        rental.start_router(),  # before common: /start rent_<join code>
        mediation.early_router(),  # before common and staff: /start mc-…, an org's /stats
        common.router(),
        rental.router(),  # before staff and residents: /inspect, /houses, the rental forms
        admin.router(),
        dashboard_command.router(),  # /dashboard
        binding.router(),  # /bind, /unbound
        tourists.router(),
        deliberation.router(),  # before staff and residents: a form's answers, a ballot
        board.router(),  # before staff: a summary for the board is not a reply to relay
        lawyer.router(),  # before staff and residents: messages about legal questions
        households.router(),  # before staff: /contacts in a grid's chat
        volunteer_tasks.router(),  # before staff: /task's answers are not replies to relay
        volunteers.router(),
        staff.router(),
        frontdesk.router(),  # before residents: a certificate code is not a report
        mediation.router(),  # the mediation form, before the report form takes plain text
        residents.router(),
        fallback.router(),
    ]
