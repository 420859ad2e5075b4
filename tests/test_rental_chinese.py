"""Rental houses in Chinese: a landlord registers by choosing the grid, two tenants register
(one mistypes her ID number), an inspection fails the extinguisher and the house turns red in
the grid's and the community's chats, a re-inspection turns it green; bad input is refused in
Chinese (no beds, an unknown join code, an unknown house code)."""

from __future__ import annotations

import re

from bot.localapi import BotAPIStandin
from tests.support.people import inline_buttons
from tests.test_rental import (
    JOIN,
    SANJIABANG_CHAT,
    STREET_OFFICE_CHAT,
    inspect,
    register_house,
    register_tenant,
    standin,  # noqa: F401  (the fixture: a group's limit raised for inspections)
    with_alarm,
)
from tests.test_resident_requests import EAST_GATE_CHAT, next_message


async def test_a_house_turns_red_and_green_in_chinese(standin: BotAPIStandin, run_bot) -> None:  # noqa: F811
    east = standin.group(EAST_GATE_CHAT, title="第一网格")
    community = standin.group(SANJIABANG_CHAT, title="三家浜社区")
    standin.group(STREET_OFFICE_CHAT, title="街道")
    worker = standin.user(111111, "王芳", language_code="zh-hans")
    standin.add_member(east.id, worker.id)
    landlord = standin.user(5001, "张伟", language_code="zh-hans")
    first = standin.user(5002, "李娜", language_code="zh-hans")
    second = standin.user(5003, "刘洋", language_code="zh-hans")
    await run_bot(default_locale="zh")

    said = await register_house(standin, landlord, by_location=False)
    refused, summary, registered = said.split("\n---\n")
    assert refused == "床位数须为 1 到 500 的整数。"
    assert summary == (
        "请核对房屋信息：\n地址：Market Lane 7, room 302\n网格：第一网格（东门）\n房间：2\n"
        "床位：2\n您的电话：13912345678\n照片：1"
    )
    found = re.search(r"房屋编号是 (R\w+)。", registered)
    join = JOIN.search(registered)
    assert found and join, registered
    code = found.group(1)
    assert (await next_message(standin, east.id))["text"].startswith(
        f"🏠 第一网格（东门）新登记出租房 {code}：Market Lane 7, room 302，2 个房间，2 张床。"
    )

    standin.send_command(first, "/start", "rent_wrongcode")
    assert (await next_message(standin, first.id))["text"] == (
        "没有登记码为“wrongcode”的出租房。请向房东核实。"
    )
    standin.send_command(first, "/start", join.group(1))
    assert (await next_message(standin, first.id))["text"].startswith(
        f"出租房 {code}（第一网格（东门））居住登记。"
    )
    standin.send_message(first, "李娜")
    kinds = await next_message(standin, first.id)
    standin.press_button(first, kinds, inline_buttons(kinds)["居民身份证"])
    await next_message(standin, first.id)
    standin.send_message(first, "110105194912310021")
    assert (await next_message(standin, first.id))["text"] == (
        "这个号码不正确：最后一位校验码与前面的数字对不上，可能有一位输错了。请核对后重新输入。"
    )
    standin.send_command(first, "/cancel")
    await next_message(standin, first.id)
    said = await register_tenant(
        standin, first, join.group(1), "李娜", "居民身份证", "11010519491231002X"
    )
    assert said[3].startswith("登记成功：您自 ")
    assert (await next_message(standin, landlord.id))["text"].startswith(
        f"👤 李娜 已登记为您房屋 {code} 的租客，"
    )
    await register_tenant(standin, second, join.group(1), "刘洋", "护照", "E7654321")
    await next_message(standin, landlord.id)

    standin.send_command(worker, "/inspect", "RNONE", chat=east.id)
    assert (await next_message(standin, east.id))["text"] == "没有编号为“RNONE”的出租房。"
    shown, result = await inspect(standin, worker, east.id, code, failing={1})
    result, alarm = await with_alarm(standin, east.id, result)
    assert shown["text"].startswith(
        f"🔍 王芳 检查第一网格（东门）出租房 {code}：共 6 项。已登记租客：2 人（床位：2）。"
    )
    assert "\n\n❌ 1/6 灭火器在有效期内（关键项）\n✅ 2/6 逃生通道畅通（关键项）" in shown["text"]
    assert result["text"].startswith(
        f"{code} 检查完成：🟥 红色。\n• 关键项不合格：灭火器在有效期内\n下次检查截止："
    )
    assert alarm["text"] == (
        f"🟥 第一网格（东门）出租房 {code} 变为红色。\n地址：Market Lane 7, room 302\n"
        "• 关键项不合格：灭火器在有效期内"
    )
    assert (await next_message(standin, community.id))["text"] == alarm["text"]
    assert (await next_message(standin, landlord.id))["text"] == (
        f"您的出租房 {code} 现为🟥 红色。\n需整改：\n• 关键项不合格：灭火器在有效期内"
    )

    _shown, result = await inspect(standin, worker, east.id, code, failing=set())
    assert result["text"].startswith(f"{code} 检查完成：🟩 绿色。\n下次检查截止：")
    assert (await next_message(standin, landlord.id))["text"] == f"您的出租房 {code} 现为🟩 绿色。"
