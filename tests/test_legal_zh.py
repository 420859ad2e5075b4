"""The legal service point in Chinese, in a forum lawyers' chat: a worker asks by voice about
unpaid wages; a lawyer goes on duty with /duty, takes it and answers in its topic; another
lawyer cannot answer for them; the asker follows up from “My requests”; hours add up."""

from __future__ import annotations

import re
from pathlib import Path

from bot.localapi import BotAPIStandin
from tests.support.people import inline_buttons
from tests.test_legal import CHEN, LAWYERS, LIN, card_of, lawyers_chat, legal_routing, press
from tests.test_resident_requests import next_message


async def test_a_worker_asks_about_unpaid_wages_in_chinese_in_a_forum(
    standin: BotAPIStandin, run_bot, tmp_path: Path
) -> None:
    lawyers_chat(standin, forum=True, language="zh")
    wang = standin.user(3301, "小王", language_code="zh")
    await run_bot(routing_file=legal_routing(tmp_path, forum=True), staff_locale="zh")

    standin.send_command(wang, "/lawyer")
    assert (await next_message(standin, wang.id))["text"] == (
        "👩‍⚖️ 免费咨询法律服务点的值班律师。您是为自己咨询，还是为小微企业咨询？"
    )
    standin.press_reply_button(wang, "🙋 为自己咨询")
    assert (await next_message(standin, wang.id))["text"] == "您的问题属于哪一类？"
    standin.send_message(wang, "税务")
    assert (await next_message(standin, wang.id))["text"] == (
        "“税务”不是可选的类别。请选择：劳动用工, 合同纠纷, 平台用工, 婚姻家庭, 其他。"
    )
    standin.send_message(wang, "劳动用工")  # typed, not pressed: the same topic
    assert (await next_message(standin, wang.id))["text"].startswith("请描述您的问题")
    standin.send_media(wang, "voice", b"OggS voice" * 50)
    assert (await next_message(standin, wang.id))["text"] == "收到。可以继续补充，或按“✅ 完成”。"
    standin.send_message(wang, "公司拖欠了我三个月工资")
    await next_message(standin, wang.id)
    standin.press_reply_button(wang, "✅ 完成")
    summary = (await next_message(standin, wang.id))["text"]
    assert "咨询身份：个人\n类别：劳动用工\n“公司拖欠了我三个月工资”\n📎 语音" in summary
    standin.press_reply_button(wang, "📨 发送给律师")
    filed = (await next_message(standin, wang.id))["text"]
    found = re.search(r"L\d{4}-\d{6}", filed)
    assert found and filed.startswith(f"📨 您的问题 {found[0]} 已发给值班律师。")
    number = found[0]

    card = await card_of(standin)
    topic = card["message_thread_id"]
    assert [t.name for t in standin.topics(LAWYERS)] == [f"{number} · 劳动用工"]
    assert card["text"].startswith(f"⚖️ 问题 {number} · 劳动用工\n来自个人：小王")
    voice = await next_message(standin, LAWYERS)  # the spoken question, in its topic
    assert "voice" in voice and voice["caption"] == number
    assert voice["message_thread_id"] == topic

    # Lin is not on the roster today: told, goes on duty, then takes it
    assert await press(standin, LIN, card, "🙋 认领") == (
        "您今天不值班。请先在律师群中发送 /duty on 上岗，再接单。"
    )
    standin.send_command(LIN, "/duty", "on", chat=LAWYERS)
    said = (await next_message(standin, LAWYERS))["text"]
    day = said.removeprefix("Lawyer Lin ").removesuffix(" 值班。")
    assert said == f"Lawyer Lin {day} 值班。"
    standin.send_command(LIN, "/duty", chat=LAWYERS)
    assert (await next_message(standin, LAWYERS))["text"] == (
        f"{day} 值班：Lawyer Chen, Lawyer Lin"
    )
    assert await press(standin, LIN, card, "🙋 认领") == f"已处理：{number}"
    assert (await next_message(standin, wang.id))["text"] == (
        f"👩‍⚖️ 值班律师已接下您的问题 {number}，答复会发到这里。"
    )

    standin.send_message(LIN, "可以先申请劳动仲裁，不收费。", LAWYERS, message_thread_id=topic)
    assert (await next_message(standin, LAWYERS))["text"] == (
        f"✉️ 已以“值班律师”的名义发送给 {number} 的咨询人。"
    )
    answer = await next_message(standin, wang.id)
    assert answer["text"] == (
        f"👩‍⚖️ 值班律师就您的问题 {number} 答复：\n\n可以先申请劳动仲裁，不收费。"
    )
    assert "Lin Tao" not in str(answer) and "Lawyer Lin" not in str(answer)
    assert str(LIN) not in str(answer) and "forward_origin" not in answer
    standin.send_message(CHEN, "我来补充一下", LAWYERS, message_thread_id=topic)
    assert (await next_message(standin, LAWYERS))["text"] == (
        f"问题 {number} 已由Lawyer Lin接下，只有该律师答复咨询人。此消息未发送。"
    )

    # the asker follows the question under “My requests” and writes to the lawyer from there
    standin.press_reply_button(wang, "📋 我的诉求")
    listed = await next_message(standin, wang.id)
    assert listed["text"] == f"您向值班律师提出的问题：\n\n{number} · 劳动用工 · 律师正在解答"
    standin.press_button(wang, listed, inline_buttons(listed)[f"查看 {number}"])
    opened = await next_message(standin, wang.id)
    assert opened["text"] == f"问题 {number}：律师正在解答\n“公司拖欠了我三个月工资”"
    standin.press_button(wang, opened, inline_buttons(opened)["💬 给值班律师写信"])
    await next_message(standin, wang.id)
    standin.send_message(wang, "需要准备哪些材料？")
    assert (await next_message(standin, wang.id))["text"] == f"已发送给值班律师（问题 {number}）。"
    followup = await next_message(standin, LAWYERS)
    assert followup["text"] == f"💬 咨询人补充问题 {number}：\n\n需要准备哪些材料？"
    assert followup["message_thread_id"] == topic

    standin.send_message(LIN, "/hours add 20", LAWYERS, message_thread_id=topic)
    assert (await next_message(standin, LAWYERS))["text"] == (
        f"⏱ 已记录 {day} 的 20 分钟（问题 {number}）。"
    )
    standin.send_command(LIN, "/hours")
    assert (await next_message(standin, LIN))["text"] == (
        f"⏱ Lawyer Lin {day[:7]} 的服务时长：\n{day} · 20 min · {number}\n合计：0 小时 20 分钟"
    )
