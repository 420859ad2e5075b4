"""Who is asking a Mini App's API: Telegram's signed init data, checked on every request.

The page reads the launch parameters from its URL fragment (`#tgWebAppData=...`, as Telegram
opens a Mini App) and sends the init data with each request as `Authorization: tma <init data>`.
Here it is checked with aiogram's `safe_parse_webapp_init_data` against the bot's token and
refused (401) when older than MAX_AGE; the refusal is worded in the language the init data
names (unverified, used for the wording only).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiogram.utils.i18n import I18n
from aiogram.utils.web_app import WebAppInitData, safe_parse_webapp_init_data
from aiohttp import web

BOT_TOKEN = web.AppKey("miniapp_bot_token", str)
MINIAPP_I18N = web.AppKey("miniapp_i18n", I18n)
MAX_AGE = timedelta(days=1)


def N_(message: str) -> str:
    """Marks a message for extraction; translated where it is shown."""
    return message


NOT_FROM_TELEGRAM = N_("Open this page from the bot in Telegram: it could not tell who you are.")
TOO_OLD = N_("This page was opened more than a day ago: close it and open it again from the bot.")


def language_of(init_data: str) -> str:
    """en or zh by the `user.language_code` the init data names, signed or not."""
    try:
        user = json.loads(dict(parse_qsl(init_data)).get("user", "{}"))
        code = str(user.get("language_code", "")) if isinstance(user, dict) else ""
    except ValueError:
        code = ""
    return "zh" if code.lower().startswith("zh") else "en"


def refusal(request: web.Request, init_data: str, message: str) -> web.HTTPUnauthorized:
    locale = language_of(init_data)
    text = request.app[MINIAPP_I18N].gettext(message, locale=locale)
    return web.HTTPUnauthorized(
        text=json.dumps({"error": text, "locale": locale}, ensure_ascii=False),
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def authenticate(
    request: web.Request, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> WebAppInitData:
    """The verified init data of this request, or HTTPUnauthorized (raised) saying why."""
    header = request.headers.get("Authorization", "")
    init_data = header.removeprefix("tma ").strip() if header.startswith("tma ") else ""
    try:
        parsed = safe_parse_webapp_init_data(request.app[BOT_TOKEN], init_data)
    except ValueError:
        raise refusal(request, init_data, NOT_FROM_TELEGRAM) from None
    if parsed.user is None:
        raise refusal(request, init_data, NOT_FROM_TELEGRAM)
    if clock() - parsed.auth_date.astimezone(UTC) > MAX_AGE:
        raise refusal(request, init_data, TOO_OLD)
    return parsed


def signed_init_data(token: str, user: dict[str, Any], auth_date: datetime) -> str:
    """Init data as Telegram signs it for a bot: what the sandbox hands its Mini Apps (and the
    tests theirs). See https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app."""
    fields = {
        "auth_date": str(int(auth_date.timestamp())),
        "query_id": "sandbox",
        "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
    }
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)
