"""The daily digest: each staff chat, once a day at DIGEST_TIME (local time), hears what waits.

New requests, overdue ones, those resolved yesterday and yesterday's low ratings. Off unless
DIGEST_TIME is set. Each chat's digest carries the day in its reference, so however many
processes look, it is sent once.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

from handlers.notices import TelegramTicketNotices
from services.authorization import StaffScope, escalation_chains
from services.outbox import Outgoing, Priority
from services.routing import Routing
from services.ticket_stats import Digest, digest_of
from services.tickets import TicketService


def staff_chats(routing: Routing) -> list[int]:
    chains = escalation_chains(routing)
    chats = [*chains, *(chat for above in chains.values() for chat in above)]
    if routing.street_office_chat_id is not None:
        chats.append(routing.street_office_chat_id)
    return list(dict.fromkeys(chats))


def render(notices: TelegramTicketNotices, chat_id: int, digest: Digest, day: str) -> Outgoing:
    locale = notices.chat_locale(chat_id)

    def _(message: str) -> str:
        return notices.i18n.gettext(message, locale=locale)

    lines = [
        _("☀️ Daily digest, {day}").format(day=day),
        _("Waiting to be taken: {count}").format(count=digest.new),
        _("Overdue: {count}").format(count=digest.overdue),
        _("Resolved yesterday: {count}").format(count=digest.resolved_yesterday),
        _("Low ratings yesterday: {count}").format(count=digest.low_ratings_yesterday),
    ]
    if digest.oldest:
        lines.append(_("Waiting longest: {numbers}").format(numbers=", ".join(digest.oldest)))
    params = {"text": "\n".join(lines)}
    return Outgoing(chat_id, "sendMessage", params, Priority.BULK, f"digest:{day}")


async def send_daily_digests(
    tickets: TicketService,
    notices: TelegramTicketNotices,
    routing: Routing,
    now: datetime,
    zone: tzinfo,
    at: time,
    take_within: timedelta,
    resolve_within: timedelta,
) -> int:
    """Once the local clock has passed `at`, today's digest to each staff chat (once). How many."""
    local = now.astimezone(zone)
    if local.time() < at:
        return 0
    today = datetime.combine(local.date(), time(0), zone)
    start, end = today - timedelta(days=1), today
    sent = 0
    for chat in staff_chats(routing):
        scope = StaffScope(chat, everything=chat == routing.street_office_chat_id)
        waiting = await tickets.open_in_scope(scope, limit=10_000)
        changed = await tickets.changed_between(scope, start, end)
        digest = digest_of(waiting, changed, start, end, now, take_within, resolve_within)
        if await tickets.send_once(render(notices, chat, digest, f"{local.date():%Y-%m-%d}")):
            sent += 1
    return sent
