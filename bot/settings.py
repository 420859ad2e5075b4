"""Settings from the environment and an optional `.env` file.

The names are a public interface: deployments and outside tools rely on them.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from datetime import time as dt_time
from datetime import timedelta, timezone, tzinfo
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from services.privacy import parse_keys

TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]{10,}$")
WEBHOOK_SECRET_LETTERS = re.compile(r"[A-Za-z0-9_-]")  # Telegram's rule: 1 to 256 of these
WEBHOOK_SECRET_MAX = 256
BOTFATHER_HINT = (
    "open Telegram, talk to @BotFather, send /newbot and put the token it gives you "
    "in BOT_TOKEN (environment or .env)"
)


class SettingsError(Exception):
    """A setting is missing or invalid; the message names it in one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    bot_token: SecretStr
    telegram_api_url: str = "https://api.telegram.org"
    data_dir: Path = Path("./data")
    database_url: str | None = None
    redis_url: str | None = None
    staff_chat_id: int | None = None
    # the chat that sees applications in full: never STAFF_CHAT_ID by default, for grid staff
    # are not verifiers; unset, the bot offers no certificates
    verifier_chat_id: int | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=1, le=65535)
    public_base_url: str | None = None
    # who may show the Mini Apps in a frame, besides Telegram Web (the sandbox's page)
    miniapp_frame_ancestors: str = ""
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    routing_file: Path | None = None
    default_locale: Literal["en", "zh"] = "en"
    # staff chats' language (a chat of the routing file's chat_locales reads its own); unset:
    # DEFAULT_LOCALE
    staff_locale: Literal["en", "zh"] | None = None
    # every time shown to a person is in this zone; stored times stay UTC
    timezone: str = "Asia/Shanghai"

    # Tuning; the defaults suit a real deployment, tests scale them.
    # A half-filled form (a tourist's ID number and phone, a resident's words and location) is
    # forgotten this long after its last step: a day lets a person finish tomorrow what they
    # began tonight; a form left longer is stale, and personal data not worth keeping.
    state_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    throttle_messages: int = Field(default=20, ge=1)
    throttle_window_seconds: float = Field(default=10.0, gt=0)
    throttle_cooldown_seconds: float = Field(default=30.0, ge=0)
    polling_timeout: int = Field(default=30, ge=0, le=50)
    flood_overall_per_second: int = Field(default=30, ge=1)
    flood_group_per_minute: int = Field(default=20, ge=1)
    flood_private_burst: int = Field(default=3, ge=1)  # then about one a second
    flood_time_scale: float = Field(default=1.0, gt=0)  # tests shrink every window
    send_max_attempts: int = Field(default=8, ge=1)
    # a dead process's queued notifications and chat locks pass to the others after this
    send_takeover_seconds: float = Field(default=30, gt=0)
    # an update whose process died mid-way is taken over after this (must exceed any handler)
    update_lease_seconds: float = Field(default=60, gt=0)
    escalate_take_minutes: float = Field(default=60, gt=0)  # untaken: remind, then go up
    escalate_resolve_hours: float = Field(default=72, gt=0)  # taken, unresolved: likewise
    auto_close_days: float = Field(default=7, gt=0)  # resolved, resident silent: close
    # a daily digest to every staff chat at this local time (TIMEZONE), e.g. 08:30; unset: none
    digest_time: dt_time | None = None
    # check every configured chat at start (as `python -m bot doctor`) and log what is wrong
    doctor_at_start: bool = True
    # how long Telegram's answer "is this person in that staff chat?" is trusted
    membership_cache_seconds: float = Field(default=30, ge=0)
    # how often each process asks whether the routing data changed (an import, a /bind)
    routing_poll_seconds: float = Field(default=3, gt=0)

    # Accommodation certificates and the personal data behind them.
    certificate_max_nights: int = Field(default=30, ge=1, le=365)
    live_code_seconds: int = Field(default=30, ge=1, le=255)  # a live QR's window (Mini App)
    personal_data_retention_days: int = Field(default=30, ge=0)  # after expiry or rejection
    undecided_application_days: int = Field(default=7, ge=1)  # then it lapses, data purged
    verify_remind_minutes: int = Field(default=15, ge=1)  # then the verifiers, 2x admins
    data_key: SecretStr | None = None  # Fernet keys, comma-separated; unset: DATA_DIR/data.key
    card_font: Path | None = None  # a font with Chinese glyphs for certificate cards
    verification_log_retention_days: int = Field(default=90, ge=1)

    # Mediation (services/mediation*.py): the video session link ({case} is the case number,
    # e.g. https://meet.example.org/linkage-{case}; unset: no link), and the largest evidence file
    mediation_meeting_url: str | None = None
    mediation_evidence_max_mb: float = Field(default=20, gt=0)  # Telegram bots fetch up to 20 MB

    # who may read /metrics: this bearer token; unset, callers on this machine, not via a proxy
    metrics_token: SecretStr | None = None
    log_format: Literal["text", "json"] = "text"

    # Retention: what the bot keeps of its own work (README "Retention").
    # a delivered notification's row (a ticket's stays slimmed to "message → ticket")
    notification_retention_days: int = Field(default=30, ge=1)
    dead_letter_retention_days: int = Field(default=90, ge=1)  # dead and unreachable ones
    # Telegram redelivers an update for at most 24 hours: its claim is kept a while longer
    processed_update_retention_hours: float = Field(default=48, ge=25)
    verify_rate_per_second: int = Field(default=100, ge=1)  # per address: /v/ and the API
    # Open311 GeoReport v2 (/open311/v2/): the jurisdiction_id clients may name, and how many
    # requests one API key may POST in a minute
    open311_jurisdiction_id: str = Field(default="linkage", min_length=1, max_length=64)
    open311_posts_per_minute: int = Field(default=30, ge=1)
    open311_reads_per_second: int = Field(default=20, ge=1)  # GETs per address (IPv6: per /64)
    # proxies whose X-Forwarded-For is believed (deploy/nginx.conf); empty: the peer is the client
    dashboard_session_hours: float = Field(default=12, gt=0, le=24 * 30)  # then sign in again
    # a base map under the dashboard's map: {z}/{x}/{y} tiles, e.g. a tile server the office
    # may use (its origin is then allowed for images on that page only); unset: shapes only
    map_tiles_url: str | None = None
    trusted_proxies: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = ()

    @field_validator("bot_token", mode="before")
    @classmethod
    def _blank_token_is_missing(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty")
        return value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not TOKEN_PATTERN.match(value.get_secret_value().strip()):
            raise ValueError("does not look like a bot token (digits, a colon, then letters)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            for part in parts:
                if not part.lstrip("-").isdigit():
                    raise ValueError(f"{part!r} is not a Telegram user id (a whole number)")
            return frozenset(int(p) for p in parts)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("telegram_api_url", "public_base_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("map_tiles_url")
    @classmethod
    def _tiles_template(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not re.match(r"^https?://[^/\s{}]+/\S*$", value) or not all(
            part in value for part in ("{z}", "{x}", "{y}")
        ):
            raise ValueError("must be an http(s) URL with {z}, {x} and {y} in it")
        return value

    @field_validator("database_url", "redis_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("staff_chat_id", "verifier_chat_id", mode="before")
    @classmethod
    def _blank_chat_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("webhook_secret", "metrics_token", mode="before")
    @classmethod
    def _blank_secret_is_unset(cls, value: object) -> object:
        """`WEBHOOK_SECRET=` (a copied template) means unset: the token's secret, never none."""
        return None if value == "" else value

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_accepts_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """Refuse at start what Telegram's setWebhook would refuse later."""
        if value is None:
            return None
        secret = value.get_secret_value()
        wrong = [letter for letter in secret if not WEBHOOK_SECRET_LETTERS.fullmatch(letter)]
        problem = f"it contains {wrong[0]!r}" if wrong else None
        if len(secret) > WEBHOOK_SECRET_MAX:
            problem = f"it is {len(secret)} characters long"
        if problem:
            raise ValueError(
                f"Telegram accepts only 1 to {WEBHOOK_SECRET_MAX} of the characters "
                f"A-Z, a-z, 0-9, _ and -, and {problem}"
            )
        return value

    @field_validator("data_key", mode="before")
    @classmethod
    def _fernet_keys(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            parse_keys(value)  # ValueError names what is wrong
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        networks = []
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(f"{part!r} is not an IP address or network") from None
        return tuple(networks)

    @field_validator("staff_locale", "digest_time", mode="before")
    @classmethod
    def _blank_locale_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone_of(value)  # ValueError names what is wrong
        return value

    @property
    def zone(self) -> tzinfo:
        return zone_of(self.timezone)

    @property
    def effective_staff_locale(self) -> str:
        return self.staff_locale or self.default_locale

    @field_validator("card_font", mode="before")
    @classmethod
    def _blank_font_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _cards_outlive_decisions(self) -> Settings:
        """A verifier's card is edited down when its application lapses: its row must exist."""
        if self.notification_retention_days <= self.undecided_application_days:
            raise ValueError(
                "NOTIFICATION_RETENTION_DAYS must be longer than UNDECIDED_APPLICATION_DAYS "
                f"({self.undecided_application_days}): a lapsed application's card is edited "
                "through its notification"
            )
        return self

    @model_validator(mode="after")
    def _routing_file_exists(self) -> Settings:
        if self.routing_file is not None and not self.routing_file.is_file():
            raise ValueError(f"ROUTING_FILE: no such file: {self.routing_file}")
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'linkage.sqlite3').resolve()}"

    @property
    def effective_public_base_url(self) -> str:
        return self.public_base_url or f"http://{self.web_host}:{self.web_port}"

    @property
    def effective_webhook_secret(self) -> str:
        """The secret Telegram sends back with every webhook call.

        Derived from the token when unset, so several processes agree without sharing a file.
        """
        if self.webhook_secret is not None:
            return self.webhook_secret.get_secret_value()
        digest = hashlib.sha256(b"linkage-webhook:" + self.bot_token.get_secret_value().encode())
        return digest.hexdigest()


CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")  # no daylight saving since 1991


def zone_of(name: str) -> tzinfo:
    """A time zone by its IANA name; China's also where the system has no zone database."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name in ("Asia/Shanghai", "Asia/Chongqing", "PRC"):
            return CHINA_STANDARD_TIME
        raise ValueError(f"{name!r} is not a time zone name such as Asia/Shanghai") from None


def describe_error(error: ValidationError) -> str:
    """One clear line naming the first bad setting."""
    first = error.errors()[0]
    name = str(first["loc"][0]).upper() if first["loc"] else ""
    if first["type"] == "missing":
        if name == "BOT_TOKEN":
            return f"BOT_TOKEN is not set: {BOTFATHER_HINT}."
        return f"{name} is not set."
    message = str(first["msg"]).removeprefix("Value error, ")
    if name == "BOT_TOKEN" and message == "is empty":
        return f"BOT_TOKEN is not set: {BOTFATHER_HINT}."
    if name == "BOT_TOKEN":
        return f"BOT_TOKEN is invalid: it {message}; {BOTFATHER_HINT}."
    if not name:
        return message
    return f"{name} is invalid: {message}."


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into a SettingsError with one line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(describe_error(error)) from None
