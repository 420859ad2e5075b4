"""Every day in the chats: internal notes, passing on, withdrawing, local time, staff language.

Through the Bot API stand-in, as people do it, in English and in Chinese.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.localapi import BotAPIStandin
from bot.settings import zone_of
from handlers.statuses import local_time
from services.routing_file import SAMPLE_PATH
from tests.support.people import inline_buttons
from tests.support.running import eventually
from tests.test_resident_requests import (
    EAST_GATE_CHAT,
    INSIDE_EAST_GATE,
    PNG,
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


def test_times_read_in_china_time_with_the_date_unless_today() -> None:
    zone = zone_of("Asia/Shanghai")
    now = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
    assert local_time(datetime(2026, 11, 30, 23, 30, tzinfo=UTC), zone, now) == "07:30"
    assert local_time(datetime(2026, 11, 30, 10, 0, tzinfo=UTC), zone, now) == "2026-11-30 18:00"
    assert local_time(datetime(2026, 11, 30, 10, 0), zone, now) == "2026-11-30 18:00"  # SQLite


def china_clock() -> set[str]:
    """The time on a wall clock in Shanghai now, and a minute on (a test may cross a minute)."""
    now = datetime.now(zone_of("Asia/Shanghai"))
    return {f"{now:%H:%M}", f"{now + timedelta(minutes=1):%H:%M}"}


async def test_a_resident_and_staff_read_times_in_china_time(
    standin: BotAPIStandin, run_bot
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(east.id, worker.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    await run_bot()
    before = china_clock()
    await report(standin, shen, "The drain is blocked", INSIDE_EAST_GATE)
    card = (await standin.wait_for_messages(east.id, count=2, timeout=10))[0]
    clock = before | china_clock()

    standin.send_command(shen, "/requests")
    listing = await next_message(standin, shen.id)
    updated = re.search(r"updated (\S+)\n", listing["text"])
    assert updated is not None and updated.group(1) in clock, listing["text"]
    standin.press_button(shen, listing, inline_buttons(listing)["Open 2026-000001"])
    opened = await next_message(standin, shen.id)
    assert any(f"{time} · you reported it" in opened["text"] for time in clock), opened["text"]

    standin.press_button(worker, card, inline_buttons(card)["🙋 Take"])
    await next_message(standin, shen.id)
    standin.send_command(worker, "/ticket", args="2026-000001", chat=east.id)
    shown = await next_message(standin, east.id)
    assert "Status: taken" in shown["text"]
    assert any(f"{time} · reported · Lao Shen" in shown["text"] for time in clock), shown["text"]
    standin.send_command(worker, "/open", chat=east.id)
    listing = await next_message(standin, east.id)
    assert "2026-000001 · Drains and sewers · taken ·" in listing["text"]


async def test_staff_chats_read_their_own_language(
    standin: BotAPIStandin, run_bot, tmp_path: Path
) -> None:
    """STAFF_LOCALE for every staff chat; a chat the routing file names reads its own."""
    routing = tmp_path / "routing.yaml"
    sample = SAMPLE_PATH.read_text(encoding="utf-8")
    routing.write_text(sample + f"\nchat_locales:\n  {RIVERSIDE_CHAT}: en\n", encoding="utf-8")
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    riverside = standin.group(RIVERSIDE_CHAT, title="Grid 2")
    worker = standin.user(111111, "Wang Fang", language_code="en")  # reads English herself
    standin.add_member(east.id, worker.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    await run_bot(staff_locale="zh", routing_file=routing)
    await report(standin, shen, "The drain is blocked", INSIDE_EAST_GATE)
    card = (await standin.wait_for_messages(east.id, count=2, timeout=10))[0]
    assert card["text"].startswith("🆕 诉求 2026-000001 · 下水道与排水")

    standin.press_button(worker, card, inline_buttons(card)["🙋 认领"])
    taken = await next_message(standin, shen.id)
    assert taken["text"].startswith("Your request 2026-000001 has been taken")  # hers: English
    await eventually(lambda: "🙋 Wang Fang 已认领" in standin.messages(east.id)[0]["text"])
    standin.send_command(worker, "/ticket", args="2026-000001", chat=east.id)
    shown = await next_message(standin, east.id)
    assert "状态：已认领" in shown["text"]
    assert "new" not in shown["text"] and "taken" not in shown["text"]

    standin.press_button(worker, card, inline_buttons(card)["↪️ 转派"])
    choices = await next_message(standin, east.id)
    standin.press_button(worker, choices, inline_buttons(choices)["📍 第二网格（河边）"])
    new_card = (await standin.wait_for_messages(riverside.id, count=2, timeout=10))[0]
    assert new_card["text"].startswith("🆕 Request 2026-000001 · Drains and sewers")


async def test_an_anonymous_report_hides_the_name_from_staff_and_still_relays(
    standin: BotAPIStandin, run_bot
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(east.id, worker.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    await run_bot()
    standin.send_message(shen, "Someone dumps rubbish behind building 4 at night")
    question = await next_message(standin, shen.id)
    standin.press_button(shen, question, next(iter(inline_buttons(question).values())))
    await next_message(standin, shen.id)
    standin.send_location(shen, *INSIDE_EAST_GATE)
    await next_message(standin, shen.id)
    standin.press_reply_button(shen, "⏭ Skip")
    await next_message(standin, shen.id)
    summary = await next_message(standin, shen.id)
    assert "👤 The team sees your Telegram name: Lao Shen" in summary["text"]
    standin.press_button(shen, summary, inline_buttons(summary)["🙈 Hide my name from the team"])
    await next_message(standin, shen.id)  # "Almost done."
    summary = await next_message(standin, shen.id)
    assert summary["text"].endswith(
        "🙈 Anonymous: the team sees “anonymous resident” instead of your name. They still "
        "read what you write and see your photos and the place, and their replies reach "
        "you here. The bot's administrators can still see who sent it."
    )
    assert "👤 Show my name to the team" in inline_buttons(summary)
    standin.press_button(shen, summary, inline_buttons(summary)["📨 Submit"])
    await next_message(standin, shen.id)

    card = (await standin.wait_for_messages(east.id, count=2, timeout=10))[0]
    assert "From: anonymous resident" in card["text"]
    assert "Lao Shen" not in card["text"]
    standin.send_message(worker, "We will watch the spot.", chat=east.id, reply_to=card)
    assert (await next_message(standin, shen.id))["text"].endswith("We will watch the spot.")
    await next_message(standin, east.id)
    standin.send_command(worker, "/ticket", args="2026-000001", chat=east.id)
    shown = await next_message(standin, east.id)
    assert "reported · anonymous resident" in shown["text"]
    assert "Lao Shen" not in " ".join(m.get("text", "") for m in standin.messages(east.id))


async def test_a_voice_note_is_taken_as_the_description_and_reaches_staff(
    standin: BotAPIStandin, run_bot
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="第一网格")
    grandpa = standin.user(3005, "老周", language_code="zh")
    await run_bot(default_locale="zh")
    standin.send_command(grandpa, "/report")
    await next_message(standin, grandpa.id)
    spoken = standin.send_media(grandpa, "voice", b"OggS-spoken", duration=75)
    kept = await next_message(standin, grandpa.id)
    assert kept["text"] == "语音已作为问题描述保存，工作人员会收听。"
    question = await next_message(standin, grandpa.id)
    assert question["text"] == "这属于哪一类问题？"
    standin.press_button(grandpa, question, inline_buttons(question)["下水道与排水"])
    await next_message(standin, grandpa.id)
    standin.send_location(grandpa, *INSIDE_EAST_GATE)
    await next_message(standin, grandpa.id)
    standin.press_reply_button(grandpa, SKIP["zh"])
    await next_message(standin, grandpa.id)
    summary = await next_message(standin, grandpa.id)
    assert "“🎤 1:15”" in summary["text"]
    standin.press_button(grandpa, summary, inline_buttons(summary)[SUBMIT["zh"]])
    await next_message(standin, grandpa.id)

    card, voice, _location = await standin.wait_for_messages(east.id, count=3, timeout=10)
    assert "🎤 居民用语音描述了问题：语音紧随其后。" in card["text"]
    assert voice["voice"]["file_unique_id"] == spoken["message"]["voice"]["file_unique_id"]
    assert voice["caption"] == "2026-000001"


async def test_an_album_sent_as_a_comment_reaches_staff_as_one_album(
    standin: BotAPIStandin, run_bot
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    shen = standin.user(3001, "Lao Shen", language_code="en")
    await run_bot()
    await report(standin, shen, "The drain is blocked", INSIDE_EAST_GATE)
    await standin.wait_for_messages(east.id, count=2, timeout=10)
    standin.send_command(shen, "/requests")
    listing = await next_message(standin, shen.id)
    standin.press_button(shen, listing, inline_buttons(listing)["Open 2026-000001"])
    opened = await next_message(standin, shen.id)
    standin.press_button(shen, opened, inline_buttons(opened)["💬 Add a comment or photo"])
    await next_message(standin, shen.id)

    standin.send_album(shen, [PNG, PNG + b"2", PNG + b"3"], caption="Three angles of the drain")
    album = await standin.wait_for_messages(east.id, count=3, timeout=10)
    assert len({message["media_group_id"] for message in album}) == 1
    assert album[0]["caption"] == (
        "💬 The resident adds to request 2026-000001:\n\nThree angles of the drain"
    )
    assert all(message["photo"] for message in album)
    acknowledged = await next_message(standin, shen.id)
    assert acknowledged["text"] == "Added 3 to request 2026-000001. The team will see them."
    await asyncio.sleep(1.5)
    assert standin.pending_messages(shen.id) == []  # one acknowledgement, not one per photo
    assert [c.method for c in standin.calls() if c.params.get("chat_id") == east.id][-1] == (
        "sendMediaGroup"
    )
