"""The legal service point, finished: its commands in the lawyers' chat's menu, a booking moved
or cancelled by its asker, a lawyer's internal note, edits in a forum chat, and a doubly
delivered "Send" opening one topic. Through the Bot API stand-in, in English and Chinese."""

from __future__ import annotations

from pathlib import Path

from bot.localapi import BotAPIStandin
from tests.test_legal import LAWYERS, legal_routing


async def test_the_lawyers_chat_has_duty_and_hours_in_its_menu(
    standin: BotAPIStandin, run_bot, tmp_path: Path
) -> None:
    await run_bot(routing_file=legal_routing(tmp_path))
    english = standin.commands("chat", language_code="", chat_id=LAWYERS)
    chinese = standin.commands("chat", language_code="zh", chat_id=LAWYERS)
    assert english == [
        {
            "command": "duty",
            "description": "Who is on duty today; /duty on or /duty off for yourself",
        },
        {
            "command": "hours",
            "description": "Your service hours this month; /hours add 30 records minutes",
        },
    ]
    assert [c["description"] for c in chinese] == [
        "今天谁值班；/duty on 或 /duty off 设置自己",
        "本月的服务时长；/hours add 30 记录分钟数",
    ]
    assert "duty" not in [c["command"] for c in standin.commands("all_group_chats")]
