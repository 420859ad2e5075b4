"""The legal service point, finished: its commands in the lawyers' chat's menu, a booking moved
or cancelled by its asker, a lawyer's internal note, edits in a forum chat, and a doubly
delivered "Send" opening one topic. Through the Bot API stand-in, in English and Chinese."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import update

from bot.factory import build
from bot.localapi import BotAPIStandin
from services.legal_contract import LegalDraft
from services.models import Notification, utcnow
from services.storage import Database
from tests.support.people import inline_buttons
from tests.support.running import recorded
from tests.test_legal import (
    CHEN,
    LAWYERS,
    card_of,
    lawyers_chat,
    legal_routing,
    press,
    taken_card,
)
from tests.test_resident_requests import next_message


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


BUTTONS = {
    "en": ("🙋 For myself", "⚖️ Family", "✅ Done", "📨 Send to the lawyers"),
    "zh": ("🙋 为自己咨询", "⚖️ 婚姻家庭", "✅ 完成", "📨 发送给律师"),
}


async def ask(standin: BotAPIStandin, user: Any, words: str, locale: str = "en") -> str:
    """A person asks about a family matter in a few words; the question's number."""
    myself, family, done, send = BUTTONS[locale]
    standin.send_command(user, "/lawyer")
    await next_message(standin, user.id)
    for button in (myself, family):
        standin.press_reply_button(user, button)
        await next_message(standin, user.id)
    standin.send_message(user, words)
    await next_message(standin, user.id)
    standin.press_reply_button(user, done)
    await next_message(standin, user.id)
    standin.press_reply_button(user, send)
    filed = (await next_message(standin, user.id))["text"]
    found = re.search(r"L\d{4}-\d{6}", filed)
    assert found is not None
    return found[0]


async def offered_times(standin: BotAPIStandin, asker: Any, number: str) -> dict[str, Any]:
    """The lawyer takes the question and offers the week's times; the asker's offer."""
    card = await card_of(standin)
    assert await press(standin, CHEN, card, "🙋 Take") == f"Done: {number}"
    await next_message(standin, asker.id)  # taken

    await press(standin, CHEN, await taken_card(standin, card), "📅 Offer a consultation")
    return await next_message(standin, asker.id)


async def test_an_asker_moves_then_cancels_a_consultation_and_the_time_is_free_again(
    standin: BotAPIStandin, run_bot, tmp_path: Path
) -> None:
    lawyers_chat(standin)
    wu = standin.user(3201, "Wu Min", language_code="en")
    he = standin.user(3202, "He Li", language_code="en")
    await run_bot(routing_file=legal_routing(tmp_path))
    wu_number = await ask(standin, wu, "My landlord keeps our deposit")
    wu_offer = await offered_times(standin, wu, wu_number)
    he_number = await ask(standin, he, "Alimony question")
    he_offer = await offered_times(standin, he, he_number)
    first, second, third = list(inline_buttons(wu_offer))[:3]
    await press(standin, wu, wu_offer, first)
    booked = await next_message(standin, wu.id)
    assert list(inline_buttons(booked)) == ["🔁 Move to another time", "✖️ Cancel the booking"]
    await next_message(standin, LAWYERS)
    await press(standin, he, he_offer, second)
    await next_message(standin, he.id)
    await next_message(standin, LAWYERS)

    # moved: to a time somebody else holds (refused, the booking stands), then to a free one
    await press(standin, wu, booked, "🔁 Move to another time")
    moving = await next_message(standin, wu.id)
    was = first.removeprefix("🕑 ")
    assert moving["text"] == f"Your consultation is booked for {was}. Choose the new time:"
    assert first not in inline_buttons(moving) and second not in inline_buttons(moving)
    wu_question = inline_buttons(moving)[third].split(":")[1]
    he_time = inline_buttons(he_offer)[second].split(":")[2]
    standin.press_button(wu, moving, f"lm:{wu_question}:{he_time}")  # He holds that time
    refused = await next_message(standin, wu.id)
    assert refused["text"] == "That time was booked by someone else a moment ago. Choose another:"
    await press(standin, wu, moving, third)
    now = third.removeprefix("🕑 ")
    moved = await next_message(standin, wu.id)
    assert moved["text"] == (
        f"📅 Moved: your consultation about question {wu_number} is now {now} (not {was}), "
        "at Canal Legal Service Point, Qixing Street Office, 2nd floor."
    )
    assert (await next_message(standin, LAWYERS))["text"] == (
        f"📅 The asker of {wu_number} moved the consultation from {was} to {now}."
    )
    assert await press(standin, he, moving, third) == "This question is not yours."

    # cancelled, asked first; the time is free again and He can move to it
    await press(standin, wu, moved, "✖️ Cancel the booking")
    asked = await next_message(standin, wu.id)
    assert asked["text"] == f"Cancel your consultation of {now}? The time goes to someone else."
    await press(standin, wu, asked, "✖️ Yes, cancel it")
    cancelled = await next_message(standin, wu.id)
    assert cancelled["text"] == f"Cancelled: your consultation of {now} about question {wu_number}."
    assert list(inline_buttons(cancelled)) == ["📅 Book another time"]
    assert (await next_message(standin, LAWYERS))["text"] == (
        f"✖️ The asker of {wu_number} cancelled the consultation of {now}; that time is free again."
    )
    assert await press(standin, wu, asked, "✖️ Yes, cancel it") == (
        "You have no consultation booked for this question."
    )
    he_booked = next(m for m in standin.messages(he.id) if "Booked" in m.get("text", ""))
    await press(standin, he, he_booked, "🔁 Move to another time")
    he_moving = await next_message(standin, he.id)
    assert first in inline_buttons(he_moving) and third in inline_buttons(he_moving)
    await press(standin, he, he_moving, third)
    assert (await next_message(standin, he.id))["text"].startswith(
        f"📅 Moved: your consultation about question {he_number} is now {now}"
    )


async def test_a_lawyers_note_starting_with_an_exclamation_mark_stays_internal(
    standin: BotAPIStandin, run_bot, tmp_path: Path
) -> None:
    lawyers_chat(standin, forum=True, language="zh")
    wang = standin.user(3301, "小王", language_code="zh")
    bot = await run_bot(routing_file=legal_routing(tmp_path, forum=True), staff_locale="zh")
    number = await ask(standin, wang, "公司拖欠了我三个月工资", "zh")
    card = await card_of(standin)
    topic = card["message_thread_id"]
    assert await press(standin, CHEN, card, "🙋 认领") == f"已处理：{number}"
    await next_message(standin, wang.id)  # taken
    standin.send_message(CHEN, "! 先核实劳动合同", LAWYERS, message_thread_id=topic)
    shown = await next_message(standin, LAWYERS)
    assert shown["text"] == (
        f"🔒 关于 {number} 的内部备注，仅律师可见，咨询人看不到：\n先核实劳动合同"
    )
    assert shown["message_thread_id"] == topic
    await asyncio.sleep(0.5)
    assert standin.pending_messages(wang.id) == []  # never relayed
    linkage = build(bot.settings)
    try:
        assert linkage.legal is not None
        question = await linkage.legal.by_topic(LAWYERS, topic)
        assert question is not None
        [(note, words)] = await linkage.legal.notes(question.id or 0)
    finally:
        await linkage.close()
    assert (words, note.lawyer_id) == ("先核实劳动合同", CHEN)


async def test_an_edit_too_old_to_change_in_place_lands_in_the_questions_topic(
    standin: BotAPIStandin, run_bot, tmp_path: Path, database_url: str
) -> None:
    lawyers_chat(standin, forum=True)
    wu = standin.user(3201, "Wu Min", language_code="en")
    bot = await run_bot(routing_file=legal_routing(tmp_path, forum=True))
    number = await ask(standin, wu, "My landlord keeps our deposit")
    card = await card_of(standin)
    topic = card["message_thread_id"]
    assert await press(standin, CHEN, card, "🙋 Take") == f"Done: {number}"
    await next_message(standin, wu.id)  # taken
    standin.send_message(CHEN, "Do you have a receipt?", LAWYERS, message_thread_id=topic)
    await next_message(standin, LAWYERS)  # sent
    answer = await next_message(standin, wu.id)
    await recorded(bot.settings, answer)  # as when a person has read it
    mine = standin.send_message(wu, "Yes, a receipt for 3000 yuan", reply_to=answer)["message"]
    await next_message(standin, wu.id)  # sent to the lawyer
    copy = await next_message(standin, LAWYERS)
    assert copy["message_thread_id"] == topic

    db = Database(database_url)  # two days pass: Telegram no longer lets the bot edit it
    async with db.session() as session:
        await session.exec(  # type: ignore[call-overload]
            update(Notification).values(delivered_at=utcnow() - timedelta(hours=49))
        )
        await session.commit()
    await db.close()
    standin.edit_message(wu, mine, "Yes, a receipt for 3500 yuan")
    edited = await next_message(standin, LAWYERS)
    assert edited["text"] == (
        f"💬 The asker adds to question {number}:\n✏️ Edited:\n\nYes, a receipt for 3500 yuan"
    )
    assert edited["message_thread_id"] == topic  # in the question's topic, not in General
    assert edited["reply_to_message"]["message_id"] == copy["message_id"]


async def test_a_send_delivered_again_opens_no_second_topic(
    standin: BotAPIStandin, run_bot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first "Send" filed the question and opened its topic, then its process died before
    answering; the person presses "Send" again: the same question, in the same one topic."""
    intake = UUID(int=42)
    monkeypatch.setattr("handlers.lawyer_form.uuid4", lambda: intake)
    lawyers_chat(standin, forum=True, language="zh")
    wang = standin.user(3301, "小王", language_code="zh")
    bot = await run_bot(routing_file=legal_routing(tmp_path, forum=True), staff_locale="zh")
    myself, family, done, send = BUTTONS["zh"]
    standin.send_command(wang, "/lawyer")
    await next_message(standin, wang.id)
    for button in (myself, family):
        standin.press_reply_button(wang, button)
        await next_message(standin, wang.id)
    standin.send_message(wang, "离婚后孩子的抚养费")
    await next_message(standin, wang.id)
    standin.press_reply_button(wang, done)
    await next_message(standin, wang.id)

    linkage = build(bot.settings)  # what the first delivery did before it died
    try:
        assert linkage.legal is not None
        draft = LegalDraft(
            wang.id,
            "小王",
            "zh",
            "person",
            "family",
            "离婚后孩子的抚养费",
            (),
            LAWYERS,
            intake_key=intake.hex,
            card_later=True,
        )
        question = await linkage.legal.submit(draft)
        topic = await linkage.bot.create_forum_topic(LAWYERS, "⚖️ 婚姻家庭")
        await linkage.legal.post_card(question.id or 0, topic.message_thread_id)
    finally:
        await linkage.close()
    card = await card_of(standin)
    assert card["message_thread_id"] == topic.message_thread_id

    standin.press_reply_button(wang, send)  # delivered again
    filed = (await next_message(standin, wang.id))["text"]
    assert filed.startswith(f"📨 您的问题 {question.number} 已发给值班律师。")
    await asyncio.sleep(1)
    assert [t.name for t in standin.topics(LAWYERS)] == [f"{question.number} · 婚姻家庭"]
    assert [m for m in standin.messages(LAWYERS) if "⚖️" in m.get("text", "")] == [card]
