"""Residents: report a problem in plain words, follow it, and close the loop.

Each part is its own file: the report form (handlers/report_form.py), the resident's requests
and comments (handlers/my_requests.py), and confirming, rating and feedback
(handlers/feedback.py).
"""

from __future__ import annotations

from aiogram import Router

from handlers import feedback, my_requests, neighbours, report_form


def router() -> Router:
    """Wires the residents' routers; the report form comes last, as it takes any plain text."""
    router = Router(name="residents")
    router.include_routers(
        feedback.router(), my_requests.router(), neighbours.router(), report_form.router()
    )
    return router
