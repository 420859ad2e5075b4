"""The front desk's console Mini App (/app/desk) through its API, as the page asks it.

A live code shows the holder's reviewed selfie, full name and the document's last four to the
desk of the certificate's own hotel, on the day it is valid, and to nobody else: not another
hotel's desk, not a former desk, not a stranger with forged or day-old init data, not the public
page or API. Check in, check out, undo with a reason, today's arrivals; another hotel's code and
a stale live code are flagged to the desk and to the verifier chat.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import aiohttp
import pytest
from playwright.sync_api import Page, expect

from bot.localapi import BotAPIStandin
from handlers.miniapp_auth import signed_init_data
from services.certificates import china_today
from services.roles import Role
from tests.support.desk import DOCUMENT, FULL_NAME, Office, ask, person, tma
from tests.support.running import TOKEN, RunningBot, eventually
from tests.test_miniapp_certificate import browse

VERIFIER_CHAT = -1001
XIZHA_DESK, DONGZHA_DESK, FORMER_DESK, STRANGER = 6101, 6102, 6103, 6104


@pytest.fixture
async def office(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> AsyncIterator[Office]:
    standin.group(VERIFIER_CHAT, title="Verifiers")
    bot = await run_bot()
    office = Office.open(bot, standin)
    await office.desk(XIZHA_DESK, "wuzhen-xizha")
    await office.desk(DONGZHA_DESK, "wuzhen-dongzha")
    yield office
    await office.db.close()


def flags(standin: BotAPIStandin) -> list[str]:
    return [m.get("text", "") for m in standin.messages(VERIFIER_CHAT) if "🚩" in m.get("text", "")]


async def test_a_live_code_shows_the_selfie_to_its_hotels_desk_and_to_nobody_else(
    standin: BotAPIStandin, office: Office
) -> None:
    issued, photo = await office.certificate()
    serial = issued.certificate.serial
    live = office.certificates.url_for(office.certificates.live_code(serial).token)
    bot = office.bot
    async with aiohttp.ClientSession() as http:
        status, shown, _ = await ask(
            http, bot, "/app/api/desk/check", tma(person(XIZHA_DESK)), {"code": live}
        )
        assert status == 200
        assert shown["status"] == "valid" and shown["serial"] == serial
        assert shown["person"]["full_name"] == FULL_NAME
        assert shown["person"]["last4"] == DOCUMENT[-4:]
        assert shown["person"]["selfie"] is True
        assert shown["note"].startswith("Live code shown ")
        assert shown["warning"] is None and shown["actions"] == ["checkin"]
        status, image, headers = await ask(
            http, bot, "/app/api/desk/selfie", tma(person(XIZHA_DESK)), {"serial": serial}
        )
        assert status == 200 and image == photo
        assert headers["Cache-Control"] == "no-store"

        # another hotel's desk: the status and a warning, never the person
        status, other, _ = await ask(
            http, bot, "/app/api/desk/check", tma(person(DONGZHA_DESK, "zh")), {"code": live}
        )
        assert status == 200 and other["status"] == "valid"
        assert "person" not in other and FULL_NAME not in str(other)
        assert other["warning"].startswith(
            "⚠️ 该证明适用于西栅水岸客栈，不是您的酒店（东栅河畔民宿）"
        )
        assert other["actions"] == []
        status, _body, _ = await ask(
            http, bot, "/app/api/desk/selfie", tma(person(DONGZHA_DESK)), {"serial": serial}
        )
        assert status == 404
        await eventually(lambda: flags(standin), within=10)
        assert f"🚩 Certificate {serial} (for Xizha Waterside Inn)" in flags(standin)[0]

        # a former desk, a stranger, forged and day-old init data
        await office.roles.revoke(FORMER_DESK, Role.FRONTDESK)
        await office.desk(FORMER_DESK, "wuzhen-xizha")
        await office.roles.revoke(FORMER_DESK, Role.FRONTDESK)
        day_old = datetime.now(UTC) - timedelta(days=1, minutes=1)
        attempts = {
            403: [tma(person(FORMER_DESK)), tma(person(STRANGER))],
            401: [
                tma(person(XIZHA_DESK), token="123:another-bot"),
                tma(person(XIZHA_DESK), when=day_old),
                {"Authorization": "tma "},
            ],
        }
        for expected, headers_list in attempts.items():
            for attempt in headers_list:
                for path, body in (
                    ("/app/api/desk/check", {"code": live}),
                    ("/app/api/desk/selfie", {"serial": serial}),
                    ("/app/api/desk", {}),
                    ("/app/api/desk/checkin", {"serial": serial}),
                ):
                    status, said, _ = await ask(http, bot, path, attempt, body)
                    assert status == expected, (path, status)
                    assert FULL_NAME not in str(said) and "arrivals" not in said
        status, said, _ = await ask(http, bot, "/app/api/desk", tma(person(STRANGER, "zh")))
        assert said["error"] == "此控制台仅供酒店前台使用；您不是前台。"

        # the public page and API never show the person
        async with http.get(
            f"{bot.web_url}/api/v1/certificates/verify", params={"token": live}
        ) as response:
            public = await response.text()
        assert '"valid"' in public and FULL_NAME not in public and "selfie" not in public
        async with http.get(live) as response:
            page = await response.text()
        assert FULL_NAME not in page and "selfie" not in page.lower()


async def test_a_stale_live_code_and_a_purged_selfie(
    standin: BotAPIStandin, office: Office
) -> None:
    issued, _photo = await office.certificate()
    serial = issued.certificate.serial
    old = office.certificates.live_codes.show(serial, datetime.now(UTC) - timedelta(minutes=5))
    async with aiohttp.ClientSession() as http:
        status, shown, _ = await ask(
            http, office.bot, "/app/api/desk/check", tma(person(XIZHA_DESK)), {"code": old.token}
        )
        assert shown["status"] == "stale" and "person" not in shown
        assert re.match(r"⚠️ This live code is 3\d\d s old: it is a screenshot", shown["warning"])
        assert shown["warning"].endswith("The verifiers have been told.")
        assert shown["actions"] == []
        await eventually(lambda: flags(standin), within=10)
        assert f"A stale live code of certificate {serial}" in flags(standin)[0]

        await office.purge(serial)
        live = office.certificates.live_code(serial).token
        status, shown, _ = await ask(
            http, office.bot, "/app/api/desk/check", tma(person(XIZHA_DESK)), {"code": live}
        )
        assert shown["status"] == "valid"
        assert shown["person"]["selfie"] is False
        assert shown["person"]["note"] == (
            "The photo the reviewers approved has been deleted (personal data purged)."
        )
        status, _body, _ = await ask(
            http, office.bot, "/app/api/desk/selfie", tma(person(XIZHA_DESK)), {"serial": serial}
        )
        assert status == 404


async def test_check_in_check_out_undo_and_todays_arrivals(office: Office) -> None:
    today, _ = await office.certificate()
    tomorrow, _ = await office.certificate(4002, check_in=china_today() + timedelta(days=1))
    elsewhere, _ = await office.certificate(4003, hotel="wuzhen-dongzha")
    serial = today.certificate.serial
    desk, other = tma(person(XIZHA_DESK)), tma(person(DONGZHA_DESK))
    bot = office.bot
    async with aiohttp.ClientSession() as http:

        async def arrivals() -> list[dict[str, object]]:
            status, body, _ = await ask(http, bot, "/app/api/desk", desk)
            assert status == 200 and body["hotel"] == "Xizha Waterside Inn"
            return list(body["arrivals"])

        [due] = await arrivals()  # not tomorrow's guest, not another hotel's
        assert due["serial"] == serial and due["holder"] == "戴*玲"
        assert due["check_in"] is None and due["actions"] == []

        status, said, _ = await ask(http, bot, "/app/api/desk/checkin", other, {"serial": serial})
        assert status == 409
        assert (
            said["error"]
            == "Not checked in: this certificate is for Xizha Waterside Inn, not your hotel."
        )
        status, said, _ = await ask(http, bot, "/app/api/desk/checkin", desk, {"serial": serial})
        assert status == 200 and said["message"].startswith(
            f"{serial}: Checked in at Xizha Waterside Inn on "
        )
        [due] = await arrivals()
        assert due["check_in"]["checked_out"] is False
        assert due["actions"] == ["checkout", "undo"]

        status, said, _ = await ask(http, bot, "/app/api/desk/checkout", other, {"serial": serial})
        assert status == 409 and said["error"].startswith(
            f"{serial} has no open check-in at your hotel."
        )
        status, said, _ = await ask(http, bot, "/app/api/desk/checkout", desk, {"serial": serial})
        assert status == 200 and "Checked out on " in said["message"]
        status, said, _ = await ask(http, bot, "/app/api/desk/checkout", desk, {"serial": serial})
        assert status == 409 and "Checked out on " in said["error"]
        [due] = await arrivals()
        assert due["check_in"]["checked_out"] is True and due["actions"] == ["undo"]

        status, said, _ = await ask(
            http, bot, "/app/api/desk/undo", desk, {"serial": serial, "reason": "  "}
        )
        assert status == 400
        assert said["error"] == "Write why the check-in is wrong, then press Undo again."
        status, said, _ = await ask(
            http, bot, "/app/api/desk/undo", desk, {"serial": serial, "reason": "wrong guest"}
        )
        assert status == 200
        assert said["message"] == f"The check-in of {serial} is undone; the reason is on record."
        [due] = await arrivals()
        assert due["check_in"] is None
        status, said, _ = await ask(http, bot, "/app/api/desk/checkin", desk, {"serial": serial})
        assert status == 200  # checked in again, the undone one stays on record
        for issued in (tomorrow, elsewhere):
            status, said, _ = await ask(
                http, bot, "/app/api/desk/checkin", desk, {"serial": issued.certificate.serial}
            )
            assert status == 409


def desk_url(bot: RunningBot, user: dict[str, object]) -> str:
    init_data = signed_init_data(TOKEN, user, datetime.now(UTC))
    return f"{bot.web_url}/app/desk#tgWebAppData={quote(init_data)}&tgWebAppVersion=8.0"


def scan_and_check_in(code: str) -> Callable[[Page], dict[str, str]]:
    def walk(page: Page) -> dict[str, str]:
        expect(page.locator("body[data-state=desk]")).to_be_attached(timeout=15_000)
        expect(page.locator("h1")).to_have_text("Front desk · Xizha Waterside Inn")
        expect(page.locator("#arrival-list li")).to_contain_text("not checked in")
        page.fill("#code", code)
        page.click("#check")
        expect(page.locator("#status")).to_have_attribute("data-status", "valid")
        expect(page.locator("#selfie[data-loaded=yes]")).to_be_attached()
        natural = page.eval_on_selector("#selfie", "img => img.naturalWidth")
        details = page.locator("#details").inner_text()
        page.click("#result button[data-action=checkin]")
        expect(page.locator("#said")).to_contain_text("Checked in at Xizha Waterside Inn")
        expect(page.locator("#arrival-list li")).to_contain_text("Checked in at")
        page.click("#arrival-list button[data-action=undo]")  # asks for the reason first
        page.fill("#arrival-list input", "the wrong guest")
        page.click("#arrival-list button[data-action=undo]")
        expect(page.locator("#arrival-list li")).to_contain_text("not checked in")
        return {"details": details, "width": str(natural)}

    return walk


def refused_here(page: Page) -> str:
    expect(page.locator("body[data-state=refused]")).to_be_attached(timeout=15_000)
    return page.locator("#message").inner_text()


async def test_the_console_in_a_browser(office: Office) -> None:
    issued, _photo = await office.certificate()
    live = office.certificates.url_for(
        office.certificates.live_code(issued.certificate.serial).token
    )
    url = desk_url(office.bot, person(XIZHA_DESK))
    seen = await asyncio.to_thread(browse, url, scan_and_check_in(live))
    assert isinstance(seen, dict)
    assert FULL_NAME in seen["details"] and "last four: 002X" in seen["details"]
    assert seen["width"] == "320"  # the selfie as reviewed, drawn from the API's stream
    stranger = desk_url(office.bot, person(STRANGER, "zh"))
    said = await asyncio.to_thread(browse, stranger, refused_here, "zh-CN")
    assert said == "此控制台仅供酒店前台使用；您不是前台。"
