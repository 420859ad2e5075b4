"""Deliberation that closes its loop: the routers of its parts, in the order they are tried.

- handlers/deliberation_form.py: `/consult`, the guided form in a staff chat;
- handlers/deliberation_staff.py: `/consult N`, the export, corrections, `/decide N`;
- handlers/deliberation_vote.py: the invited resident's ballot, opinion and rating;
- handlers/deliberation_agenda.py: `/agenda`, the monthly joint meeting and its minutes;
- handlers/deliberation_notices.py: what the bot says to each of them.
"""

from __future__ import annotations

from aiogram import Router

from handlers import (
    deliberation_agenda,
    deliberation_form,
    deliberation_staff,
    deliberation_vote,
)
from handlers.staff_access import ChatLanguage


def router() -> Router:
    """Before the staff and resident routers: a form's answer is not a reply or a report."""
    router = Router(name="deliberation")
    for observer in (router.message, router.callback_query):
        observer.middleware(ChatLanguage())  # a staff chat reads its own language
    router.include_routers(
        deliberation_form.router(),
        deliberation_staff.router(),
        deliberation_vote.router(),
        deliberation_agenda.router(),
    )
    return router
