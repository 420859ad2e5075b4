"""The tourist's "My certificate" Mini App in Debian's Chromium, as Telegram opens it.

The page gets signed launch parameters in its URL fragment; its QR is read back from a
screenshot (zxing-cpp), changes when the window passes, and the API answers `valid` for the new
code and `stale` for the old. Forged or day-old init data gets 401, said in the person's language.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import aiohttp
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect, sync_playwright

from bot.factory import build
from bot.localapi import BotAPIStandin
from handlers.miniapp_auth import signed_init_data
from services.application_contract import ApplicationDraft, Verifier
from services.certificates import CertificateService, china_today
from services.identity import DocumentType
from services.keyring import KeyRing
from services.models import Application
from services.storage import Database
from tests.support.running import TOKEN, RunningBot, eventually
from tests.test_resident_requests import PNG, next_message
from tests.test_sandbox_browser import CHROMIUM, CHROMIUM_FLAGS

TOURIST = {"id": 4001, "first_name": "Dai", "language_code": "en"}
WINDOW = 2  # LIVE_CODE_SECONDS here: the grace is two more windows


async def certificate_for(bot: RunningBot, tourist_id: int) -> str:
    """An approved application of the tourist with its certificate, as the bot would store it."""
    db = Database(bot.settings.effective_database_url)
    try:
        async with db.session() as session:
            application = Application(
                tourist_id=tourist_id,
                full_name_encrypted="",
                document_type="prc_id",
                document_number_encrypted="",
                phone_encrypted="",
                hotel_code="wuzhen-xizha",
                check_in=china_today(),
                nights=2,
                selfie_file_id_encrypted="",
                status="approved",
            )
            session.add(application)
            await session.commit()
            application_id = application.id
        certificates = CertificateService(db, KeyRing.open(bot.settings.data_dir), bot.web_url)
        issued = await certificates.issue(
            holder_name="戴美玲",
            document_type=DocumentType.PRC_ID,
            document_number="11010519491231002X",
            hotel_code="wuzhen-xizha",
            check_in=china_today(),
            nights=2,
            application_id=application_id,
        )
        return issued.certificate.serial
    finally:
        await db.close()


def launch_url(bot: RunningBot, init_data: str) -> str:
    return f"{bot.web_url}/app/certificate#tgWebAppData={quote(init_data)}&tgWebAppVersion=8.0"


def qr_on(page: Page) -> str:
    shot = page.locator("#qr").screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)).convert("L"))
    assert found, "no QR code on the screen"
    return str(found[0].text)


def browse(url: str, action: Callable[[Page], object], locale: str = "en-US") -> object:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(locale=locale)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(url)
            result = action(page)
            assert not errors, errors
            return result
        finally:
            browser.close()


def two_codes(page: Page) -> tuple[str, str, str]:
    expect(page.locator("body[data-state=certificate]")).to_be_attached(timeout=15_000)
    expect(page.locator("dl")).to_contain_text("Xizha Waterside Inn")
    expect(page.locator("dl")).to_contain_text("戴*玲")
    expect(page.locator("#clock")).to_have_text(re.compile(r"\d\d:\d\d:\d\d"))
    first = qr_on(page)
    deadline = time.monotonic() + 4 * WINDOW
    second = first
    while second == first and time.monotonic() < deadline:
        page.wait_for_timeout(250)
        second = qr_on(page)
    return first, second, page.locator("#clock").inner_text()


async def verify(http: aiohttp.ClientSession, bot: RunningBot, link: str) -> dict[str, object]:
    url = f"{bot.web_url}/api/v1/certificates/verify"
    async with http.get(url, params={"token": link}) as response:
        return dict(await response.json())


async def test_the_live_qr_changes_and_an_old_one_is_stale(
    run_bot: Callable[..., Awaitable[RunningBot]],
) -> None:
    bot = await run_bot(live_code_seconds=WINDOW)
    serial = await certificate_for(bot, TOURIST["id"])
    init_data = signed_init_data(TOKEN, TOURIST, datetime.now(UTC))
    first, second, _clock = await asyncio.to_thread(browse, launch_url(bot, init_data), two_codes)
    assert first != second, "the QR did not change after its window"
    assert first.startswith(f"{bot.web_url}/v/")
    async with aiohttp.ClientSession() as http:
        newer = await verify(http, bot, second)
        assert newer["status"] == "valid" and newer["code"] == "live"
        assert newer["serial"] == serial
        await asyncio.sleep(3 * WINDOW)
        older = await verify(http, bot, first)
        assert older["status"] == "stale" and older["age_seconds"] >= 3 * WINDOW


def refused(page: Page) -> str:
    expect(page.locator("body[data-state=refused]")).to_be_attached(timeout=15_000)
    return page.locator("#message").inner_text()


async def test_forged_or_day_old_init_data_is_refused_in_the_persons_language(
    run_bot: Callable[..., Awaitable[RunningBot]],
) -> None:
    bot = await run_bot()
    await certificate_for(bot, TOURIST["id"])
    chinese = {**TOURIST, "language_code": "zh-hans"}
    forged = signed_init_data("123:another-bot", chinese, datetime.now(UTC))
    said = await asyncio.to_thread(browse, launch_url(bot, forged), refused)
    assert said == "请从 Telegram 中的机器人打开此页面：无法确认你是谁。"
    old = signed_init_data(TOKEN, TOURIST, datetime.now(UTC) - timedelta(days=1, minutes=1))
    said = await asyncio.to_thread(browse, launch_url(bot, old), refused)
    assert (
        said == "This page was opened more than a day ago: close it and open it again from the bot."
    )
    async with aiohttp.ClientSession() as http:
        for init_data in (forged, old, ""):
            url = f"{bot.web_url}/app/api/certificate"
            async with http.post(url, headers={"Authorization": f"tma {init_data}"}) as response:
                assert response.status == 401
                assert "certificate" not in await response.json()


async def test_the_bot_opens_the_mini_app_for_a_current_certificate(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> None:
    bot = await run_bot(public_base_url="https://linkage.example")
    dai = standin.user(TOURIST["id"], "Dai", language_code="en")
    serial = await certificate_for(bot, dai.id)
    standin.send_command(dai, "/certificate")
    answer = await next_message(standin, dai.id)
    assert answer["text"].startswith(f"Your accommodation certificate {serial} is valid")
    [[button], [another]] = answer["reply_markup"]["inline_keyboard"]
    assert button["text"] == "📱 My certificate"
    assert button["web_app"] == {"url": "https://linkage.example/app/certificate"}
    assert another["text"] == "➕ Apply for another stay"  # a current certificate is no dead end
    standin.press_button(dai, answer, another["callback_data"])
    asked = await next_message(standin, dai.id)
    assert asked["text"].startswith("An accommodation certificate lets you check in at a hotel")
    assert asked["text"].endswith("Do you agree?")


async def test_the_card_again_and_the_menu_button(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> None:
    standin.group(-1001, title="Verifiers")
    bot = await run_bot(public_base_url="https://linkage.example")
    dai = standin.user(TOURIST["id"], "Dai", language_code="en")
    linkage = build(bot.settings)  # the bot's services: an application approved
    try:
        application = await linkage.applications.submit(
            ApplicationDraft(
                tourist_id=dai.id,
                locale="en",
                full_name="Dai Lingling",
                document_type="prc_id",
                document_number="11010519491231002X",
                birth_date=None,
                phone="+8613800138000",
                hotel_code="wuzhen-xizha",
                check_in=china_today(),
                nights=1,
                selfie_file_id=standin.state.files.add_photo(PNG)[-1]["file_id"],
            )
        )
        assert application.id is not None
        issued = await linkage.applications.approve(application.id, Verifier(9101, "Officer Zhou"))
    finally:
        await linkage.close()
    card, link = await standin.wait_for_messages(dai.id, count=2, timeout=15)
    assert card["caption"].startswith(
        f"✅ Your accommodation certificate {issued.certificate.serial}"
    )
    menu = await eventually(lambda: standin.calls("setChatMenuButton"), within=10)
    assert menu[0].params["chat_id"] == dai.id
    assert menu[0].params["menu_button"] == {
        "type": "web_app",
        "text": "My certificate",
        "web_app": {"url": "https://linkage.example/app/certificate"},
    }
    headers = {"Authorization": "tma " + signed_init_data(TOKEN, TOURIST, datetime.now(UTC))}
    stranger = {**TOURIST, "id": 4009}
    async with aiohttp.ClientSession() as http:
        url = f"{bot.web_url}/app/api/certificate/card"
        other = {"Authorization": "tma " + signed_init_data(TOKEN, stranger, datetime.now(UTC))}
        async with http.post(url, headers=other) as response:
            assert await response.json() == {"sent": False}  # no certificate of theirs
        async with http.post(url, headers=headers) as response:
            assert await response.json() == {"sent": True}
    again, link_again = await standin.wait_for_messages(dai.id, count=2, timeout=15)
    assert again["caption"] == card["caption"]
    assert link_again["text"] == link["text"]
    assert not standin.pending_messages(4009)


async def test_a_pending_application_shows_and_can_be_withdrawn(
    run_bot: Callable[..., Awaitable[RunningBot]],
) -> None:
    bot = await run_bot()
    db = Database(bot.settings.effective_database_url)
    async with db.session() as session:
        session.add(
            Application(
                tourist_id=TOURIST["id"],
                full_name_encrypted="",
                document_type="prc_id",
                document_number_encrypted="",
                phone_encrypted="",
                hotel_code="wuzhen-xizha",
                check_in=china_today(),
                nights=1,
                selfie_file_id_encrypted="",
            )
        )
        await session.commit()
    await db.close()
    headers = {"Authorization": "tma " + signed_init_data(TOKEN, TOURIST, datetime.now(UTC))}
    stranger = {**TOURIST, "id": 4002}
    async with aiohttp.ClientSession() as http:
        base = f"{bot.web_url}/app/api/certificate"
        async with http.post(base, headers=headers) as response:
            body = await response.json()
        assert body["state"] == "pending" and body["application"]["id"] >= 1
        assert body["strings"]["withdraw"] == "Withdraw the application"
        other = {"Authorization": "tma " + signed_init_data(TOKEN, stranger, datetime.now(UTC))}
        async with http.post(f"{base}/withdraw", headers=other) as response:
            assert (await response.json()) == {"withdrawn": False}  # not theirs to withdraw
        async with http.post(f"{base}/withdraw", headers=headers) as response:
            assert (await response.json()) == {"withdrawn": True}
        async with http.post(base, headers=headers) as response:
            assert (await response.json())["state"] == "none"
