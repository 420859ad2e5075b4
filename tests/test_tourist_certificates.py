"""A tourist without her ID card applies in chat, a verifier approves, the card's QR verifies."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
import zxingcpp
from PIL import Image
from sqlmodel import select

from bot.factory import build
from bot.localapi import BotAPIStandin
from services.certificates import china_today
from services.models import Certificate, Notification, utcnow
from tests.support.people import inline_buttons
from tests.support.running import eventually
from tests.test_resident_requests import PNG, next_message

VERIFIERS = -1001  # VERIFIER_CHAT_ID in the tests (STAFF_CHAT_ID too)


async def fill_in_form(standin: BotAPIStandin, tourist, number: str, agree: str) -> None:
    standin.send_command(tourist, "/certificate")
    consent = await next_message(standin, tourist.id)
    standin.press_button(tourist, consent, inline_buttons(consent)[agree])
    await next_message(standin, tourist.id)  # name?
    standin.send_message(tourist, "Dai Lingling" if tourist.language_code == "en" else "戴玲玲")
    kinds = await next_message(standin, tourist.id)
    await next_message(standin, tourist.id)  # back / cancel hint
    standin.press_button(tourist, kinds, next(iter(inline_buttons(kinds).values())))
    await next_message(standin, tourist.id)  # number?
    standin.send_message(tourist, number)


async def test_a_tourist_gets_a_certificate_that_verifies(standin: BotAPIStandin, run_bot) -> None:
    verifiers = standin.group(VERIFIERS, title="Verifiers")
    officer = standin.user(9001, "Officer Zhou", language_code="en")
    standin.add_member(verifiers.id, officer.id)
    dai = standin.user(4001, "Dai", language_code="en")
    bot = await run_bot()

    await fill_in_form(standin, dai, "110105194912310021", "✅ I agree")
    wrong = await next_message(standin, dai.id)
    assert wrong["text"] == (
        "That number cannot be right: The last character does not match the others: one of "
        "them is probably mistyped. Please check it and type it again."
    )
    standin.send_message(dai, "11010519491231002X")
    assert (await next_message(standin, dai.id))["text"].startswith("Your date of birth")
    standin.send_message(dai, "1950-01-01")
    assert (await next_message(standin, dai.id))["text"] == (
        "This date does not match the one in your ID number (1949-12-31). Which is right?"
    )
    standin.send_message(dai, "1949/12/31")
    await next_message(standin, dai.id)  # phone?
    standin.send_message(dai, "12345")
    assert (await next_message(standin, dai.id))["text"].startswith("That is not a phone number.")
    standin.send_message(dai, "+86 138 0013 8000")
    hotels = await next_message(standin, dai.id)
    standin.press_button(dai, hotels, inline_buttons(hotels)["Xizha Waterside Inn"])
    await next_message(standin, dai.id)  # check-in?
    standin.press_reply_button(dai, "📅 Today")
    await next_message(standin, dai.id)  # nights?
    standin.send_message(dai, "2")
    await next_message(standin, dai.id)  # selfie?
    standin.send_message(dai, "here is my face")
    assert (await next_message(standin, dai.id))["text"].startswith(
        "Please send a photo of your face"
    )
    standin.send_photo(dai, PNG)
    await next_message(standin, dai.id)  # "Almost done."
    summary = await next_message(standin, dai.id)
    assert "Document: PRC resident ID card 11010519491231002X" in summary["text"]
    assert "(2 nights)" in summary["text"]
    standin.press_button(dai, summary, inline_buttons(summary)["📨 Submit"])
    assert (await next_message(standin, dai.id))["text"].startswith("Thank you. Your application")

    card = await next_message(standin, verifiers.id)
    assert card["caption"].startswith("🪪 Application A1 for an accommodation certificate")
    assert "11010519491231002X" in card["caption"]  # the verifiers see it until they decide
    press = standin.press_button(officer, card, inline_buttons(card)["✅ Approve"])

    certificate, link = await standin.wait_for_messages(dai.id, count=2, timeout=15)
    toast = await eventually(lambda: standin.callback_answers(press))
    assert toast[-1]["text"] == "✅ Approved by Officer Zhou: certificate C2026-000001"
    decided = await card_once_decided(standin, card)
    assert decided["caption"].startswith(
        "🪪 Application A1\nName: D*** Lingling\n✅ Approved by Officer Zhou on "
    )
    assert decided["caption"].splitlines()[2].endswith("(China time): certificate C2026-000001")
    assert "11010519491231002X" not in decided["caption"]
    assert certificate["caption"].startswith("✅ Your accommodation certificate C2026-000001")
    stored = standin.file(certificate["photo"][-1]["file_id"])
    assert stored is not None
    [qr] = zxingcpp.read_barcodes(Image.open(io.BytesIO(stored.data)))
    assert qr.text in link["text"]
    assert "11010519491231002X" not in qr.text

    async with aiohttp.ClientSession() as http:
        api = f"{bot.web_url}/api/v1/certificates/verify"
        async with http.get(api, params={"token": qr.text}) as response:
            body = await response.json()
    assert body["status"] == "valid"
    assert body["holder"] == "D*** Lingling"


async def test_a_declined_application_is_corrected_and_sent_again_in_chinese(
    standin: BotAPIStandin, run_bot
) -> None:
    verifiers = standin.group(VERIFIERS, title="审核群")
    officer = standin.user(9002, "周警官", language_code="zh")
    standin.add_member(verifiers.id, officer.id)
    dai = standin.user(4002, "戴", language_code="zh")
    await run_bot(default_locale="zh")

    await fill_in_form(standin, dai, "11010519491231002X", "✅ 我同意")
    await next_message(standin, dai.id)  # date of birth?
    standin.send_message(dai, "1949-12-31")
    await next_message(standin, dai.id)
    standin.send_message(dai, "13800138000")
    hotels = await next_message(standin, dai.id)
    standin.press_button(dai, hotels, inline_buttons(hotels)["西栅水岸客栈"])
    await next_message(standin, dai.id)
    standin.press_reply_button(dai, "📅 明天")
    await next_message(standin, dai.id)
    standin.send_message(dai, "1")
    await next_message(standin, dai.id)
    standin.send_photo(dai, PNG)
    await next_message(standin, dai.id)
    summary = await next_message(standin, dai.id)
    standin.press_button(dai, summary, inline_buttons(summary)["📨 提交"])
    await next_message(standin, dai.id)

    card = await next_message(standin, verifiers.id)
    standin.press_button(officer, card, inline_buttons(card)["❌ 拒绝"])
    await eventually(lambda: "照片不清楚。" in inline_buttons(standin.messages(verifiers.id)[-1]))
    reasons = standin.messages(verifiers.id)[-1]
    standin.press_button(officer, reasons, inline_buttons(reasons)["照片不清楚。"])
    declined = await next_message(standin, dai.id)
    assert declined["text"].startswith("您的住宿证明申请未通过：照片不清楚。")
    decided = await card_once_decided(standin, card)
    assert decided["caption"].startswith("🪪 申请 A1\n姓名：戴*玲\n❌ 由 周警官 于 ")
    assert decided["caption"].splitlines()[2].endswith("（北京时间）拒绝：照片不清楚。")

    standin.send_command(dai, "/certificate")
    consent = await next_message(standin, dai.id)
    standin.press_button(dai, consent, inline_buttons(consent)["✅ 我同意"])
    assert (await next_message(standin, dai.id))["text"].startswith(
        "您上次的申请未通过：照片不清楚。"
    )
    await next_message(standin, dai.id)
    again = await next_message(standin, dai.id)
    assert "姓名：戴玲玲" in again["text"]
    standin.press_button(dai, again, inline_buttons(again)["自拍照"])
    await next_message(standin, dai.id)
    standin.send_photo(dai, PNG)
    await next_message(standin, dai.id)
    resent = await next_message(standin, dai.id)
    standin.press_button(dai, resent, inline_buttons(resent)["📨 提交"])
    await next_message(standin, dai.id)
    second = await next_message(standin, verifiers.id)
    assert second["caption"].startswith("🪪 住宿证明申请 A2")


async def test_a_form_interrupted_by_a_restart_continues_with_redis(
    standin: BotAPIStandin, run_bot, redis_url: str
) -> None:
    dai = standin.user(4003, "Dai", language_code="en")
    first = await run_bot(redis_url=redis_url)
    await fill_in_form(standin, dai, "11010519491231002X", "✅ I agree")
    await next_message(standin, dai.id)  # date of birth?
    standin.send_message(dai, "1949-12-31")
    assert (await next_message(standin, dai.id))["text"].startswith("A phone number")
    await first.stop()  # the bot restarts between two answers

    await run_bot(redis_url=redis_url, data_dir=first.settings.data_dir)
    standin.send_message(dai, "+86 138 0013 8000")
    hotels = await next_message(standin, dai.id)
    assert hotels["text"].startswith("Which hotel are you staying at?")


async def submit_application(standin: BotAPIStandin, tourist) -> None:
    """An English tourist's application without a mistake, up to "Thank you"."""
    await fill_in_form(standin, tourist, "11010519491231002X", "✅ I agree")
    await next_message(standin, tourist.id)  # date of birth?
    standin.send_message(tourist, "1949-12-31")
    await next_message(standin, tourist.id)  # phone?
    standin.send_message(tourist, "+86 138 0013 8000")
    hotels = await next_message(standin, tourist.id)
    standin.press_button(tourist, hotels, inline_buttons(hotels)["Xizha Waterside Inn"])
    await next_message(standin, tourist.id)  # check-in?
    standin.press_reply_button(tourist, "📅 Today")
    await next_message(standin, tourist.id)  # nights?
    standin.send_message(tourist, "1")
    await next_message(standin, tourist.id)  # selfie?
    standin.send_photo(tourist, PNG)
    await next_message(standin, tourist.id)  # "Almost done."
    summary = await next_message(standin, tourist.id)
    standin.press_button(tourist, summary, inline_buttons(summary)["📨 Submit"])
    assert (await next_message(standin, tourist.id))["text"].startswith("Thank you.")


async def test_two_verifiers_approving_at_once_issue_one_certificate(
    standin: BotAPIStandin, run_bot
) -> None:
    verifiers = standin.group(VERIFIERS, title="Verifiers")
    zhou = standin.user(9001, "Officer Zhou", language_code="en")
    wang = standin.user(9002, "Officer Wang", language_code="en")
    for officer in (zhou, wang):
        standin.add_member(verifiers.id, officer.id)
    dai = standin.user(4001, "Dai", language_code="en")
    await run_bot()
    await submit_application(standin, dai)
    card = await next_message(standin, verifiers.id)
    approve = inline_buttons(card)["✅ Approve"]

    presses = [standin.press_button(officer, card, approve) for officer in (zhou, wang)]

    certificate, _link = await standin.wait_for_messages(dai.id, count=2, timeout=15)
    assert certificate["caption"].startswith("✅ Your accommodation certificate C2026-000001")
    answers = await eventually(
        lambda: (
            all(standin.callback_answers(press) for press in presses)
            and [standin.callback_answers(press)[-1] for press in presses]
        )
    )
    alerts = [answer["text"] for answer in answers if answer.get("show_alert")]
    assert len(alerts) == 1 and alerts[0].startswith("Already decided by Officer")
    await asyncio.sleep(1)  # a second certificate would have arrived by now
    assert not [m for m in standin.messages(dai.id) if "C2026-000002" in m.get("caption", "")]


async def test_approve_and_reject_pressed_at_once_make_one_decision(
    standin: BotAPIStandin, run_bot
) -> None:
    """Wang approves from the card as Zhou picks a reason to decline: one of them decides."""
    verifiers = standin.group(VERIFIERS, title="Verifiers")
    zhou = standin.user(9001, "Officer Zhou", language_code="en")
    wang = standin.user(9002, "Officer Wang", language_code="en")
    for officer in (zhou, wang):
        standin.add_member(verifiers.id, officer.id)
    dai = standin.user(4001, "Dai", language_code="en")
    bot = await run_bot()
    await submit_application(standin, dai)
    card = await next_message(standin, verifiers.id)
    approve = inline_buttons(card)["✅ Approve"]
    standin.press_button(zhou, card, inline_buttons(card)["❌ Reject"])
    reasons = await eventually(
        lambda: inline_buttons(standin.messages(verifiers.id)[-1]).get(
            "The details do not match the document."
        )
    )

    presses = [standin.press_button(wang, card, approve), standin.press_button(zhou, card, reasons)]

    answers = await eventually(
        lambda: (
            all(standin.callback_answers(press) for press in presses)
            and [standin.callback_answers(press)[-1] for press in presses]
        ),
        within=15,
    )
    alerts = [answer["text"] for answer in answers if answer.get("show_alert")]
    assert len(alerts) == 1, answers
    winner = alerts[0].removeprefix("Already decided by ").removesuffix(".")
    assert winner in ("Officer Zhou", "Officer Wang"), alerts
    await card_once_decided(standin, card)
    await asyncio.sleep(1)  # a second decision's messages would have arrived by now
    decisions = [
        m
        for m in standin.messages(dai.id)
        if m.get("caption", "").startswith("✅ Your accommodation certificate")
        or m.get("text", "").startswith("Your application for an accommodation certificate was")
    ]
    assert len(decisions) == 1, standin.messages(dai.id)
    linkage = build(bot.settings)
    try:
        application = await linkage.applications.latest_for(dai.id)
        assert application is not None and application.decided_by_name == winner
        async with linkage.db.session() as session:
            certificates = list(await session.exec(select(Certificate)))
        assert len(certificates) == (1 if winner == "Officer Wang" else 0)
    finally:
        await linkage.close()


async def card_once_decided(standin: BotAPIStandin, card: dict[str, Any]) -> dict[str, Any]:
    """The verifiers' card as it is once the decision reached it: no buttons, a plain picture."""

    def edited() -> dict[str, Any] | None:
        [now] = [
            m for m in standin.messages(card["chat"]["id"]) if m["message_id"] == card["message_id"]
        ]
        return None if now.get("reply_markup") or now["photo"] == card["photo"] else now

    decided = await eventually(edited, within=10)
    assert not {m["file_unique_id"] for m in decided["photo"]} & {
        m["file_unique_id"] for m in card["photo"]
    }, "the selfie is still in the verifier chat"
    return decided


async def test_personal_data_is_forgotten_after_the_retention_time(
    standin: BotAPIStandin, run_bot
) -> None:
    """Name, document number, phone and selfie go; the masked certificate still verifies."""
    verifiers = standin.group(VERIFIERS, title="Verifiers")
    officer = standin.user(9001, "Officer Zhou", language_code="en")
    standin.add_member(verifiers.id, officer.id)
    dai = standin.user(4001, "Dai", language_code="en")
    bot = await run_bot(personal_data_retention_days=30)
    await submit_application(standin, dai)
    card = await next_message(standin, verifiers.id)
    standin.press_button(officer, card, inline_buttons(card)["✅ Approve"])
    _card, link = await standin.wait_for_messages(dai.id, count=2, timeout=15)
    token = link["text"].rsplit("/v/", 1)[1].split()[0]

    linkage = build(bot.settings)  # what the bot's minutely purge round calls
    try:
        checked_out = china_today() + timedelta(days=1)
        assert await linkage.applications.purge_personal_data(checked_out + timedelta(29)) == 0
        assert await linkage.applications.purge_personal_data(checked_out + timedelta(30)) == 1
        application = await linkage.applications.latest_for(dai.id)
        assert application is not None and application.purged_at is not None
        assert application.full_name_encrypted == application.selfie_file_id_encrypted == ""
        assert application.document_number_encrypted == application.phone_encrypted == ""
        assert application.birth_date_encrypted is None
        async with linkage.db.session() as session:  # and what the messages about it said
            about = list(
                await session.exec(
                    select(Notification).where(Notification.reference == "application:1")
                )
            )
        assert len(about) == 4  # the card, its edit, the certificate and its link
        assert [row.params for row in about] == [{"chat_id": row.chat_id} for row in about]
        verification = await linkage.certificates.verify(token, today=checked_out + timedelta(30))
        assert verification.status.value == "expired"
        assert verification.claims is not None and verification.claims.holder == "D*** Lingling"
    finally:
        await linkage.close()


async def test_a_reason_in_words_is_cut_at_its_limit_and_the_card_keeps_no_personal_data(
    standin: BotAPIStandin, run_bot
) -> None:
    verifiers = standin.group(VERIFIERS, title="Verifiers")
    officer = standin.user(9001, "Officer Zhou", language_code="en")
    standin.add_member(verifiers.id, officer.id)
    dai = standin.user(4001, "Dai", language_code="en")
    await run_bot()
    await submit_application(standin, dai)
    card = await next_message(standin, verifiers.id)
    standin.press_button(officer, card, inline_buttons(card)["❌ Reject"])
    other = await eventually(
        lambda: inline_buttons(standin.messages(verifiers.id)[-1]).get("Other (write it)")
    )
    standin.press_button(officer, card, other)
    prompt = await next_message(standin, verifiers.id)
    assert prompt["text"] == "Write the reason for declining; the tourist will read it."
    reason = "The hotel named is closed for the season; choose another one. " * 8  # 496 long
    standin.send_message(officer, reason, chat=verifiers, reply_to=prompt)

    note = await next_message(standin, verifiers.id)
    kept = reason.strip()[:400]
    assert note["text"] == (
        f"❌ Declined by Officer Zhou: {kept}\n\n"
        "The reason was cut to its first 400 characters; the tourist reads only those."
    )
    declined = await next_message(standin, dai.id)
    assert declined["text"].startswith(
        f"Your application for an accommodation certificate was declined: {kept}\n\n"
    )
    decided = await card_once_decided(standin, card)
    assert decided["caption"].startswith("🪪 Application A1\nName: D*** Lingling\n❌ Declined by")
    assert kept in decided["caption"]
    # Telegram quotes a replied-to message as it is now; the stand-in keeps a copy of it
    history = str([without_quotes(m) for m in standin.chat_history(verifiers.id)])
    for personal in ("11010519491231002X", "Dai Lingling", "1949-12-31", "0013 8000"):
        assert personal not in history


def without_quotes(message: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in message.items() if key != "reply_to_message"}


async def test_an_undecided_application_lapses_and_its_personal_data_goes(
    standin: BotAPIStandin, run_bot
) -> None:
    verifiers = standin.group(VERIFIERS, title="Verifiers")
    officer = standin.user(9001, "Officer Zhou", language_code="en")
    standin.add_member(verifiers.id, officer.id)
    dai = standin.user(4001, "Dai", language_code="en")
    bot = await run_bot(undecided_application_days=7)
    await submit_application(standin, dai)
    card = await next_message(standin, verifiers.id)

    linkage = build(bot.settings)  # what the bot's minutely round calls
    try:
        now = utcnow()
        assert await linkage.applications.lapse_undecided(now + timedelta(days=6, hours=23)) == 0
        assert await linkage.applications.lapse_undecided(now + timedelta(days=7)) == 1
        told = await next_message(standin, dai.id)
        assert told["text"] == (
            "⌛ Your application for an accommodation certificate lapsed: no reviewer decided "
            "it within 7 days, and the details you gave were deleted.\n\n"
            "To apply again, press “Accommodation certificate” or send /certificate."
        )
        lapsed = await card_once_decided(standin, card)
        assert lapsed["caption"].startswith("🪪 Application A1\nName: D*** Lingling\n⌛ Lapsed on ")
        assert "nobody decided within 7 days." in lapsed["caption"]
        press = standin.press_button(officer, card, inline_buttons(card)["✅ Approve"])
        [answer] = await eventually(lambda: standin.callback_answers(press))
        assert answer["text"] == "This application lapsed: nobody decided it within 7 days."

        application = await linkage.applications.latest_for(dai.id)
        assert application is not None and application.status == "lapsed"
        assert application.full_name_encrypted == application.selfie_file_id_encrypted == ""
        assert application.document_number_encrypted == application.phone_encrypted == ""
        assert application.birth_date_encrypted is None
        async with linkage.db.session() as session:
            [sealed_card] = await session.exec(
                select(Notification)
                .where(Notification.reference == "application:1")
                .where(Notification.method == "sendPhoto")
            )
        assert sealed_card.params == {"chat_id": VERIFIERS}
    finally:
        await linkage.close()

    standin.press_reply_button(dai, "🏨 Accommodation certificate")
    again = await next_message(standin, dai.id)
    assert again["text"].startswith("An accommodation certificate lets you check in")


async def test_without_a_verifier_chat_no_certificates_are_offered(
    standin: BotAPIStandin, run_bot, caplog: pytest.LogCaptureFixture
) -> None:
    """STAFF_CHAT_ID is set, but grid staff are not verifiers: nothing falls back to it."""
    caplog.set_level(logging.WARNING)
    dai = standin.user(4001, "Dai", language_code="en")
    lin = standin.user(4002, "林", language_code="zh")
    bot = await run_bot(verifier_chat_id=None)

    standin.press_reply_button(dai, "🏨 Accommodation certificate")
    assert (await next_message(standin, dai.id))["text"] == (
        "Accommodation certificates are not offered here yet: this office has no reviewers "
        "for them. Please show your ID card at the hotel, or ask the street office."
    )
    standin.send_command(lin, "/certificate")
    assert (await next_message(standin, lin.id))["text"] == (
        "本辖区暂未开通住宿证明：这里还没有负责审核的人员。请在酒店出示您的身份证，或咨询街道办事处。"
    )
    warnings = [r for r in caplog.records if "VERIFIER_CHAT_ID" in r.getMessage()]
    assert [r.levelno for r in warnings] == [logging.WARNING]
    linkage = build(bot.settings)
    try:
        assert await linkage.applications.latest_for(dai.id) is None
        assert await linkage.applications.latest_for(lin.id) is None
    finally:
        await linkage.close()
