"""Live codes: a screenshot of the Mini App's QR is worthless a minute later.

The service with an injectable clock (windows, grace, age), the attacks (unknown serial, a
forged or tampered code, a revoked certificate, a retired key), and the web answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.certificate_token import CodeKind, Status
from services.certificates import CertificateService, Channel, Issued, china_today
from services.identity import DocumentType
from services.keyring import KeyRing
from services.live_codes import LiveCodes
from services.storage import Database
from tests.test_verification_web import Site, site  # noqa: F401 (the fixture)

START = datetime(2026, 11, 21, 2, 0, 10, tzinfo=UTC)  # 10 s into a 30 s window


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def service(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[CertificateService, Clock]]:
    db = Database(database_url)
    clock = Clock()
    yield CertificateService(db, KeyRing.open(tmp_path), "https://x.example", clock=clock), clock
    await db.close()


async def issue(certificates: CertificateService) -> Issued:
    return await certificates.issue(
        holder_name="戴美玲",
        document_type=DocumentType.PRC_ID,
        document_number="11010519491231002X",
        hotel_code="wuzhen-xizha",
        check_in=china_today(START),
        nights=2,
    )


async def test_a_live_code_is_valid_in_its_window_and_two_more_then_stale(service) -> None:
    certificates, clock = service
    issued = await issue(certificates)
    shown = certificates.live_code(issued.certificate.serial)
    assert shown.window_start == START - timedelta(seconds=10)
    assert shown.next_at == shown.window_start + timedelta(seconds=30)
    fresh = await certificates.verify(shown.token, Channel.API)
    assert fresh.status is Status.VALID and fresh.code is CodeKind.LIVE
    assert fresh.claims is not None and fresh.claims.serial == issued.certificate.serial
    assert fresh.age == timedelta(seconds=10)

    clock.now = shown.window_start + timedelta(seconds=89)  # the last second of the grace
    assert (await certificates.verify(shown.token)).status is Status.VALID
    newer = certificates.live_code(issued.certificate.serial)
    assert newer.token != shown.token

    clock.now = shown.window_start + timedelta(seconds=90)
    stale = await certificates.verify(shown.token)
    assert stale.status is Status.STALE and stale.age == timedelta(seconds=90)
    assert (await certificates.verify(newer.token)).status is Status.VALID

    static = await certificates.verify(issued.token)
    assert static.status is Status.VALID and static.code is CodeKind.STATIC


async def test_a_live_code_answers_for_its_certificate_as_stored(service, tmp_path: Path) -> None:
    certificates, _clock = service
    issued = await issue(certificates)
    serial = issued.certificate.serial

    # signed with our key, for a serial we never issued: the key was stolen, or a bug
    never = LiveCodes(certificates.keys).show("C2026-999999", START)
    assert (await certificates.verify(never.token)).status is Status.INVALID

    # signed with another key under our kid, or changed by one character
    stranger = KeyRing.open(tmp_path / "stranger")
    forged = LiveCodes(stranger).show(serial, START).token
    assert (await certificates.verify(forged)).status is Status.INVALID
    genuine = certificates.live_code(serial).token
    flipped = genuine[:30] + ("A" if genuine[30] != "A" else "B") + genuine[31:]
    assert (await certificates.verify(flipped)).status is Status.INVALID

    await certificates.revoke(serial, "details do not match")
    assert (
        await certificates.verify(certificates.live_code(serial).token)
    ).status is Status.REVOKED


async def test_a_live_code_of_a_retired_key_is_invalid(service) -> None:
    certificates, _clock = service
    issued = await issue(certificates)
    before = certificates.live_code(issued.certificate.serial).token
    await certificates.retire_key(certificates.keys.active_kid)  # a leak: all it signed is void
    assert (await certificates.verify(before)).status is Status.INVALID
    # the certificate itself was signed by that key too: a new live code does not revive it
    after = certificates.live_code(issued.certificate.serial).token
    assert (await certificates.verify(after)).status is Status.INVALID


async def test_the_web_says_static_or_how_old_a_live_code_is(site: Site) -> None:  # noqa: F811
    issued = await site.issue()
    _status, body = await site.api(issued.token)
    assert body["status"] == "valid" and body["code"] == "static"
    assert body["note"] == "Static code: ask to see the live code in Telegram to match the photo."
    async with site.http.get(
        f"{site.bot.web_url}/api/v1/certificates/verify",
        params={"token": issued.token, "lang": "zh"},
    ) as response:
        assert (await response.json())[
            "note"
        ] == "静态码：请客人在 Telegram 中出示实时码，并核对照片。"

    old = LiveCodes(site.certificates.keys, window_seconds=30).show(
        issued.certificate.serial, datetime.now(UTC) - timedelta(minutes=5)
    )
    _status, body = await site.api(old.token)
    assert body["status"] == "stale" and body["code"] == "live"
    assert 300 <= body["age_seconds"] < 330
    live = site.certificates.live_code(issued.certificate.serial)
    _, page, _ = await site.page(f"/v/{live.token}", "en")
    assert 'data-status="valid">Valid</h1>' in page and "Live code shown" in page
    _, page, _ = await site.page(f"/v/{old.token}", "zh-CN")
    assert 'data-status="stale">' in page
