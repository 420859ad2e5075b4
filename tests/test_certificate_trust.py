"""Trust in certificates, tried as an attacker and as an auditor, against the running bot.

A signed token is only as good as the certificate row behind it; a leaked key can be retired at
once; the web server says nothing about who asked and keeps nothing for ever; one address cannot
flood the verification; every page carries the security headers.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from redis.asyncio import Redis
from sqlmodel import col, select

from bot.localapi import BotAPIStandin
from handlers.web_security import client_address, rate_key, security_headers
from services.certificates import CertificateService, Issued, china_today
from services.identity import DocumentType
from services.keyring import KeyRing
from services.models import Certificate, VerificationLog, utcnow
from services.ratelimit import MemoryRequestLimiter, RedisRequestLimiter, Window
from services.storage import Database
from tests.support.running import TOKEN, RunningBot, eventually, process_environment
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
CSP_DIRECTIVES = {"default-src 'self'", "frame-ancestors 'none'", "form-action 'self'"}
CSP_DIRECTIVES |= {"base-uri 'none'"}


@dataclass
class Site:
    bot: RunningBot
    db: Database
    certificates: CertificateService
    http: aiohttp.ClientSession

    async def issue(self, check_in: date | None = None, nights: int = 2, **changes: Any) -> Issued:
        details: dict[str, Any] = {
            "holder_name": "戴美玲",
            "document_type": DocumentType.PRC_ID,
            "document_number": "11010519491231002X",
            "hotel_code": "wuzhen-xizha",
            "check_in": check_in or china_today(),
            "nights": nights,
            **changes,
        }
        return await self.certificates.issue(**details)

    async def get(self, path: str, **kwargs: Any) -> tuple[int, str, Any]:
        async with self.http.get(f"{self.bot.web_url}{path}", **kwargs) as response:
            return response.status, await response.text(), response.headers

    async def page_status(self, token: str) -> str:
        status, page, _ = await self.get(f"/v/{token}", headers={"Accept-Language": "en"})
        assert status == 200
        return page.split('data-status="', 1)[1].split('"', 1)[0]

    async def api_status(self, token: str) -> str:
        url = f"{self.bot.web_url}/api/v1/certificates/verify"
        async with self.http.get(url, params={"token": token}) as response:
            assert response.status == 200
            return str((await response.json())["status"])

    async def jwks_kids(self) -> list[str]:
        async with self.http.get(f"{self.bot.web_url}/.well-known/linkage-keys.json") as response:
            return [key["kid"] for key in (await response.json())["keys"]]


@pytest.fixture
async def site(run_bot: Callable[..., Awaitable[RunningBot]]) -> AsyncIterator[Site]:
    bot = await run_bot()
    db = Database(bot.settings.effective_database_url)
    certificates = CertificateService(db, KeyRing.open(bot.settings.data_dir), bot.web_url)
    async with aiohttp.ClientSession() as http:
        yield Site(bot, db, certificates, http)
    await db.close()


# --- a signature is not enough ----------------------------------------------------------------


async def test_a_genuine_signature_on_a_serial_never_issued_is_invalid_everywhere(
    standin: BotAPIStandin, site: Site
) -> None:
    issued = await site.issue()
    keys = site.certificates.keys  # the real signing key, as a thief of DATA_DIR would have it
    never_issued = keys.sign(replace(issued.claims, serial="C2026-999999"))
    longer_stay = keys.sign(  # a real serial, re-signed for a longer stay
        replace(issued.claims, valid_until=issued.claims.valid_until + timedelta(days=30))
    )
    assert await site.page_status(issued.token) == "valid"
    for forged in (never_issued, longer_stay):
        assert await site.page_status(forged) == "invalid"
        assert await site.api_status(forged) == "invalid"

    desk = standin.user(6101, "Lin", language_code="en")  # a front desk sends it to the bot
    standin.send_message(desk, never_issued)
    [answer] = await standin.wait_for_messages(desk.id, timeout=15)
    assert answer["text"].startswith("❌ Invalid"), answer["text"]
    assert "C2026-999999" not in answer["text"]

    async with site.db.session() as session:
        rows = (await session.exec(select(VerificationLog.result, VerificationLog.serial))).all()
    assert sorted(rows, key=str)[-1] == ("valid", issued.certificate.serial)
    assert [serial for result, serial in rows if result == "invalid"] == [None] * 5


# --- retiring a leaked key ----------------------------------------------------------------------


async def retire_key(bot: RunningBot, kid: str) -> tuple[int, str, str]:
    """`python -m bot retire-key KID`, as an operator runs it beside the running bot."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "retire-key",
        kid,
        env=process_environment(
            BOT_TOKEN=TOKEN,
            DATA_DIR=str(bot.settings.data_dir),
            DATABASE_URL=bot.settings.effective_database_url,
            PYTHONPATH=str(ROOT),
        ),
        cwd=bot.settings.data_dir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_retired_key_stops_verifying_at_once_and_leaves_the_jwk_set(site: Site) -> None:
    leaked = await site.issue()
    leaked_kid = leaked.certificate.kid
    site.certificates.rotate_keys()
    kept = await site.issue(holder_name="Dai Lingling")
    assert kept.certificate.kid != leaked_kid
    assert await site.page_status(leaked.token) == "valid"  # the bot has seen the old key
    assert await site.jwks_kids() == [kept.certificate.kid, leaked_kid]

    code, out, err = await retire_key(site.bot, leaked_kid)
    assert code == 0, err
    assert out.strip().splitlines() == [
        f"key {leaked_kid} is retired: the 1 certificate it signed that is still in use is "
        f"invalid from now on; issue it again: {leaked.certificate.serial}"
    ]
    # no waiting: the next check in the running bot already refuses it
    assert await site.api_status(leaked.token) == "invalid"
    assert await site.page_status(leaked.token) == "invalid"
    assert await site.jwks_kids() == [kept.certificate.kid]
    assert await site.api_status(kept.token) == "valid"
    assert await site.page_status(kept.token) == "valid"


async def test_retiring_the_signing_key_rotates_first(site: Site) -> None:
    current = await site.issue()
    code, out, err = await retire_key(site.bot, current.certificate.kid)
    assert code == 0, err
    [new_kid] = await site.jwks_kids()
    assert new_kid != current.certificate.kid
    assert out.strip().splitlines() == [
        f"certificates are now signed with a new key {new_kid}",
        f"key {current.certificate.kid} is retired: the 1 certificate it signed that is still "
        f"in use is invalid from now on; issue it again: {current.certificate.serial}",
    ]
    assert await site.api_status(current.token) == "invalid"
    again = await site.issue()
    assert again.certificate.kid == new_kid
    assert await site.page_status(again.token) == "valid"


async def test_retiring_an_unknown_key_is_one_clear_line(site: Site) -> None:
    active = site.certificates.keys.active_kid
    code, _out, err = await retire_key(site.bot, "AAAAAAAA")
    assert code == 2
    assert err.strip().splitlines() == [
        f"linkage: there is no signing key AAAAAAAA; the keys are: {active} (signing)"
    ]
    assert await site.jwks_kids() == [active]


async def test_the_scheduled_round_prunes_spent_keys_and_old_verification_log_rows(
    run_bot: Callable[..., Awaitable[RunningBot]],
    tmp_path: Path,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Before the bot starts: a key whose certificates all ended, one still needed, and a
    verification log reaching back further than VERIFICATION_LOG_RETENTION_DAYS."""
    db = Database(database_url)
    keys = KeyRing.open(tmp_path / "data")
    service = CertificateService(db, keys, "https://linkage.example.org")
    today = china_today()
    spent_kid = keys.active_kid
    await service.issue(
        holder_name="戴美玲",
        document_type=DocumentType.PRC_ID,
        document_number="11010519491231002X",
        hotel_code="wuzhen-xizha",
        check_in=today - timedelta(days=10),
        nights=2,
    )
    keys.rotate(utcnow() - timedelta(days=8))  # retired when its last stay ended
    needed = await service.issue(
        holder_name="Dai Lingling",
        document_type=DocumentType.PRC_ID,
        document_number="11010519491231002X",
        hotel_code="wuzhen-xizha",
        check_in=today,
        nights=1,
    )
    needed_kid = needed.certificate.kid
    keys.rotate(utcnow() - timedelta(days=8))
    now = utcnow()
    async with db.session() as session:
        for days in (400, 31, 29, 1):
            session.add(
                VerificationLog(at=now - timedelta(days=days), channel="web", result="valid")
            )
        await session.commit()

    with caplog.at_level(logging.INFO, logger="bot.runner"):
        bot = await run_bot(verification_log_retention_days=30)
        jwks_url = f"{bot.web_url}/.well-known/linkage-keys.json"

        async def kids() -> list[str]:
            async with aiohttp.ClientSession() as http, http.get(jwks_url) as response:
                return [key["kid"] for key in (await response.json())["keys"]]

        async def log_ages() -> list[int]:
            async with db.session() as session:
                ats = (await session.exec(select(VerificationLog.at))).all()
            return sorted(round((now - _aware(at)).total_seconds() / 86400) for at in ats)

        async def settled() -> bool:
            return spent_kid not in await kids() and await log_ages() == [1, 29]

        for _attempt in range(100):  # the round runs as the bot starts: 10 s is plenty
            if await settled():
                break
            await asyncio.sleep(0.1)
    assert await log_ages() == [1, 29]
    assert spent_kid not in await kids()
    assert needed_kid in await kids()  # its stay is today
    assert keys.active_kid in await kids()
    assert f"signing key {spent_kid} pruned: every certificate it signed has expired" in (
        caplog.text
    )
    assert "deleted 2 verification log rows older than 30 days" in caplog.text
    async with db.session() as session:  # the certificates themselves stay
        assert len((await session.exec(select(col(Certificate.id)))).all()) == 2
    await db.close()


def _aware(moment: Any) -> Any:
    from services.models import as_utc

    return as_utc(moment)


# --- floods -------------------------------------------------------------------------------------


async def test_the_101st_check_within_a_second_from_one_address_is_refused(site: Site) -> None:
    issued = await site.issue()
    api = f"{site.bot.web_url}/api/v1/certificates/verify"
    page_path, api_path = f"/v/{issued.token}", f"/api/v1/certificates/verify?token={issued.token}"
    first = await asyncio.gather(*(site.get(page_path if i % 2 else api_path) for i in range(100)))
    assert [status for status, _, _ in first] == [200] * 100
    status, page, headers = await site.get(page_path, headers={"Accept-Language": "zh"})
    assert status == 429
    assert headers["Retry-After"] == "1"
    assert headers["X-Frame-Options"] == "DENY" and "no-store" in headers["Cache-Control"]
    assert "该地址的查验次数过多，请 1 秒后再试。" in page
    status, page, headers = await site.get(page_path, headers={"Accept-Language": "en"})
    assert status == 429
    assert "Too many checks from this address; try again in 1 s." in page
    async with site.http.get(api, params={"token": issued.token}) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "1"
        assert await response.json() == {"status": "rate_limited", "retry_after": 1}

    # another address is not held back
    other = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
    async with (
        aiohttp.ClientSession(connector=other) as elsewhere,
        elsewhere.get(api, params={"token": issued.token}) as response,
    ):
        assert response.status == 200
        assert (await response.json())["status"] == "valid"
    # and after a second the first address may check again
    await asyncio.sleep(1.05)
    assert await site.api_status(issued.token) == "valid"


@pytest.mark.parametrize("where", ["memory", "redis"])
async def test_the_limit_counts_every_process_sharing_redis(
    where: str, request: pytest.FixtureRequest
) -> None:
    window = Window(100, 1.0)
    if where == "memory":
        clock = [1000.0]
        one = MemoryRequestLimiter(window, clock=lambda: clock[0])
        limiters = [one, one]
    else:
        redis = Redis.from_url(request.getfixturevalue("redis_url"))
        limiters = [RedisRequestLimiter(redis, window), RedisRequestLimiter(redis, window)]
    waits = [await limiters[i % 2].admit("198.51.100.7") for i in range(101)]
    assert waits[:100] == [0.0] * 100
    assert 0 < waits[100] <= 1.0
    assert await limiters[1].admit("203.0.113.9") == 0.0
    if where == "memory":
        clock[0] += 1.0
        assert await limiters[0].admit("198.51.100.7") == 0.0
    else:
        await redis.aclose()


# --- what the server writes and sends -----------------------------------------------------------


async def test_the_access_log_names_neither_the_token_nor_the_address(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    issued = await site.issue()
    with caplog.at_level(logging.INFO, logger="aiohttp.access"):
        assert await site.page_status(issued.token) == "valid"
        assert await site.api_status(issued.token) == "valid"
        assert await site.api_status(issued.url) == "valid"
        await eventually(lambda: len(caplog.records) >= 3)
    lines = [record.getMessage() for record in caplog.records if record.name == "aiohttp.access"]
    assert len(lines) == 3
    assert lines[0].startswith('"GET /v/… HTTP/1.1" 200 ')
    assert lines[1].startswith('"GET /api/v1/certificates/verify?token=… HTTP/1.1" 200 ')
    for line in lines:
        assert issued.token not in line and issued.token[:12] not in line
        assert "127.0.0.1" not in line


async def test_every_page_carries_the_security_headers(site: Site) -> None:
    issued = await site.issue()
    for path in (
        f"/v/{issued.token}",
        "/v/garbage",
        f"/api/v1/certificates/verify?token={issued.token}",
        "/healthz",
        "/.well-known/linkage-keys.json",
        "/no/such/page",
    ):
        status, page, headers = await site.get(path)
        assert status == (404 if path == "/no/such/page" else 200), path
        for name, value in SECURITY_HEADERS.items():
            assert headers.get(name) == value, (path, name)
        directives = {part.strip() for part in headers["Content-Security-Policy"].split(";")}
        assert directives >= CSP_DIRECTIVES, path
        assert not any("unsafe" in directive for directive in directives), path
    # the page's only style is allowed by its hash: no inline style attribute that would not be
    _, page, headers = await site.get(f"/v/{issued.token}")
    assert ' style="' not in page and "<script" not in page
    assert "style-src 'self' 'sha256-" in headers["Content-Security-Policy"]


@pytest.fixture
async def echo_server() -> AsyncIterator[Callable[..., Awaitable[tuple[int, str, Any]]]]:
    """A small app with the security middleware, answering the client address it sees (as
    trusting 127.0.0.1 as a proxy, or trusting nobody) and failing on /boom."""

    async def address(request: web.Request) -> web.Response:
        trusted = ip_network("127.0.0.1") if request.query.get("trust") else None
        return web.Response(text=client_address(request, [trusted] if trusted else []))

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("a bug")

    app = web.Application(middlewares=[security_headers()])
    app.router.add_get("/address", address)
    app.router.add_get("/boom", boom)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with aiohttp.ClientSession() as http:

        async def get(path: str, **kwargs: Any) -> tuple[int, str, Any]:
            async with http.get(f"http://127.0.0.1:{port}{path}", **kwargs) as response:
                return response.status, await response.text(), response.headers

        yield get
    await runner.cleanup()


async def test_the_client_address_believes_only_trusted_proxies(
    echo_server: Callable[..., Awaitable[tuple[int, str, Any]]],
) -> None:
    async def seen(trust: bool, forwarded: str | None) -> str:
        headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
        query = "?trust=1" if trust else ""
        status, text, _ = await echo_server(f"/address{query}", headers=headers)
        assert status == 200
        return text

    assert await seen(False, "203.0.113.5") == "127.0.0.1"  # nobody trusted: the peer
    assert await seen(True, None) == "127.0.0.1"
    assert await seen(True, "203.0.113.5") == "203.0.113.5"  # nginx appended the client
    # what the client wrote itself, left of what nginx appended, is never believed
    assert await seen(True, "198.51.100.1, 203.0.113.5") == "203.0.113.5"
    assert await seen(True, "203.0.113.5, 127.0.0.1") == "203.0.113.5"  # two trusted hops
    assert await seen(True, "not-an-address") == "127.0.0.1"
    assert (
        rate_key("2001:db8:1:2:3:4:5:6")
        == rate_key("2001:db8:1:2:ffff::1")
        == ("2001:db8:1:2::/64")
    )
    assert rate_key("::ffff:203.0.113.5") == "203.0.113.5" == rate_key("203.0.113.5")


async def test_an_unexpected_error_is_a_500_with_the_security_headers(
    echo_server: Callable[..., Awaitable[tuple[int, str, Any]]],
) -> None:
    status, text, headers = await echo_server("/boom")
    assert status == 500 and "a bug" not in text
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
