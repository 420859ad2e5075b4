"""Who may open the supervisor dashboard, and what they see there; how they prove who they are.

Decided at every request, never once at sign-in:

- **admins** (ADMIN_IDS) and **supervisors** (the role, by invitation) see every grid;
- **staff** see the grids of the chats they are staff of now (asked of
  services.authorization, which asks Telegram with getChatMember, cached briefly): a grid's
  chat sees that grid, a community's chat its grids, the street office's chat every grid, a
  category's own chat (a department across grids) that category's tickets. Which chats are
  asked is bounded (`DashboardAccess`): never every chat of a city;
- anyone else: no access.

A person proves who they are with the Telegram Login Widget's signed fields
(`verify_login_widget`, https://core.telegram.org/widgets/login#checking-authorization) or a
Mini App's init data (handlers/miniapp_auth.py); then they carry a session signed here
(`SessionSigner`): their id, name and language, when it ends, and the staff chats they were
staff of at sign-in. Nothing in it grants a right: the roles, and staff standing in those
chats, are asked again on each request.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.authorization import Actor, Authorization, MembershipUnknown
from services.models import Ticket
from services.routing import Routing
from services.staff_sightings import StaffSightings

__all__ = [
    "LOGIN_MAX_AGE",
    "DashboardAccess",
    "DashboardViewer",
    "LoginRefused",
    "Session",
    "SessionSigner",
    "SignedIn",
    "TelegramLogin",
    "may_see_ticket",
    "verify_login_widget",
]

log = logging.getLogger(__name__)

LOGIN_MAX_AGE = timedelta(days=1)
CHECKS_AT_ONCE = 8  # getChatMember calls in flight for one viewer
SIGN_IN_CHATS = 40  # staff chats asked about at sign-in, and kept in the session, at most


@dataclass(frozen=True)
class DashboardViewer:
    """The person looking at the dashboard now; `grids` None: every grid. `categories`: the
    categories whose own chat (a department across grids) they are staff of: those tickets
    too, whatever their grid."""

    user_id: int
    name: str
    is_admin: bool
    is_supervisor: bool
    grids: frozenset[str] | None
    categories: frozenset[str] = frozenset()

    @property
    def sees_everything(self) -> bool:
        return self.grids is None

    def sees_grid(self, grid: str | None) -> bool:
        """A ticket without a grid (a category's own chat, the fallback) only for everything."""
        return self.grids is None or (grid is not None and grid in self.grids)

    def sees(self, grid: str | None, category: str | None) -> bool:
        """A ticket of this grid and category."""
        return self.sees_grid(grid) or (category is not None and category in self.categories)


def may_see_ticket(viewer: DashboardViewer, ticket: Ticket) -> bool:
    """Whether the dashboard shows this ticket to this viewer."""
    return viewer.sees(ticket.grid, ticket.category)


@dataclass(frozen=True)
class _ChatScopes:
    """For one routing: what each staff chat shows on the dashboard (built once per routing)."""

    grids: dict[int, frozenset[str]]  # a grid's chat, a community's chat → their grids
    categories: dict[int, frozenset[str]]  # a category's own chat → its category
    workers: dict[int, list[int]]  # a person listed as a grid's worker → that grid's chat
    office: int | None

    @classmethod
    def of(cls, routing: Routing) -> _ChatScopes:
        grids: dict[int, set[str]] = {}
        workers: dict[int, list[int]] = {}
        for community in routing.communities:
            codes = {grid.code for grid in community.grids}
            if community.chat_id is not None:
                grids.setdefault(community.chat_id, set()).update(codes)
            for grid in community.grids:
                if grid.chat_id is not None:
                    grids.setdefault(grid.chat_id, set()).add(grid.code)
                    for worker in grid.workers:
                        workers.setdefault(int(worker), []).append(grid.chat_id)
        categories: dict[int, set[str]] = {}
        for category in routing.categories:
            if category.chat_id is not None:
                categories.setdefault(category.chat_id, set()).add(category.code)
        return cls(
            {chat: frozenset(codes) for chat, codes in grids.items()},
            {chat: frozenset(codes) for chat, codes in categories.items()},
            workers,
            routing.street_office_chat_id,
        )

    def every(self) -> list[int]:
        """Every staff chat: the street office's first, then communities, grids, categories."""
        office = [] if self.office is None else [self.office]
        return list(dict.fromkeys([*office, *self.grids, *self.categories]))

    def known(self, chat_id: int) -> bool:
        return chat_id == self.office or chat_id in self.grids or chat_id in self.categories


@dataclass(frozen=True)
class SignedIn:
    """Who signed in, what they see, and the staff chats that gave it (kept in the session)."""

    viewer: DashboardViewer
    chats: tuple[int, ...]


class DashboardAccess:
    """Answers "what does this person see on the dashboard now?"; None: nothing.

    Staff are asked about a bounded set of chats, never every chat of the routing (a city has
    thousands): at sign-in, the street office's chat, the categories' own chats, the grid
    chats that list them as a worker, and the chats they were lately seen acting in as staff
    (services.staff_sightings), at most SIGN_IN_CHATS; the ones they are staff of go into the
    signed session, and each request asks Telegram again about those only (cached for
    MEMBERSHIP_CACHE_SECONDS), so someone who left a chat loses its grids at the next request.
    """

    def __init__(
        self, authorization: Authorization, sightings: StaffSightings | None = None
    ) -> None:
        self.authorization = authorization
        self.sightings = sightings
        self._scopes: tuple[Routing, _ChatScopes] | None = None

    def scopes(self) -> _ChatScopes:
        routing = self.authorization.routing
        if self._scopes is None or self._scopes[0] is not routing:
            self._scopes = (routing, _ChatScopes.of(routing))
        return self._scopes[1]

    async def sign_in(self, user_id: int, name: str) -> SignedIn | None:
        """At sign-in: what the person sees, and the staff chats to keep asking about."""
        viewer = await self._by_role(user_id, name)
        if viewer is not None:
            return SignedIn(viewer, ())
        chats = await self.candidates(user_id)
        staff = await self._staff_chats(Actor(user_id, name), chats)
        viewer = self._viewer_of(user_id, name, staff)
        return None if viewer is None else SignedIn(viewer, tuple(staff))

    async def viewer(
        self, user_id: int, name: str, chats: Sequence[int] | None = None
    ) -> DashboardViewer | None:
        """At each request: the roles, and the session's staff chats asked again (None: a
        session from before chats were kept: asked as at sign-in)."""
        viewer = await self._by_role(user_id, name)
        if viewer is not None:
            return viewer
        if chats is None:
            chats = await self.candidates(user_id)
        staff = await self._staff_chats(Actor(user_id, name), list(chats)[:SIGN_IN_CHATS])
        return self._viewer_of(user_id, name, staff)

    async def candidates(self, user_id: int) -> list[int]:
        """The chats sign-in asks about, at most SIGN_IN_CHATS, the likeliest first: every
        staff chat of an office that has no more than that, else a bounded choice."""
        scopes = self.scopes()
        every = scopes.every()
        if len(every) <= SIGN_IN_CHATS:
            return every
        found: list[int] = []
        if scopes.office is not None:
            found.append(scopes.office)
        found += scopes.workers.get(user_id, [])
        if self.sightings is not None:
            found += await self.sightings.chats_of(user_id, SIGN_IN_CHATS)
        found += sorted(scopes.categories)
        unique = [chat for chat in dict.fromkeys(found) if scopes.known(chat)]
        return unique[:SIGN_IN_CHATS]

    async def _by_role(self, user_id: int, name: str) -> DashboardViewer | None:
        roles = self.authorization.roles
        admin = roles.is_admin(user_id)
        supervisor = await roles.is_supervisor(user_id)
        if admin or supervisor:
            return DashboardViewer(user_id, name, admin, supervisor, None)
        return None

    async def _staff_chats(self, actor: Actor, chats: Sequence[int]) -> list[int]:
        """Those of `chats` the person is staff of now (asked of Telegram, a few at a time)."""
        scopes = self.scopes()
        limit = asyncio.Semaphore(CHECKS_AT_ONCE)

        async def staff_of(chat_id: int) -> bool:
            if not scopes.known(chat_id):  # the routing changed: not a staff chat any more
                return False
            async with limit:
                try:
                    scope = await self.authorization.staff_scope(chat_id, actor)
                except MembershipUnknown:  # Telegram could not say: not this time
                    return False
                return scope is not None

        answers = await asyncio.gather(*(staff_of(chat) for chat in chats))
        return [chat for chat, yes in zip(chats, answers, strict=True) if yes]

    def _viewer_of(self, user_id: int, name: str, staff: Sequence[int]) -> DashboardViewer | None:
        scopes = self.scopes()
        if scopes.office is not None and scopes.office in staff:
            return DashboardViewer(user_id, name, False, False, None)
        grids = frozenset(code for chat in staff for code in scopes.grids.get(chat, ()))
        categories = frozenset(code for chat in staff for code in scopes.categories.get(chat, ()))
        if not grids and not categories:
            return None
        return DashboardViewer(user_id, name, False, False, grids, categories)


# --- proving who one is ----------------------------------------------------------------------


class LoginRefused(Exception):
    """Signed-in data that is not Telegram's, or too old; the message says which."""


@dataclass(frozen=True)
class TelegramLogin:
    user_id: int
    name: str
    language: str | None


def verify_login_widget(
    fields: Mapping[str, str],
    bot_token: str,
    now: datetime,
    max_age: timedelta = LOGIN_MAX_AGE,
) -> TelegramLogin:
    """The person the Login Widget's fields name, if Telegram signed them for this bot lately.

    The data-check-string is every field but `hash`, `key=value` sorted by key and joined by
    newlines; its HMAC-SHA256 with the key SHA256(bot token) must equal `hash` (compared in
    constant time); `auth_date` no older than `max_age`.
    """
    given = str(fields.get("hash", ""))
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")
    secret = hashlib.sha256(bot_token.encode()).digest()
    expected = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if not given or not hmac.compare_digest(expected, given.lower()):
        raise LoginRefused("not signed by Telegram for this bot")
    try:
        signed_at = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
        user_id = int(fields["id"])
    except (KeyError, ValueError, OverflowError, OSError):
        raise LoginRefused("no id or auth_date") from None
    if now - signed_at > max_age or signed_at - now > timedelta(minutes=5):
        raise LoginRefused("signed too long ago")
    name = " ".join(part for part in (fields.get("first_name"), fields.get("last_name")) if part)
    return TelegramLogin(user_id, name or str(fields.get("username") or user_id), None)


def sign_login_widget(fields: Mapping[str, str], bot_token: str) -> dict[str, str]:
    """The fields with the `hash` Telegram would add: for the sandbox and tests, who hold the
    token as Telegram does."""
    unsigned = {key: str(value) for key, value in fields.items() if key != "hash"}
    check = "\n".join(f"{key}={unsigned[key]}" for key in sorted(unsigned))
    secret = hashlib.sha256(bot_token.encode()).digest()
    return {**unsigned, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()}


@dataclass(frozen=True)
class Session:
    user_id: int
    name: str
    language: str | None
    expires_at: datetime
    # the staff chats found at sign-in, asked again at each request (None: an older session)
    chats: tuple[int, ...] | None = None


class SessionSigner:
    """A session as a cookie value: base64url(JSON) "." HMAC-SHA256, with a key of its own.

    The key is derived (HMAC) from a secret the deployment already keeps (the bot token), so
    a new token ends every session.
    """

    def __init__(
        self,
        secret: str,
        lifetime: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._key = hmac.new(secret.encode(), b"linkage dashboard session v1", "sha256").digest()
        self.lifetime = lifetime
        self.clock = clock

    def issue(
        self, login: TelegramLogin, chats: Sequence[int] = (), lifetime: timedelta | None = None
    ) -> str:
        """`lifetime`: shorter than the sessions' own, for a token kept in a page's memory."""
        expires = self.clock() + min(lifetime or self.lifetime, self.lifetime)
        body = {
            "u": login.user_id,
            "n": login.name,
            "l": login.language,
            "e": int(expires.timestamp()),
            "c": [int(chat) for chat in chats],
        }
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        payload = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return f"{payload}.{self._mac(payload)}"

    def read(self, value: str) -> Session | None:
        """The session the cookie carries; None if it was not signed here, or has ended."""
        payload, _, mac = value.partition(".")
        if not payload or not hmac.compare_digest(self._mac(payload), mac):
            return None
        try:
            body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            session = Session(
                int(body["u"]),
                str(body["n"]),
                body.get("l") if isinstance(body.get("l"), str) else None,
                datetime.fromtimestamp(int(body["e"]), UTC),
                tuple(int(chat) for chat in body["c"]) if "c" in body else None,
            )
        except (ValueError, KeyError, TypeError, OverflowError, OSError):
            return None
        return session if session.expires_at > self.clock() else None

    def _mac(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()
