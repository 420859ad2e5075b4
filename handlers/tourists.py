"""Tourists without their ID card apply for an accommodation certificate; verifiers decide.

The parts, each in the file named for it:
- handlers.tourist_certificate: the way in (/certificate, the menu button) and the consent;
- handlers.application_form: the questions, the summary and Submit;
- handlers.application_review: the verifiers' decision and figures;
- handlers.application_notices: what applications say (the card, the decision to the tourist).
"""

from __future__ import annotations

from aiogram import Router

from handlers import application_form, application_review, tourist_certificate


def router() -> Router:
    """The tourists' routers in the order they are tried; new Routers for every Dispatcher."""
    router = Router(name="tourists")
    router.include_router(tourist_certificate.router())
    router.include_router(application_form.router())
    router.include_router(application_review.router())
    return router
