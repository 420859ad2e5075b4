"""Who may see and do what: the one authorization model every button, command and relay asks.

Asked at the moment of the action, about the person who acts, never "the press came from that
chat" (anyone can press a button in a public group, or on a card in a group they have left):

- **admin**: a Telegram id in ADMIN_IDS.
- **staff of a ticket**: a member of the chat the ticket is routed to (asked of Telegram with
  getChatMember, cached for a short while), or of a chat above it that the ticket was escalated
  to (its community, then the street office; the street office's chat oversees every ticket).
  Where the grid lists its `workers`, only they and the chat's administrators are staff of the
  grid's chat. An anonymous administrator posting as the group counts as that group.
- **verifier**: a member of VERIFIER_CHAT_ID, or granted the role by an invitation.
- **front desk**: granted the role for one hotel.

A refusal is logged with who, what and why; the caller answers the person plainly.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from services.models import Ticket
from services.roles import RoleService
from services.routing import Routing

__all__ = [
    "GROUP_ANONYMOUS_BOT",
    "Actor",
    "Authorization",
    "ChatStanding",
    "Membership",
    "MembershipUnknown",
    "StaffScope",
    "escalation_chains",
]

log = logging.getLogger(__name__)

# Telegram's placeholder user for a message an anonymous group administrator sent
GROUP_ANONYMOUS_BOT = 1087968824


class ChatStanding(StrEnum):
    """What a person is in a chat, as far as Linkage cares."""

    ADMIN = "admin"  # creator or administrator
    MEMBER = "member"  # member, or restricted but still in the chat
    OUTSIDER = "outsider"  # never joined, left, or was removed


class MembershipUnknown(Exception):
    """Telegram could not say (network, server error): refuse now, the person may try again."""


class Membership(Protocol):
    """Asks Telegram what a person is in a chat (getChatMember); the bot supplies it."""

    async def standing(self, chat_id: int, user_id: int) -> ChatStanding: ...


@dataclass(frozen=True)
class Actor:
    """The person acting; `as_chat` when an anonymous administrator posts as a group."""

    user_id: int
    name: str
    as_chat: int | None = None


@dataclass(frozen=True)
class StaffScope:
    """The tickets a staff chat sees: its own, those escalated to it, or all (street office)."""

    chat_id: int
    everything: bool = False
    # (staff chat, lowest escalation level) pairs: tickets of that chat escalated this far
    escalated_from: tuple[tuple[int, int], ...] = ()

    def covers(self, ticket: Ticket) -> bool:
        if self.everything or ticket.staff_chat_id == self.chat_id:
            return True
        return any(
            ticket.staff_chat_id == chat and ticket.escalation_level >= level
            for chat, level in self.escalated_from
        )


def escalation_chains(routing: Routing) -> dict[int, list[int]]:
    """Each staff chat → the chats above it: its community, then the street office."""
    chains: dict[int, list[int]] = {}
    for grid in routing.grids:  # a grid without a chat of its own starts at its community's
        chain = routing.escalation_chain(grid)
        if chain:
            chains.setdefault(chain[0], chain[1:])
    for category in routing.categories:
        if category.chat_id is not None:
            chains.setdefault(category.chat_id, routing.escalation_chain(None)[1:])
    if routing.fallback_chat_id is not None:
        chains.setdefault(routing.fallback_chat_id, routing.escalation_chain(None)[1:])
    return chains


class _StandingCache:
    """Recent answers of Telegram, so a busy group is not asked on every press."""

    def __init__(self, seconds: float, size: int, clock: Callable[[], float]) -> None:
        self.seconds, self.size, self.clock = seconds, size, clock
        self._entries: OrderedDict[tuple[int, int], tuple[float, ChatStanding]] = OrderedDict()

    def get(self, key: tuple[int, int]) -> ChatStanding | None:
        found = self._entries.get(key)
        if found is None or found[0] <= self.clock():
            return None
        return found[1]

    def put(self, key: tuple[int, int], standing: ChatStanding) -> None:
        self._entries[key] = (self.clock() + self.seconds, standing)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def forget(self, chat_id: int, user_id: int) -> None:
        self._entries.pop((chat_id, user_id), None)


class Authorization:
    """Answers "may this person do this, now?" for every audience of the bot."""

    def __init__(
        self,
        roles: RoleService,
        membership: Membership,
        routing: Routing,
        verifier_chat_id: int | None,
        *,
        cache_seconds: float = 30.0,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.roles = roles
        self.membership = membership
        self.routing = routing
        self.verifier_chat_id = verifier_chat_id
        self._cache = _StandingCache(cache_seconds, cache_size, clock)
        # told of each (chat, person) found to be staff: services.staff_sightings notes where
        # the dashboard's sign-in should ask (set by the composition root)
        self.staff_seen: Callable[[int, int], None] | None = None
        self.use_routing(routing)

    def use_routing(self, routing: Routing) -> None:
        """Follow a change of the routing data (a chat bound, grids imported): the staff
        chats, their escalation chains and grid workers are worked out again, at once."""
        chains = escalation_chains(routing)
        self._workers = {
            grid.chat_id: frozenset(grid.workers)
            for grid in routing.grids
            if grid.chat_id is not None
        }
        self._staff_chats = frozenset(
            [*chains, *(chat for chain in chains.values() for chat in chain)]
            + ([routing.street_office_chat_id] if routing.street_office_chat_id else [])
        )
        self.routing, self._chains = routing, chains

    # the plain roles

    def is_admin(self, user_id: int) -> bool:
        return self.roles.is_admin(user_id)

    async def is_verifier(self, user_id: int) -> bool:
        """Granted the role, or a member of VERIFIER_CHAT_ID right now."""
        if await self.roles.is_verifier(user_id):
            return True
        if self.verifier_chat_id is None:
            return False
        return await self.standing(self.verifier_chat_id, user_id) is not ChatStanding.OUTSIDER

    async def may_review(self, actor: Actor, action: str, target: str) -> bool:
        """A verifier now; a refusal is logged with who, what and why."""
        if await self.is_verifier(actor.user_id):
            return True
        self.refused(actor, action, target, "not a verifier")
        return False

    async def frontdesk_hotel(self, user_id: int) -> str | None:
        """The hotel this person keeps the front desk of now, if any."""
        return await self.roles.frontdesk_hotel(user_id)

    # staff

    def is_staff_chat(self, chat_id: int) -> bool:
        """A chat the routing file (or STAFF_CHAT_ID) sends tickets or escalations to."""
        return chat_id in self._staff_chats

    async def staff_scope(self, chat_id: int, actor: Actor) -> StaffScope | None:
        """The tickets this person may see from this chat; None if they are not its staff."""
        if not self.is_staff_chat(chat_id) or not await self._staff_of_chat(chat_id, actor):
            return None
        return self.scope_of(chat_id)

    def scope_of(self, chat_id: int) -> StaffScope:
        if chat_id == self.routing.street_office_chat_id:
            return StaffScope(chat_id, everything=True)
        escalated = tuple(
            (staff_chat, index + 2)  # level 1 reminds the ticket's own chat; 2 goes one up
            for staff_chat, chain in self._chains.items()
            for index, above in enumerate(chain)
            if above == chat_id
        )
        return StaffScope(chat_id, escalated_from=escalated)

    async def may_work_on(
        self, ticket: Ticket, actor: Actor, action: str, via_chat: int | None = None
    ) -> bool:
        """Staff of the ticket (or an admin) may take, resolve, pass on and answer it.

        Staff of the ticket's own chat; or, acting from `via_chat`, staff of that chat when the
        ticket is in its scope (escalated to the community, or any ticket for the street
        office). Membership is asked of Telegram either way: where a press or message came
        from only chooses which team to ask about.
        """
        if self.is_admin(actor.user_id):
            return True
        chats = [ticket.staff_chat_id]
        if (
            via_chat is not None
            and via_chat != ticket.staff_chat_id
            and self.is_staff_chat(via_chat)
            and self.scope_of(via_chat).covers(ticket)
        ):
            chats.append(via_chat)
        for chat in chats:
            if await self._staff_of_chat(chat, actor):
                return True
        self.refused(actor, action, f"ticket {ticket.id}", "not staff of its team")
        return False

    async def may_serve_grid(self, actor: Actor, grid_code: str, action: str) -> bool:
        """An admin, or staff of a chat the grid's requests go to or are escalated to (its own,
        its community's, the street office's): invite its grid contacts, post its tasks."""
        if self.is_admin(actor.user_id):
            return True
        try:
            chain = self.routing.escalation_chain(self.routing.grid(grid_code))
        except KeyError:
            chain = []
        for chat in chain:
            if await self._staff_of_chat(chat, actor):
                return True
        self.refused(actor, action, f"grid {grid_code}", "not staff of its chat")
        return False

    async def _staff_of_chat(self, chat_id: int, actor: Actor) -> bool:
        if actor.as_chat is not None:  # an anonymous administrator speaking for the group
            return actor.as_chat == chat_id
        standing = await self.standing(chat_id, actor.user_id)
        if standing is ChatStanding.OUTSIDER:
            return False
        workers = self._workers.get(chat_id)
        staff = standing is ChatStanding.ADMIN or not workers or actor.user_id in workers
        if staff and self.staff_seen is not None:
            self.staff_seen(chat_id, actor.user_id)
        return staff

    # asking Telegram

    async def standing(self, chat_id: int, user_id: int) -> ChatStanding:
        """What the person is in the chat now (cached briefly); MembershipUnknown if unsure."""
        key = (chat_id, user_id)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        standing = await self.membership.standing(chat_id, user_id)
        self._cache.put(key, standing)
        return standing

    def forget(self, chat_id: int, user_id: int) -> None:
        """Telegram told us the person's membership changed: ask again next time."""
        self._cache.forget(chat_id, user_id)

    @staticmethod
    def refused(actor: Actor, action: str, target: str, why: str) -> None:
        log.warning(
            "refused %s on %s for user %s%s: %s",
            action,
            target,
            actor.user_id,
            f" (as chat {actor.as_chat})" if actor.as_chat is not None else "",
            why,
        )
