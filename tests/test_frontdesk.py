"""The front desk in the bot: a photo of the certificate card's QR code, a typed code, check-in,
another hotel's certificate, the public status for anyone else, and /revoke.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image

from bot.localapi import BotAPIStandin
from services.certificate_card import CertificateCard, render_card
from services.certificates import CertificateService, Issued, china_today
from services.identity import DocumentType
from services.keyring import KeyRing
from services.models import Application
from services.roles import Role, RoleService
from services.storage import Database
from tests.support.desk import FULL_NAME, Office
from tests.support.people import inline_buttons
from tests.support.running import RunningBot, eventually

ADMIN = 9001
VERIFIER_CHAT = -1001  # STAFF_CHAT_ID in the tests, so VERIFIER_CHAT_ID too
XIZHA = {"en": "Xizha Waterside Inn", "zh": "西栅水岸客栈"}
NO_QR = "I could not find a QR code in this photo; try again closer and in focus, or type the code."


@dataclass
class Desk:
    bot: RunningBot
    db: Database
    certificates: CertificateService
    roles: RoleService

    async def issue(self, **changes: Any) -> Issued:
        details: dict[str, Any] = {
            "holder_name": "戴美玲",
            "document_type": DocumentType.PRC_ID,
            "document_number": "11010519491231002X",
            "hotel_code": "wuzhen-xizha",
            "check_in": china_today(),
            "nights": 2,
            **changes,
        }
        return await self.certificates.issue(**details)


@pytest.fixture
async def desk(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> AsyncIterator[Desk]:
    standin.group(VERIFIER_CHAT, title="Verifiers")
    bot = await run_bot(admin_ids=str(ADMIN), public_base_url="https://linkage.example")
    # the bot made its keys in DATA_DIR; this is a second process sharing them and the database
    db = Database(bot.settings.effective_database_url)
    certificates = CertificateService(
        db, KeyRing.open(bot.settings.data_dir), bot.settings.effective_public_base_url
    )
    yield Desk(bot, db, certificates, RoleService(db))
    await db.close()


def card_png(issued: Issued) -> bytes:
    return render_card(CertificateCard.of(issued.certificate, issued.url, XIZHA))


def blank_png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 180, 160)).save(output, format="PNG")
    return output.getvalue()


async def next_message(standin: BotAPIStandin, chat_id: int) -> dict[str, Any]:
    [message] = await standin.wait_for_messages(chat_id, timeout=15)
    return message


async def answer_to(standin: BotAPIStandin, query_id: str) -> str:
    answers = await eventually(lambda: standin.callback_answers(query_id), within=10)
    return str(answers[0].get("text", ""))


async def test_a_front_desk_scans_the_card_and_checks_the_guest_in(
    standin: BotAPIStandin, desk: Desk
) -> None:
    lin = standin.user(6001, "Lin", language_code="en")
    await desk.roles.grant(lin.id, Role.FRONTDESK, hotel_code="wuzhen-xizha")
    standin.send_command(lin, "/start")
    assert (await next_message(standin, lin.id))["text"].endswith(
        "🏨 You are at the front desk of Xizha Waterside Inn: send me a photo of a certificate's "
        "QR code, or type its code, to check a guest's certificate."
    )
    issued = await desk.issue()
    serial = issued.certificate.serial
    photo = card_png(issued)

    standin.send_photo(lin, photo)
    shown = await next_message(standin, lin.id)
    text = shown["text"]
    assert text.startswith("✅ Valid\nThis certificate is genuine and valid today.")
    assert f"Serial: {serial}" in text
    assert "Holder: 戴*玲" in text and "美" not in text
    assert "Document: PRC resident ID card 110***********002X" in text
    assert "11010519491231002X" not in text
    assert "Hotel: Xizha Waterside Inn" in text
    assert f"Valid from: {issued.certificate.valid_from.isoformat()}" in text
    assert f"Valid until: {issued.certificate.valid_until.isoformat()}" in text
    buttons = inline_buttons(shown)
    assert list(buttons) == ["✅ Check in"]

    standin.press_button(lin, shown, buttons["✅ Check in"])
    done = await next_message(standin, lin.id)
    assert done["text"].startswith(f"✅ {serial} is checked in at Xizha Waterside Inn on ")
    assert done["text"].endswith("(China time).")
    await eventually(lambda: not inline_buttons(standin.messages(lin.id)[0]))  # button gone

    again = standin.press_button(lin, shown, buttons["✅ Check in"])  # a second press
    assert (await answer_to(standin, again)).startswith(
        f"{serial} was already checked in at Xizha Waterside Inn on "
    )
    standin.send_message(lin, issued.url)  # the link typed or pasted: checked, no second button
    later = await next_message(standin, lin.id)
    assert later["text"].startswith("✅ Valid")
    assert "Checked in at Xizha Waterside Inn on " in later["text"]
    assert list(inline_buttons(later)) == ["Check out", "Undo the check-in"]


async def test_another_hotels_desk_is_warned_and_a_stranger_sees_the_public_status(
    standin: BotAPIStandin, desk: Desk
) -> None:
    dongzha = standin.user(6002, "东栅前台", language_code="zh")
    await desk.roles.grant(dongzha.id, Role.FRONTDESK, hotel_code="wuzhen-dongzha")
    tourist_friend = standin.user(6004, "Ann", language_code="en")
    chinese_stranger = standin.user(6005, "路人", language_code="zh")
    issued = await desk.issue()
    photo = card_png(issued)

    standin.send_photo(dongzha, photo)
    warned = await next_message(standin, dongzha.id)
    assert warned["text"].startswith("✅ 有效")
    assert "住宿酒店：西栅水岸客栈" in warned["text"]
    assert (
        "⚠️ 该证明适用于西栅水岸客栈，不是您的酒店（东栅河畔民宿）。请勿在此为该旅客办理入住。"
        in warned["text"]
    )
    assert not inline_buttons(warned)

    standin.send_photo(tourist_friend, photo)
    public = await next_message(standin, tourist_friend.id)
    assert public["text"].startswith("✅ Valid")
    assert "Holder: 戴*玲" in public["text"]
    assert not inline_buttons(public)

    standin.send_message(chinese_stranger, issued.token)  # the bare code, typed
    typed = await next_message(standin, chinese_stranger.id)
    assert typed["text"].startswith("✅ 有效\n")
    assert f"证明编号：{issued.certificate.serial}" in typed["text"]
    assert "持证人：戴*玲" in typed["text"]
    assert not inline_buttons(typed)

    standin.send_photo(tourist_friend, blank_png())
    assert (await next_message(standin, tourist_friend.id))["text"] == NO_QR


async def test_revoke_by_a_verifier_and_what_the_desk_sees_then(
    standin: BotAPIStandin, desk: Desk
) -> None:
    lin = standin.user(6001, "Lin", language_code="en")
    await desk.roles.grant(lin.id, Role.FRONTDESK, hotel_code="wuzhen-xizha")
    verifier = standin.user(6003, "审核员小王", language_code="zh")
    standin.add_member(VERIFIER_CHAT, verifier.id)  # a verifier by membership
    stranger = standin.user(6006, "Max", language_code="en")
    tourist = standin.user(6007, "Meiling", language_code="en")
    async with desk.db.session() as session:  # the application the certificate came from
        application = Application(
            tourist_id=tourist.id,
            tourist_locale="en",
            full_name_encrypted="-",
            document_type=DocumentType.PRC_ID.value,
            document_number_encrypted="-",
            phone_encrypted="-",
            hotel_code="wuzhen-xizha",
            check_in=china_today(),
            nights=2,
            selfie_file_id_encrypted="-",
            status="approved",
        )
        session.add(application)
        await session.commit()
        await session.refresh(application)
    issued = await desk.issue(application_id=application.id)
    serial = issued.certificate.serial

    standin.send_command(stranger, "/revoke", f"{serial} looks fake")
    assert (await next_message(standin, stranger.id))["text"] == (
        "Only verifiers and administrators can revoke certificates."
    )
    standin.send_command(verifier, "/revoke", serial)
    assert (await next_message(standin, verifier.id))["text"] == (
        f"请同时写明原因：/revoke {serial} 后面加上原因。"
    )
    standin.send_command(verifier, "/revoke", "C2026-999999 不存在")
    assert (await next_message(standin, verifier.id))["text"] == "没有编号为 C2026-999999 的证明。"
    standin.send_command(verifier, "/revoke", f"{serial} 信息与本人不符")
    assert (await next_message(standin, verifier.id))["text"] == f"证明 {serial} 已撤销。"
    assert (await next_message(standin, tourist.id))["text"] == (
        f"Your accommodation certificate {serial} has been revoked: 信息与本人不符\n\n"
        "If you think this is a mistake, apply again or ask the local police station."
    )
    standin.send_command(verifier, "/revoke", f"{serial} 再次")
    assert (await next_message(standin, verifier.id))["text"].startswith(f"证明 {serial} 已于 ")

    standin.send_photo(lin, card_png(issued))
    shown = await next_message(standin, lin.id)
    assert shown["text"].startswith("⛔ Revoked\nThis certificate was revoked. Do not accept it.")
    assert "Revoked on: " in shown["text"]
    assert not inline_buttons(shown)

    admin = standin.user(ADMIN, "Chief", language_code="en")
    other = await desk.issue(check_in=china_today() + timedelta(days=1))
    standin.send_command(admin, "/revoke", f"{other.certificate.serial} issued by mistake")
    assert (await next_message(standin, admin.id))["text"] == (
        f"Certificate {other.certificate.serial} is revoked."
    )


async def test_a_front_desk_cannot_check_in_what_is_not_valid_today(
    standin: BotAPIStandin, desk: Desk
) -> None:
    lin = standin.user(6001, "Lin", language_code="en")
    await desk.roles.grant(lin.id, Role.FRONTDESK, hotel_code="wuzhen-xizha")
    future = await desk.issue(check_in=china_today() + timedelta(days=3))
    standin.send_message(lin, future.url)
    shown = await next_message(standin, lin.id)
    assert shown["text"].startswith("🕒 Not yet valid")
    assert not inline_buttons(shown)

    standin.send_message(lin, future.token[:-6])  # a code cut short: checked, and invalid
    cut = await next_message(standin, lin.id)
    assert cut["text"].startswith("❌ Invalid")
    assert "Serial" not in cut["text"]


async def test_in_the_bot_a_desk_sees_the_holder_checks_in_out_undoes_and_lists_today(
    standin: BotAPIStandin, desk: Desk
) -> None:
    office = Office.open(desk.bot, standin)
    lin = standin.user(6001, "Lin", language_code="en")
    dongzha = standin.user(6002, "东栅前台", language_code="zh")
    await office.desk(lin.id, "wuzhen-xizha")
    await office.desk(dongzha.id, "wuzhen-dongzha")
    issued, photo = await office.certificate()
    serial = issued.certificate.serial
    live = office.certificates.url_for(office.certificates.live_code(serial).token)

    standin.send_message(lin, live)
    selfie, shown = await standin.wait_for_messages(lin.id, count=2, timeout=15)
    assert selfie["caption"] == FULL_NAME
    [size] = [s for s in selfie["photo"] if s["width"] == 320]
    assert standin.state.files.get(size["file_id"]).data == photo  # type: ignore[union-attr]
    assert shown["text"].startswith("✅ Valid")
    assert f"Full name: {FULL_NAME}\nDocument: last four: 002X\n" in shown["text"]
    assert shown["text"].endswith("Compare the face with the photo the reviewers approved.")
    standin.press_button(lin, shown, inline_buttons(shown)["✅ Check in"])
    done = await next_message(standin, lin.id)
    assert done["text"].startswith(f"✅ {serial} is checked in at Xizha Waterside Inn")
    assert list(inline_buttons(done)) == ["Check out", "Undo the check-in"]

    standin.send_message(dongzha, live)  # shown at another hotel: warned, verifiers told
    warned = await next_message(standin, dongzha.id)
    assert "⚠️ 该证明适用于西栅水岸客栈" in warned["text"] and FULL_NAME not in warned["text"]
    assert "已通知审核人员。" in warned["text"]
    flag = await next_message(standin, VERIFIER_CHAT)
    assert flag["text"].startswith(f"🚩 Certificate {serial} (for Xizha Waterside Inn) was shown")
    assert "It is checked in at Xizha Waterside Inn since " in flag["text"]

    standin.send_command(lin, "/today")
    listed = await next_message(standin, lin.id)
    assert listed["text"].startswith("Arriving today · Xizha Waterside Inn\n• ")
    assert f"{serial} · 戴*玲 · Checked in at Xizha Waterside Inn on " in listed["text"]
    [[console]] = listed["reply_markup"]["inline_keyboard"]
    assert console["web_app"] == {"url": "https://linkage.example/app/desk"}
    menu = standin.last_call("setChatMenuButton")  # the chat's menu button: the console
    assert menu.params["chat_id"] == lin.id and "/app/desk" in str(menu.params["menu_button"])
    standin.send_command(dongzha, "/today")
    assert (await next_message(standin, dongzha.id))[
        "text"
    ] == "今天没有预计到店的旅客。 (东栅河畔民宿)"

    standin.press_button(lin, done, inline_buttons(done)["Check out"])
    out = await next_message(standin, lin.id)
    assert "Checked out on " in out["text"]
    assert list(inline_buttons(out)) == ["Undo the check-in"]
    standin.press_button(lin, out, inline_buttons(out)["Undo the check-in"])
    asked = await next_message(standin, lin.id)
    assert asked["text"] == f"Why is the check-in of {serial} wrong? Write the reason."
    standin.send_message(lin, "checked in the wrong guest")
    undone = await next_message(standin, lin.id)
    assert undone["text"] == f"The check-in of {serial} is undone; the reason is on record."

    await office.roles.revoke(lin.id, Role.FRONTDESK)  # no longer a desk: the button refuses
    press = standin.press_button(lin, shown, inline_buttons(shown)["✅ Check in"])
    assert await answer_to(standin, press) == "This button is for the hotel's front desk only."
    standin.send_message(lin, live)  # and a code gets only the public status
    public = await next_message(standin, lin.id)
    assert public["text"].startswith("✅ Valid") and FULL_NAME not in public["text"]
    await office.db.close()
