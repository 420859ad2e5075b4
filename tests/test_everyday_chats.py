"""Every day in the chats: internal notes, passing on, withdrawing, local time, staff language.

Through the Bot API stand-in, as people do it, in English and in Chinese.
"""

from __future__ import annotations

from bot.localapi import BotAPIStandin
from tests.support.people import inline_buttons
from tests.support.running import eventually
from tests.test_resident_requests import (
    EAST_GATE_CHAT,
    INSIDE_EAST_GATE,
    next_message,
    report,
)

RIVERSIDE_CHAT = -1001000000012
SKIP = {"en": "⏭ Skip", "zh": "⏭ 跳过"}
SUBMIT = {"en": "📨 Submit", "zh": "📨 提交"}


async def report_in(
    standin: BotAPIStandin, resident, words: str, place: tuple[float, float], locale: str
) -> str:
    """The report form walked in the resident's language: words, the first kind, a place."""
    standin.send_message(resident, words)
    question = await next_message(standin, resident.id)
    standin.press_button(resident, question, next(iter(inline_buttons(question).values())))
    await next_message(standin, resident.id)
    standin.send_location(resident, *place)
    await next_message(standin, resident.id)
    standin.press_reply_button(resident, SKIP[locale])
    await next_message(standin, resident.id)
    summary = await next_message(standin, resident.id)
    standin.press_button(resident, summary, inline_buttons(summary)[SUBMIT[locale]])
    return (await next_message(standin, resident.id))["text"]


async def test_the_card_says_how_to_keep_a_note_and_the_note_comes_back_marked_internal(
    standin: BotAPIStandin, run_bot
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(east.id, worker.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    await run_bot()
    await report(standin, shen, "The drain is blocked", INSIDE_EAST_GATE)
    card = (await standin.wait_for_messages(east.id, count=2, timeout=10))[0]
    assert (
        "🔒 Start with “!” for an internal note: kept on the request, never sent." in (card["text"])
    )

    standin.send_message(worker, "! the pump key is at the depot", chat=east.id, reply_to=card)
    shown = await next_message(standin, east.id)
    assert shown["text"] == (
        "🔒 Internal note on 2026-000001, kept for the team; the resident does not see it:\n"
        "the pump key is at the depot"
    )
    assert not [m for m in standin.messages(shen.id) if "pump key" in m.get("text", "")]


async def test_the_resident_hears_which_team_has_the_request_now(
    standin: BotAPIStandin, run_bot
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="第一网格")
    standin.group(RIVERSIDE_CHAT, title="第二网格")
    worker = standin.user(111112, "李明", language_code="zh")
    standin.add_member(east.id, worker.id)
    mei = standin.user(3002, "美玲", language_code="zh")
    await run_bot(default_locale="zh")
    await report_in(standin, mei, "下水道堵了", INSIDE_EAST_GATE, "zh")
    card = (await standin.wait_for_messages(east.id, count=2, timeout=10))[0]

    standin.press_button(worker, card, inline_buttons(card)["↪️ 转派"])
    choices = await next_message(standin, east.id)
    standin.press_button(worker, choices, inline_buttons(choices)["📍 第二网格（河边）"])
    told = await next_message(standin, mei.id)
    assert told["text"] == "↪️ 您的诉求 2026-000001 已转交给第二网格（河边），由他们继续办理。"


async def test_a_resident_withdraws_a_request_and_nobody_else_can(
    standin: BotAPIStandin, run_bot
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    shen = standin.user(3001, "Lao Shen", language_code="en")
    mallory = standin.user(3004, "Mallory", language_code="en")
    await run_bot()
    await report(standin, shen, "The drain is blocked", INSIDE_EAST_GATE)
    await standin.wait_for_messages(east.id, count=2, timeout=10)

    standin.send_command(shen, "/requests")
    listing = await next_message(standin, shen.id)
    standin.press_button(shen, listing, inline_buttons(listing)["Open 2026-000001"])
    opened = await next_message(standin, shen.id)
    withdraw = inline_buttons(opened)["↩️ Withdraw this request"]

    forged = standin.press_button(mallory, opened, withdraw)  # someone else's request
    await eventually(lambda: standin.callback_answers(forged))
    assert standin.callback_answers(forged)[0]["text"] == "This request is not yours."
    forged_sure = standin.press_button(mallory, opened, withdraw.replace(":0", ":1"))
    await eventually(lambda: standin.callback_answers(forged_sure))
    assert standin.callback_answers(forged_sure)[0]["text"] == "This request is not yours."

    standin.press_button(shen, opened, withdraw)
    sure = await next_message(standin, shen.id)
    assert sure["text"].startswith("Withdraw request 2026-000001? The team will stop working")
    standin.press_button(shen, sure, inline_buttons(sure)["↩️ Yes, withdraw it"])
    await eventually(
        lambda: (
            standin.messages(shen.id)[-1]["text"]
            == "↩️ Request 2026-000001 is withdrawn. The team has been told."
        )
    )
    staff_told = await next_message(standin, east.id)
    assert staff_told["text"] == (
        "↩️ The resident withdrew request 2026-000001: nothing more needs doing."
    )

    again = standin.press_button(shen, sure, inline_buttons(sure)["↩️ Yes, withdraw it"])
    await eventually(lambda: standin.callback_answers(again))
    assert standin.callback_answers(again)[0]["text"] == (
        "Request 2026-000001 is already withdrawn; it cannot be withdrawn."
    )
