"""Who may open the supervisor dashboard, and what they see there; how they prove who they are.

Decided at every request, never once at sign-in:

- **admins** (ADMIN_IDS) and **supervisors** (the role, by invitation) see every grid;
- **staff** see the grids of the chats they are staff of now (asked of
  services.authorization, which asks Telegram with getChatMember, cached briefly): a grid's
  chat sees that grid, a community's chat its grids, the street office's chat every grid;
- anyone else: no access.

A person proves who they are with the Telegram Login Widget's signed fields
(`verify_login_widget`, https://core.telegram.org/widgets/login#checking-authorization) or a
Mini App's init data (handlers/miniapp_auth.py); then they carry a session signed here
(`SessionSigner`): their id, name and language, and when it ends. Nothing in it grants a
right: the rights are asked again on each request.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.authorization import Actor, Authorization, MembershipUnknown
from services.models import Ticket

__all__ = [
    "LOGIN_MAX_AGE",
    "DashboardAccess",
    "DashboardViewer",
    "LoginRefused",
    "Session",
    "SessionSigner",
    "TelegramLogin",
    "may_see_ticket",
    "verify_login_widget",
]

log = logging.getLogger(__name__)

LOGIN_MAX_AGE = timedelta(days=1)
CHECKS_AT_ONCE = 8  # getChatMember calls in flight for one viewer


@dataclass(frozen=True)
class DashboardViewer:
    """The person looking at the dashboard now; `grids` None: every grid."""

    user_id: int
    name: str
    is_admin: bool
    is_supervisor: bool
    grids: frozenset[str] | None

    @property
    def sees_everything(self) -> bool:
        return self.grids is None

    def sees_grid(self, grid: str | None) -> bool:
        """A ticket without a grid (a category's own chat, the fallback) only for everything."""
        return self.grids is None or (grid is not None and grid in self.grids)


def may_see_ticket(viewer: DashboardViewer, ticket: Ticket) -> bool:
    """Whether the dashboard shows this ticket to this viewer."""
    return viewer.sees_grid(ticket.grid)


class DashboardAccess:
    """Answers "what does this person see on the dashboard now?"; None: nothing."""

    def __init__(self, authorization: Authorization) -> None:
        self.authorization = authorization

    async def viewer(self, user_id: int, name: str) -> DashboardViewer | None:
        roles = self.authorization.roles
        admin = roles.is_admin(user_id)
        supervisor = await roles.is_supervisor(user_id)
        if admin or supervisor:
            return DashboardViewer(user_id, name, admin, supervisor, None)
        grids = await self._staff_grids(Actor(user_id, name))
        if grids is None or grids:
            return DashboardViewer(user_id, name, False, False, grids)
        return None

    async def _staff_grids(self, actor: Actor) -> frozenset[str] | None:
        """The grids of the chats this person is staff of now; None: the street office's."""
        routing = self.authorization.routing
        chats: dict[int, set[str]] = {}
        for community in routing.communities:
            codes = {grid.code for grid in community.grids}
            if community.chat_id is not None:
                chats.setdefault(community.chat_id, set()).update(codes)
            for grid in community.grids:
                if grid.chat_id is not None:
                    chats.setdefault(grid.chat_id, set()).add(grid.code)
        office = routing.street_office_chat_id
        if office is not None:
            chats.setdefault(office, set())
        limit = asyncio.Semaphore(CHECKS_AT_ONCE)

        async def staff_of(chat_id: int) -> bool:
            async with limit:
                try:
                    scope = await self.authorization.staff_scope(chat_id, actor)
                except MembershipUnknown:  # Telegram could not say: not this time
                    return False
                return scope is not None

        ordered = list(chats)
        answers = await asyncio.gather(*(staff_of(chat) for chat in ordered))
        if office is not None and answers[ordered.index(office)]:
            return None
        seen = [chats[chat] for chat, yes in zip(ordered, answers, strict=True) if yes]
        return frozenset(code for codes in seen for code in codes)


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

    def issue(self, login: TelegramLogin) -> str:
        expires = self.clock() + self.lifetime
        body = {
            "u": login.user_id,
            "n": login.name,
            "l": login.language,
            "e": int(expires.timestamp()),
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
            )
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires_at > self.clock() else None

    def _mac(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()
