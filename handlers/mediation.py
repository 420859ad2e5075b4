"""Mediation in Telegram: the resident's form and case, the organisation's chat, the staff's
referral of a dispute request. Each part is its own file; this wires their routers and builds
the services (called from bot/factory.py)."""

from __future__ import annotations

from aiogram import Router

from handlers import (
    mediation_form,
    mediation_history,
    mediation_org,
    mediation_place,
    mediation_referral,
    mediation_resident,
)


def early_router() -> Router:
    """Before the greeting and the staff's: /start mc-…, the org chat's /stats and buttons."""
    router = Router(name="mediation-early")
    router.include_routers(
        mediation_resident.router(),
        mediation_history.router(),
        mediation_org.router(),
        mediation_referral.router(),
    )
    return router


def router() -> Router:
    """The form, beside the report form (before it: the report form takes any plain text)."""
    router = Router(name="mediation")
    router.include_routers(mediation_place.router(), mediation_form.router())
    return router
