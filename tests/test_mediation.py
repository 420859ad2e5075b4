"""Mediation end to end through the Bot API stand-in: a resident files a medical dispute with a
photo and a document; the medical mediation committee accepts it (an outsider cannot); the
mediator offers three times, the resident books one, reminders fire, the other party confirms by
the link; the mediator records a settlement; both parties get the signed PDF and its QR link
verifies; the figures count it.

Uses the bundled sample routing: medical disputes go to the Jiaxing Medical Dispute Mediation
Committee (chat -1001000000096).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from bot.factory import build
from bot.localapi import BotAPIStandin
from services.certificates import CHINA_TIME
from tests.support.people import inline_buttons
from tests.test_resident_requests import PNG, next_message

MEDICAL_CHAT = -1001000000096
PDF = b"%PDF-1.4\n" + b"0" * 2000
BIG = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 600 * 1024)  # 1.6 MB
SETTINGS = {
    "mediation_meeting_url": "https://meet.example.org/linkage-{case}",
    "mediation_evidence_max_mb": 1,
}


def china(days: int, hour: int) -> datetime:
    day = (datetime.now(CHINA_TIME) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=CHINA_TIME)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


async def give_area(
    standin: BotAPIStandin, resident: Any, words: dict[str, str], area: str | None
) -> None:
    """The form's area step: a grid from the list, or skipped; then the evidence question."""
    assert (await next_message(standin, resident.id))["text"] == words["where?"]
    areas = await next_message(standin, resident.id)
    if area is None:
        standin.press_reply_button(resident, words["skip"])
    else:
        standin.press_button(resident, areas, inline_buttons(areas)[area])
        assert area in (await next_message(standin, resident.id))["text"]  # your area: …
    await next_message(standin, resident.id)  # evidence


async def file_medical_case(
    standin: BotAPIStandin, resident: Any, words: dict[str, str], area: str | None = None
) -> dict[str, Any]:
    """The form, from /mediation to Submit; returns the thanks message."""
    standin.send_command(resident, "/mediation")
    await next_message(standin, resident.id)  # what mediation is
    kinds = await next_message(standin, resident.id)
    assert kinds["text"] == words["kind?"]
    standin.send_message(resident, "plumbing")
    refused = await next_message(standin, resident.id)
    assert refused["text"] == words["unknown kind"]
    standin.press_button(resident, kinds, inline_buttons(kinds)[words["medical"]])
    assert (await next_message(standin, resident.id))["text"] == words["who?"]
    standin.send_message(resident, words["hospital"])
    await next_message(standin, resident.id)  # how to reach them
    standin.send_message(resident, "0573-8888 1234")
    await next_message(standin, resident.id)  # what happened
    standin.send_message(resident, words["account"])
    await next_message(standin, resident.id)  # what do you ask for
    standin.send_message(resident, words["claim"])
    await give_area(standin, resident, words, area)
    standin.send_photo(resident, PNG)
    assert (await next_message(standin, resident.id))["text"] == words["added 1"]
    standin.send_document(resident, PDF, file_name="discharge-summary.pdf")
    assert (await next_message(standin, resident.id))["text"] == words["added 2"]
    standin.send_document(resident, BIG, file_name="scan.pdf")
    assert (await next_message(standin, resident.id))["text"] == words["too large"]
    standin.press_reply_button(resident, words["done"])
    await next_message(standin, resident.id)  # almost done
    summary = await next_message(standin, resident.id)
    assert words["evidence 2"] in summary["text"]
    standin.press_button(resident, summary, inline_buttons(summary)[words["submit"]])
    return await next_message(standin, resident.id)


ENGLISH = {
    "kind?": "What kind of dispute is it?",
    "unknown kind": (
        "“plumbing” is not a kind of dispute I know. Choose one of: 🏘 Neighbours, 🏠 Property, "
        "🛒 Consumer, 👷 Labour, 🏥 Medical, 👪 Family, ❔ Other."
    ),
    "medical": "🏥 Medical",
    "who?": "Who is the other party? Write their name (a person, a firm, a hospital…).",
    "hospital": "Jiaxing No. 2 Hospital",
    "account": "My complaint about a wrong diagnosis in March was never answered.",
    "claim": "Compensation of 20,000 yuan",
    "where?": (
        "Where do you live? It decides which mediation organisation takes your case. Share your "
        "location with the button below, choose your area, or press “Skip”."
    ),
    "skip": "⏭ Skip",
    "added 1": "Evidence added (1). Send more, or press “Done”.",
    "added 2": "Evidence added (2). Send more, or press “Done”.",
    "too large": "That file is 1.6 MB; the limit is 1 MB. Send a smaller one.",
    "done": "✅ Done",
    "evidence 2": "Evidence: 2",
    "submit": "📨 Submit",
}


async def test_a_medical_dispute_is_settled_with_a_signed_agreement_in_english(
    standin: BotAPIStandin, run_bot
) -> None:
    committee = standin.group(MEDICAL_CHAT, title="Medical mediation")
    mediator = standin.user(5101, "Mediator Zhou", language_code="en")
    standin.add_member(committee.id, mediator.id)
    outsider = standin.user(5102, "Nosy Neighbour", language_code="en")
    shen = standin.user(3001, "Lao Shen", language_code="en")
    doctor = standin.user(5201, "Hospital Office", language_code="en")
    bot = await run_bot(**SETTINGS)

    thanks = await file_medical_case(standin, shen, ENGLISH)
    assert thanks["text"] == (
        "Thank you. Your mediation case number is M2026-000001. Jiaxing Medical Dispute "
        "Mediation Committee has it now and will answer here. Follow it under “My requests”."
    )
    card, photo, document = await standin.wait_for_messages(committee.id, count=3, timeout=10)
    assert card["text"].startswith("⚖️ Mediation case M2026-000001 · 🏥 Medical")
    assert "Applicant: Lao Shen" in card["text"]
    assert "Other party: Jiaxing No. 2 Hospital (0573-8888 1234)" in card["text"]
    assert "“Compensation of 20,000 yuan”" in card["text"]
    assert "Evidence: 2" in card["text"] and "discharge-summary.pdf, 2.0 KB" in card["text"]
    assert photo["caption"] == document["caption"] == "M2026-000001"

    # the attack first: someone outside the committee's chat presses Accept
    refused = standin.press_button(outsider, card, inline_buttons(card)["✅ Accept"])
    await _answered(standin, refused)
    assert standin.callback_answers(refused)[-1]["text"] == (
        "Only the members of this organisation's chat can act on its cases."
    )
    assert inline_buttons(standin.messages(committee.id)[0])  # still waiting for an answer
    assert standin.pending_messages(shen.id, consume=False) == []

    standin.press_button(mediator, card, inline_buttons(card)["✅ Accept"])
    working = await next_message(standin, committee.id)
    assert working["text"].startswith("✅ Case M2026-000001 accepted.")
    accepted = await next_message(standin, shen.id)
    assert accepted["text"].startswith(
        "✅ Jiaxing Medical Dispute Mediation Committee accepted your mediation case M2026-000001."
    )
    code = re.search(r"\?start=(mc-[A-Za-z0-9_-]+)", accepted["text"])
    assert code is not None

    times = [china(3, 9), china(4, 14), china(5, 10)]
    standin.send_command(
        mediator,
        "/offer",
        "M2026-000001 " + ", ".join(stamp(t) for t in times),
        chat=committee.id,
    )
    assert (await next_message(standin, committee.id))["text"] == (
        "📅 3 times offered to the applicant of M2026-000001."
    )
    offered = await next_message(standin, shen.id)
    assert offered["text"].startswith("📅 Jiaxing Medical Dispute Mediation Committee offers")
    slots = inline_buttons(offered)
    assert list(slots) == [f"📅 {stamp(t)}" for t in times]
    standin.press_button(shen, offered, slots[f"📅 {stamp(times[0])}"])
    booked = await next_message(standin, shen.id)
    assert booked["text"].startswith(f"📅 Booked: {stamp(times[0])} (China time)")
    assert (await next_message(standin, committee.id))["text"] == (
        f"📅 Case M2026-000001: the applicant booked {stamp(times[0])}."
    )

    # the other party opens the link: the summary, not the evidence
    standin.send_command(doctor, "/start", code.group(1))
    invited = await next_message(standin, doctor.id)
    assert invited["text"].startswith(
        "⚖️ You are invited to mediation: case M2026-000001 (🏥 Medical)"
    )
    assert "Applicant: Lao Shen" in invited["text"]
    assert f"Session: {stamp(times[0])}" in invited["text"]
    assert "discharge-summary.pdf" not in invited["text"]
    standin.press_button(doctor, invited, inline_buttons(invited)["✅ I will attend"])
    assert (await next_message(standin, doctor.id))["text"].startswith("Thank you.")
    confirmed = "✅ The other party confirmed they will attend (case M2026-000001)."
    assert (await next_message(standin, committee.id))["text"] == confirmed
    assert (await next_message(standin, shen.id))["text"] == confirmed

    # the reminders, as the once-a-minute round would send them at those moments
    linkage = build(bot.settings)
    try:
        assert linkage.mediation is not None
        remind = linkage.mediation.appointments.remind
        assert await remind(times[0] - timedelta(hours=25)) == 0
        assert await remind(times[0] - timedelta(hours=23)) == 1
        assert await remind(times[0] - timedelta(hours=22)) == 0  # once, not every minute
        day_before = await next_message(standin, shen.id)
        assert day_before["text"] == (
            "⏰ Reminder: the mediation session of case M2026-000001 is tomorrow, at "
            f"{stamp(times[0])} (China time).\n"
            "Video session: https://meet.example.org/linkage-M2026-000001"
        )
        assert (await next_message(standin, doctor.id))["text"] == day_before["text"]
        assert await remind(times[0] - timedelta(minutes=50)) == 1
        assert (await next_message(standin, shen.id))["text"].startswith(
            "⏰ Reminder: the mediation session of case M2026-000001 begins within the hour"
        )
        await next_message(standin, doctor.id)
    finally:
        await linkage.close()

    standin.press_button(mediator, working, inline_buttons(working)["🤝 Settled"])
    assert (await next_message(standin, committee.id))["text"].startswith(
        "Write the terms of the agreement for case M2026-000001"
    )
    standin.send_message(
        mediator,
        "The hospital pays Lao Shen 20,000 yuan on the spot; Lao Shen withdraws the complaint.",
        chat=committee.id,
    )
    agreement = await next_message(standin, shen.id)
    assert agreement["document"]["file_name"] == "document.pdf"
    assert agreement["caption"].startswith(
        "🤝 Case M2026-000001 is settled. The signed agreement MA2026-000001 is attached"
    )
    pdf = standin.file(agreement["document"]["file_id"])
    assert pdf is not None and pdf.data.startswith(b"%PDF")
    assert (await next_message(standin, doctor.id))["caption"] == agreement["caption"]
    url = agreement["caption"].rsplit(" ", 1)[-1]
    assert url.startswith(bot.web_url + "/v/agreement/")
    async with aiohttp.ClientSession() as web, web.get(url + "?lang=en") as response:
        page = await response.text()
    assert 'data-status="valid"' in page and "Genuine" in page
    assert "MA2026-000001" in page and "Jiaxing Medical Dispute Mediation Committee" in page
    async with aiohttp.ClientSession() as web, web.get(url[:-4] + "AAAA") as response:
        assert 'data-status="invalid"' in await response.text()

    rating = await next_message(standin, shen.id)
    assert rating["text"] == "How was the mediation of case M2026-000001? Rate it from 1 to 5:"
    standin.press_button(shen, rating, inline_buttons(rating)["⭐⭐⭐⭐⭐"])
    assert (await next_message(standin, shen.id))["text"] == "Thank you for your rating."

    standin.send_command(mediator, "/stats", chat=committee.id)
    figures = None
    for message in await standin.wait_for_messages(committee.id, count=3, timeout=10):
        if message.get("text", "").startswith("⚖️ Mediation figures"):
            figures = message["text"]
    assert figures is not None
    assert "Received: 1\nAccepted: 1\nSettled: 1\nReferred to the court: 0" in figures
    assert "Diverted from court (settled of closed): 100.00%" in figures
    assert "🏥 Medical: 1 received, 1 settled" in figures
    assert "11,591 disputes diverted (85.48%)" in figures

    standin.press_reply_button(shen, "📋 My requests")
    assert (await next_message(standin, shen.id))["text"] == (
        "⚖️ Your mediation cases:\nM2026-000001 · settled"
    )


async def _answered(standin: BotAPIStandin, query_id: str) -> None:
    from tests.support.running import eventually

    await eventually(lambda: standin.callback_answers(query_id))


CHINESE = {
    "kind?": "是哪一类纠纷？",
    "unknown kind": (
        "“plumbing”不是我知道的纠纷类型。请从以下选择：🏘 邻里, 🏠 物业, 🛒 消费, 👷 劳动, "
        "🏥 医疗, 👪 婚姻家庭, ❔ 其他。"
    ),
    "medical": "🏥 医疗",
    "who?": "对方是谁？请写出名称（个人、公司、医院……）。",
    "hospital": "嘉兴市第二医院",
    "account": "三月份误诊，我向医院投诉一直没有答复。",
    "claim": "赔偿 2 万元",
    "where?": (
        "您住在哪里？这决定由哪个调解组织受理您的案件。请用下方按钮发送位置、"
        "选择您所在的片区，或按“跳过”。"
    ),
    "skip": "⏭ 跳过",
    "added 1": "已添加证据（1）。可继续发送，或按“完成”。",
    "added 2": "已添加证据（2）。可继续发送，或按“完成”。",
    "too large": "该文件大小为 1.6 MB，上限为 1 MB。请发送小一些的文件。",
    "done": "✅ 完成",
    "evidence 2": "证据：2",
    "submit": "📨 提交",
}


async def test_a_chinese_resident_settles_a_medical_dispute_and_the_agreement_verifies(
    standin: BotAPIStandin, run_bot
) -> None:
    committee = standin.group(MEDICAL_CHAT, title="医疗纠纷人民调解委员会")
    mediator = standin.user(5101, "周调解员", language_code="zh")
    standin.add_member(committee.id, mediator.id)
    mei = standin.user(3002, "美玲", language_code="zh")
    await run_bot(default_locale="zh", **SETTINGS)

    thanks = await file_medical_case(standin, mei, CHINESE)
    assert thanks["text"] == (
        "谢谢。您的调解案件编号是 M2026-000001。嘉兴市医疗纠纷人民调解委员会 已收到，会在这里"
        "答复您。可在“我的诉求”中查看进展。"
    )
    card, _photo, _document = await standin.wait_for_messages(committee.id, count=3, timeout=10)
    assert card["text"].startswith("⚖️ 调解案件 M2026-000001 · 🏥 医疗\n申请人：美玲")
    standin.press_button(mediator, card, inline_buttons(card)["✅ 接受"])
    working = await next_message(standin, committee.id)
    assert working["text"].startswith("✅ 案件 M2026-000001 已受理。")
    assert (await next_message(standin, mei.id))["text"].startswith(
        "✅ 嘉兴市医疗纠纷人民调解委员会 已受理您的调解案件 M2026-000001"
    )
    times = [china(2, 9), china(2, 15), china(3, 10)]
    standin.send_command(
        mediator, "/offer", "M2026-000001 " + ", ".join(stamp(t) for t in times), chat=committee.id
    )
    assert (await next_message(standin, committee.id))["text"] == (
        "📅 已向案件 M2026-000001 的申请人提供 3 个时间。"
    )
    offered = await next_message(standin, mei.id)
    standin.press_button(mei, offered, inline_buttons(offered)[f"📅 {stamp(times[1])}"])
    assert (await next_message(standin, mei.id))["text"].startswith(
        f"📅 已预约：{stamp(times[1])}（北京时间），案件 M2026-000001。"
    )
    await next_message(standin, committee.id)  # booked
    standin.press_button(mediator, working, inline_buttons(working)["🤝 调解成功"])
    await next_message(standin, committee.id)  # write the terms
    standin.send_message(mediator, "医院当场赔付美玲 2 万元，美玲撤回投诉。", chat=committee.id)
    agreement = await next_message(standin, mei.id)
    assert agreement["caption"].startswith(
        "🤝 案件 M2026-000001 调解成功。已签章的调解协议 MA2026-000001 见附件，扫码可核验："
    )
    url = agreement["caption"].rsplit("：", 1)[-1]
    async with aiohttp.ClientSession() as web, web.get(url + "?lang=zh") as response:
        page = await response.text()
    assert "真实有效" in page and "嘉兴市医疗纠纷人民调解委员会" in page and "MA2026-000001" in page
