"""Verification on the web, against the running bot: the /v/ page, the JSON API, the keys."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import select

from services.certificate_token import Status, Verifier, encode_token
from services.certificates import CertificateService, Issued, china_today
from services.identity import DocumentType
from services.keyring import KeyRing
from services.models import VerificationLog
from services.storage import Database
from tests.support.running import RunningBot

STANDARD_EXAMPLE = "11010519491231002X"


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
            "document_number": STANDARD_EXAMPLE,
            "hotel_code": "wuzhen-xizha",
            "check_in": check_in or china_today(),
            "nights": nights,
            **changes,
        }
        return await self.certificates.issue(**details)

    async def page(self, path: str, language: str | None = None) -> tuple[int, str, Any]:
        headers = {"Accept-Language": language} if language else {}
        async with self.http.get(f"{self.bot.web_url}{path}", headers=headers) as response:
            return response.status, await response.text(), response.headers

    async def api(self, token: str | None) -> tuple[int, dict[str, Any]]:
        params = {} if token is None else {"token": token}
        url = f"{self.bot.web_url}/api/v1/certificates/verify"
        async with self.http.get(url, params=params) as response:
            return response.status, await response.json()


@pytest.fixture
async def site(run_bot: Callable[..., Awaitable[RunningBot]]) -> AsyncIterator[Site]:
    bot = await run_bot()
    # the bot made its keys in DATA_DIR; this is a second process sharing them and the database
    db = Database(bot.settings.effective_database_url)
    certificates = CertificateService(db, KeyRing.open(bot.settings.data_dir), bot.web_url)
    async with aiohttp.ClientSession() as http:
        yield Site(bot, db, certificates, http)
    await db.close()


async def test_the_page_in_chinese_and_in_english(site: Site) -> None:
    issued = await site.issue()
    assert issued.url.startswith(f"{site.bot.web_url}/v/")
    path = issued.url.removeprefix(site.bot.web_url)

    status, page, headers = await site.page(path, "zh-CN,zh;q=0.9,en;q=0.8")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert headers["Content-Language"] == "zh"
    assert "no-store" in headers["Cache-Control"]
    assert 'data-status="valid">有效</h1>' in page
    assert "临时住宿证明" in page and "戴*玲" in page and "西栅水岸客栈" in page
    assert "110***********002X" in page and "居民身份证" in page
    assert "<script" not in page
    assert STANDARD_EXAMPLE not in page and "美" not in page

    status, page, headers = await site.page(path, "en-GB,en;q=0.9,zh;q=0.5")
    assert status == 200 and headers["Content-Language"] == "en"
    assert 'data-status="valid">Valid</h1>' in page
    assert "Temporary accommodation certificate" in page and "Xizha Waterside Inn" in page
    assert "PRC resident ID card" in page

    _, page, _ = await site.page(path + "?lang=zh", "en")  # the language link on the page
    assert 'data-status="valid">有效</h1>' in page
    _, page, headers = await site.page(path)  # no preference: DEFAULT_LOCALE
    assert headers["Content-Language"] == site.bot.settings.default_locale


async def test_the_page_shows_every_status(site: Site) -> None:
    today = china_today()
    expired = await site.issue(check_in=today - timedelta(days=10))
    future = await site.issue(check_in=today + timedelta(days=30))
    revoked = await site.issue()
    await site.certificates.revoke(revoked.certificate.serial, "details do not match")
    cases = [
        (expired.token, "已过期", "Expired"),
        (future.token, "尚未生效", "Not yet valid"),
        (revoked.token, "已撤销", "Revoked"),
        (revoked.token[:-5], "无效", "Invalid"),
        ("not-a-certificate", "无效", "Invalid"),
        ("%E8%AF%81", "无效", "Invalid"),
    ]
    for token, chinese, english in cases:
        status, page, _ = await site.page(f"/v/{token}", "zh")
        assert status == 200 and f">{chinese}</h1>" in page, token
        status, page, _ = await site.page(f"/v/{token}", "en")
        assert status == 200 and f">{english}</h1>" in page, token


async def test_the_api_answers_each_status_with_masked_fields(site: Site) -> None:
    today = china_today()
    valid = await site.issue()
    status, body = await site.api(valid.token)
    assert status == 200
    assert body == {
        "status": "valid",
        "serial": valid.certificate.serial,
        "holder": "戴*玲",
        "document_type": "prc_id",
        "document": "110***********002X",
        "hotel": "wuzhen-xizha",
        "hotel_name": {"en": "Xizha Waterside Inn", "zh": "西栅水岸客栈"},
        "valid_from": today.isoformat(),
        "valid_until": (today + timedelta(days=2)).isoformat(),
        "issued_at": valid.certificate.issued_at.isoformat(),
        "kid": valid.certificate.kid,
        "code": "static",  # the printed card's: the desk asks for the live code (test_live_codes)
        "note": body["note"],
    }
    assert body["note"].startswith(("Static code", "静态码"))
    assert (await site.api(valid.url))[1]["status"] == "valid"  # the whole link works too

    expired = await site.issue(check_in=today - timedelta(days=5), nights=1)
    future = await site.issue(check_in=today + timedelta(days=3))
    assert (await site.api(expired.token))[1]["status"] == "expired"
    assert (await site.api(future.token))[1]["status"] == "not_yet_valid"

    await site.certificates.revoke(valid.certificate.serial, "photo unclear")
    status, body = await site.api(valid.token)
    assert status == 200 and body["status"] == "revoked" and "revoked_at" in body
    assert "photo unclear" not in str(body)

    forged = encode_token(
        future.claims, Ed25519PrivateKey.generate(), kid=site.certificates.keys.active_kid
    )
    for bad in (
        forged,
        encode_token(future.claims, Ed25519PrivateKey.generate()),  # an unknown kid
        future.token[:-1],
        future.token[:10] + ("B" if future.token[10] != "B" else "C") + future.token[11:],
        "garbage",
        "",
        "x" * 3000,  # longer than any token (the server takes URLs up to 8 KiB)
        "'; DROP TABLE certificate; --",
        None,  # no token parameter at all
    ):
        status, body = await site.api(bad)
        assert (status, body) == (200, {"status": "invalid"}), str(bad)[:40]


async def test_the_keys_are_published_as_a_jwk_set(site: Site) -> None:
    issued = await site.issue()
    async with site.http.get(f"{site.bot.web_url}/.well-known/linkage-keys.json") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("application/json")
        jwks = await response.json()
    [key] = jwks["keys"]
    assert key["kid"] == issued.certificate.kid
    assert {key["kty"], key["crv"], key["alg"], key["use"]} == {"OKP", "Ed25519", "EdDSA", "sig"}
    assert "d" not in key
    verifier = Verifier.from_jwks(jwks)  # a front desk app checking offline
    assert verifier.verify(issued.token, today=china_today()).status is Status.VALID


async def test_verifications_on_the_web_are_logged_by_channel(site: Site) -> None:
    issued = await site.issue()
    await site.page(f"/v/{issued.token}", "zh")
    await site.api(issued.token)
    await site.api("garbage")
    async with site.db.session() as session:
        rows = (await session.exec(select(VerificationLog).order_by(VerificationLog.id))).all()  # type: ignore[arg-type]
    assert [(row.channel, row.result) for row in rows] == [
        ("web", "valid"),
        ("api", "valid"),
        ("api", "invalid"),
    ]
