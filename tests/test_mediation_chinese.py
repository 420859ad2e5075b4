"""The steps after filing, for a Chinese applicant and a Chinese-speaking organisation: more
evidence asked and added, evidence shared with the other party, a booking moved and cancelled,
settled and judicial confirmation recorded, the history under "我的诉求", a case referred to the
court with its file, and one withdrawn by the applicant."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.localapi import BotAPIStandin
from bot.localapi.limits import Limits
from services.certificates import china_today
from tests.support.mediation import ODR_CHAT, file_case
from tests.support.people import inline_buttons
from tests.test_mediation import china, stamp
from tests.test_mediation_steps import WILL
from tests.test_resident_requests import next_message


@pytest.fixture
async def standin() -> AsyncIterator[BotAPIStandin]:
    """Weeks of a mediation desk's work in seconds: the group limit is raised."""
    server = BotAPIStandin(limits=Limits(private_burst=30, group_messages=100))
    await server.start()
    yield server
    await server.stop()


async def accept(standin: BotAPIStandin, mediator: object, resident_id: int) -> dict[str, object]:
    card = [m for m in standin.messages(ODR_CHAT) if "✅ 接受" in inline_buttons(m)][-1]
    standin.press_button(mediator, card, inline_buttons(card)["✅ 接受"])
    working = await next_message(standin, ODR_CHAT)
    await next_message(standin, resident_id)
    return working


async def test_a_chinese_case_from_more_evidence_to_judicial_confirmation(
    standin: BotAPIStandin, run_bot
) -> None:
    odr = standin.group(ODR_CHAT, title="在线矛盾纠纷多元化解中心")
    mediator = standin.user(5301, "许调解员", language_code="zh")
    standin.add_member(odr.id, mediator.id)
    mei = standin.user(3002, "美玲", language_code="zh")
    li = standin.user(5201, "李明", language_code="zh")
    await run_bot(default_locale="zh", staff_locale="zh")

    await file_case(standin, mei, "zh")
    await next_message(standin, odr.id)  # the card
    working = await accept(standin, mediator, mei.id)
    code = re.search(r"\?start=(mc-[A-Za-z0-9_-]+)", standin.messages(mei.id)[-1]["text"])
    assert code is not None

    standin.press_button(mediator, working, inline_buttons(working)["📎 要求补充证据"])
    assert (await next_message(standin, odr.id))["text"] == (
        "案件 M2026-000001 需要补充什么证据？请用一条消息写明。"
    )
    standin.send_message(mediator, "请提供遗嘱复印件。", chat=odr.id)
    assert (await next_message(standin, odr.id))["text"] == "已请申请人补充证据。"
    asked = await next_message(standin, mei.id)
    assert asked["text"] == (
        "📎 嘉兴市在线矛盾纠纷多元化解中心 请您为案件 M2026-000001 补充证据：“请提供遗嘱复印件。”"
    )
    standin.press_button(mei, asked, inline_buttons(asked)["📎 补充证据"])
    assert (await next_message(standin, mei.id))["text"] == (
        "请发送照片、文件或语音，然后按“完成”。"
    )
    standin.send_document(mei, WILL, file_name="遗嘱.pdf")
    await next_message(standin, mei.id)  # evidence added (1)
    standin.press_reply_button(mei, "✅ 完成")
    assert (await next_message(standin, mei.id))["text"] == (
        "谢谢：已为案件 M2026-000001 添加 1 份材料。"
    )
    note, document = await standin.wait_for_messages(odr.id, count=2, timeout=10)
    assert note["text"] == "📎 申请人为案件 M2026-000001 补充了 1 份材料。"
    assert standin.file(document["document"]["file_id"]).data == WILL  # type: ignore[union-attr]

    # the other party's link: no evidence before sharing, the list after
    standin.send_command(li, "/start", code.group(1))
    before = await next_message(standin, li.id)
    assert before["text"].endswith("调解员出示证据后，您才能看到证据。")
    assert "遗嘱.pdf" not in before["text"]
    standin.press_button(mediator, working, inline_buttons(working)["🔓 向对方当事人出示证据"])
    assert (await next_message(standin, odr.id))["text"] == (
        "🔓 案件 M2026-000001 的证据已向对方当事人出示。"
    )
    assert (await next_message(standin, mei.id))["text"] == (
        "🔓 调解员已向对方当事人出示您的证据（案件 M2026-000001）。"
    )
    standin.send_command(li, "/start", code.group(1))
    after, shared = await standin.wait_for_messages(li.id, count=2, timeout=10)
    assert "\n\n证据：\n• 文件 遗嘱.pdf, 2.9 KB, " in after["text"]
    assert standin.file(shared["document"]["file_id"]).data == WILL  # type: ignore[union-attr]

    # a booking moved, then cancelled
    times = [china(2, 9), china(2, 15)]
    standin.send_command(
        mediator, "/offer", "M2026-000001 " + ", ".join(stamp(t) for t in times), chat=odr.id
    )
    await next_message(standin, odr.id)
    offered = await next_message(standin, mei.id)
    standin.press_button(mei, offered, inline_buttons(offered)[f"📅 {stamp(times[0])}"])
    booked = await next_message(standin, mei.id)
    await next_message(standin, odr.id)
    standin.press_button(mei, booked, inline_buttons(booked)["🔁 改期"])
    again = await next_message(standin, mei.id)
    assert again["text"] == "请选择新的时间（北京时间）："
    standin.press_button(mei, again, inline_buttons(again)[f"📅 {stamp(times[1])}"])
    moved = await next_message(standin, mei.id)
    assert (await next_message(standin, odr.id))["text"] == (
        f"🔁 案件 M2026-000001：申请人把调解改到 {stamp(times[1])}。"
    )
    standin.press_button(mei, moved, inline_buttons(moved)["✖️ 取消预约"])
    assert (await next_message(standin, mei.id))["text"] == "您的预约已取消。可在上方另约时间。"
    assert (await next_message(standin, odr.id))["text"] == (
        f"✖️ 案件 M2026-000001：申请人取消了 {stamp(times[1])} 的调解。"
    )

    # settled, then judicial confirmation from the settled card
    standin.press_button(mediator, working, inline_buttons(working)["🤝 调解成功"])
    await next_message(standin, odr.id)  # write the terms
    standin.send_message(mediator, "李明于12月31日前向美玲支付房屋份额款15万元。", chat=odr.id)
    await next_message(standin, mei.id)  # the agreement
    await next_message(standin, mei.id)  # rate it
    settled = await next_message(standin, odr.id)
    standin.press_button(mediator, settled, inline_buttons(settled)["🏛 已申请司法确认"])
    today = china_today().isoformat()
    assert (await next_message(standin, odr.id))["text"] == (
        f"🏛 案件 M2026-000001：调解协议 MA2026-000001 已于 {today} 申请司法确认，已记录。"
    )
    assert (await next_message(standin, mei.id))["text"] == (
        f"🏛 协议 MA2026-000001 已于 {today} 申请司法确认。"
    )

    standin.press_reply_button(mei, "📋 我的诉求")
    mine = await next_message(standin, mei.id)
    assert mine["text"] == "⚖️ 您的调解案件：\nM2026-000001 · 调解成功"
    standin.press_button(mei, mine, inline_buttons(mine)["查看 M2026-000001"])
    history = (await next_message(standin, mei.id))["text"].split("\n")
    assert history[0] == "⚖️ 案件 M2026-000001 · 👪 婚姻家庭 · 嘉兴市在线矛盾纠纷多元化解中心"
    assert history[1] == "状态：调解成功"
    assert [line.split(" · ", 1)[1] for line in history[3:]] == [
        "您提交了申请",
        "转至 嘉兴市在线矛盾纠纷多元化解中心",
        "嘉兴市在线矛盾纠纷多元化解中心 已受理",
        "要求补充证据：“请提供遗嘱复印件。”",
        "您补充了 1 个文件",
        "调解员已向对方当事人出示您的证据",
        "调解员提供了调解时间",
        f"您预约了 {stamp(times[0])} 的调解",
        f"您预约了 {stamp(times[1])} 的调解",
        f"您取消了 {stamp(times[1])} 的调解",
        "调解成功：协议 MA2026-000001",
        f"{today} 已申请司法确认",
    ]


async def test_a_chinese_case_referred_to_court_and_another_withdrawn_by_the_applicant(
    standin: BotAPIStandin, run_bot
) -> None:
    odr = standin.group(ODR_CHAT, title="在线矛盾纠纷多元化解中心")
    mediator = standin.user(5301, "许调解员", language_code="zh")
    standin.add_member(odr.id, mediator.id)
    mei = standin.user(3002, "美玲", language_code="zh")
    # two forms and a withdrawal within seconds: more than a person sends in ten seconds
    await run_bot(default_locale="zh", staff_locale="zh", throttle_messages=60)

    await file_case(standin, mei, "zh")
    await next_message(standin, odr.id)
    working = await accept(standin, mediator, mei.id)
    standin.press_button(mediator, working, inline_buttons(working)["⚖️ 调解不成：转法院"])
    referred = await next_message(standin, mei.id)
    assert referred["caption"] == "⚖️ 案件 M2026-000001 调解不成，已转交法院。案卷见附件。"
    assert standin.file(referred["document"]["file_id"]).data.startswith(b"%PDF")  # type: ignore[union-attr]
    assert (await next_message(standin, odr.id))["caption"] == referred["caption"]
    await next_message(standin, mei.id)  # rate it

    await file_case(standin, mei, "zh")
    await next_message(standin, odr.id)
    standin.press_reply_button(mei, "📋 我的诉求")
    mine = await next_message(standin, mei.id)
    assert mine["text"] == "⚖️ 您的调解案件：\nM2026-000002 · 已提交\nM2026-000001 · 已转法院"
    standin.press_button(mei, mine, inline_buttons(mine)["查看 M2026-000002"])
    history = await next_message(standin, mei.id)
    standin.press_button(mei, history, inline_buttons(history)["↩️ 撤回此案件"])
    sure = await next_message(standin, mei.id)
    assert sure["text"] == "撤回调解案件 M2026-000002？调解员将停止处理，且无法重新开启。"
    standin.press_button(mei, sure, inline_buttons(sure)["↩️ 是的，撤回"])
    assert (await next_message(standin, mei.id))["text"] == "↩️ 您的调解案件 M2026-000002 已撤回。"
    assert (await next_message(standin, odr.id))["text"] == "↩️ 案件 M2026-000002 已撤回。"
