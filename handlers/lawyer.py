"""The legal service point: asking a lawyer, the lawyers' chat, and the asker's side."""

from __future__ import annotations

from aiogram import Router

from handlers import lawyer_asker, lawyer_booking, lawyer_desk, lawyer_form, lawyer_hours


def router() -> Router:
    """Before the staff router (which takes a group's messages) and the residents' (which
    takes a private reply to the bot): a message about a legal question is matched here."""
    router = Router(name="lawyer")
    router.include_routers(
        lawyer_hours.router(),
        lawyer_form.router(),
        lawyer_desk.router(),
        lawyer_asker.router(),
        lawyer_booking.router(),
    )
    return router
