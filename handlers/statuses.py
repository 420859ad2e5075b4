"""A ticket's status in words: people never read the stored codes ("new", "taken")."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from handlers.menu import N_

STATUS = {
    "new": N_("waiting for a team"),
    "taken": N_("being handled"),
    "resolved": N_("resolved, waiting for your answer"),
    "reopened": N_("open again"),
    "closed": N_("closed"),
    "withdrawn": N_("withdrawn"),
}


def status_label(status: str) -> str:
    """The status in the reader's language; an unknown code is shown as it is."""
    return _(STATUS[status]) if status in STATUS else status
