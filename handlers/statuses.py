"""A ticket as people read it: statuses and history in words, times in the local zone.

People never read the stored codes ("new", "taken") nor UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo

from aiogram.utils.i18n import gettext as _

from handlers.menu import N_
from services.models import as_utc, utcnow

CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")

STATUS = {
    "new": N_("waiting for a team"),
    "taken": N_("being handled"),
    "resolved": N_("resolved, waiting for your answer"),
    "reopened": N_("open again"),
    "closed": N_("closed"),
    "withdrawn": N_("withdrawn"),
    "unfixed": N_("closed, not fixed"),
}

# the same states as the team reads them
STAFF_STATUS = {
    "new": N_("waiting to be taken"),
    "taken": N_("taken"),
    "resolved": N_("resolved, waiting for the resident"),
    "reopened": N_("reopened by the resident"),
    "closed": N_("closed"),
    "withdrawn": N_("withdrawn by the resident"),
    "unfixed": N_("closed, not fixed"),
}

# one line of a ticket's history, as the team reads it
EVENT = {
    "created": N_("reported"),
    "taken": N_("taken"),
    "reply": N_("reply"),
    "note": N_("🔒 internal note"),
    "comment": N_("the resident added"),
    "edited": N_("edited"),
    "resolved": N_("resolved"),
    "reopened": N_("reopened"),
    "confirmed": N_("confirmed fixed"),
    "auto-closed": N_("closed without an answer"),
    "rated": N_("rated"),
    "feedback": N_("feedback"),
    "joined": N_("a neighbour joined"),
    "reassigned": N_("passed on"),
    "escalated": N_("escalated"),
    "unreachable": N_("the resident blocked the bot"),
    "withdrawn": N_("withdrawn"),
    "unfixed": N_("closed, not fixed"),
    "assigned": N_("assigned"),
    "topic-recreated": N_("topic opened again"),
    "decided": N_("decided after a consultation"),  # services/deliberation_outcome.py
}


def status_label(status: str) -> str:
    """The status in the reader's language; an unknown code is shown as it is."""
    return _(STATUS[status]) if status in STATUS else status


def staff_status_label(status: str) -> str:
    return _(STAFF_STATUS[status]) if status in STAFF_STATUS else status


def event_label(kind: str) -> str:
    return _(EVENT[kind]) if kind in EVENT else kind


def local_time(moment: datetime, zone: tzinfo, now: datetime | None = None) -> str:
    """A stored (UTC) moment in the local zone: "14:05" today, "2026-11-30 14:05" otherwise."""
    local = as_utc(moment).astimezone(zone)
    today = as_utc(now or utcnow()).astimezone(zone).date()
    return f"{local:%H:%M}" if local.date() == today else f"{local:%Y-%m-%d %H:%M}"
