"""Filling in the mediation form through the Bot API stand-in, for the mediation tests: the
words a person sees in each language, and the chats of the bundled sample routing's
mediation organisations."""

from __future__ import annotations

from typing import Any

from bot.localapi import BotAPIStandin
from tests.support.people import inline_buttons
from tests.test_mediation import give_area
from tests.test_resident_requests import next_message

QIXING_CHAT = -1001000000095  # Qixing People's Mediation Committee: Sanjiabang only
MEDICAL_CHAT = -1001000000096
ODR_CHAT = -1001000000097  # Jiaxing Online Dispute Resolution Centre: everywhere
STREET_OFFICE_CHAT = -1001000000001

WORDS = {
    "en": {
        "where?": (
            "Where do you live? It decides which mediation organisation takes your case. Share "
            "your location with the button below, choose your area, or press “Skip”."
        ),
        "skip": "⏭ Skip",
        "done": "✅ Done",
        "submit": "📨 Submit",
        "family": "👪 Family",
        "grid 1": "Grid 1: east gate",
    },
    "zh": {
        "where?": (
            "您住在哪里？这决定由哪个调解组织受理您的案件。请用下方按钮发送位置、"
            "选择您所在的片区，或按“跳过”。"
        ),
        "skip": "⏭ 跳过",
        "done": "✅ 完成",
        "submit": "📨 提交",
        "family": "👪 婚姻家庭",
        "grid 1": "第一网格（东门）",
    },
}


async def file_case(
    standin: BotAPIStandin,
    resident: Any,
    locale: str,
    kind: str = "family",
    area: str | None = None,
    evidence: list[bytes] | None = None,
) -> dict[str, Any]:
    """/mediation to Submit (the other party's contact skipped); returns the thanks."""
    words = WORDS[locale]
    standin.send_command(resident, "/mediation")
    await next_message(standin, resident.id)  # what mediation is
    kinds = await next_message(standin, resident.id)
    standin.press_button(resident, kinds, inline_buttons(kinds)[words[kind]])
    await next_message(standin, resident.id)  # who is the other party
    standin.send_message(resident, "Li Ming")
    await next_message(standin, resident.id)  # how to reach them
    standin.press_reply_button(resident, words["skip"])
    await next_message(standin, resident.id)  # what happened
    standin.send_message(resident, "My brother keeps our late mother's flat to himself.")
    await next_message(standin, resident.id)  # what do you ask for
    standin.send_message(resident, "A fair share of the flat")
    await give_area(standin, resident, words, area)
    for data in evidence or []:
        standin.send_document(resident, data, file_name="will.pdf")
        await next_message(standin, resident.id)  # evidence added
    standin.press_reply_button(resident, words["done" if evidence else "skip"])
    await next_message(standin, resident.id)  # almost done
    summary = await next_message(standin, resident.id)
    standin.press_button(resident, summary, inline_buttons(summary)[words["submit"]])
    return await next_message(standin, resident.id)
