"""The closed loop: a resident reports; staff take, answer and resolve; the resident rates.

Uses the bundled sample routing file: grid SJB-01 ("Grid 1: east gate") of Sanjiabang community.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.localapi import BotAPIStandin
from tests.support.people import ENGLISH_MENU, inline_buttons, reply_keyboard
from tests.support.running import eventually, recorded

EAST_GATE_CHAT = -1001000000011
INSIDE_EAST_GATE = (30.7610, 120.7550)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


async def next_message(standin: BotAPIStandin, chat_id: int) -> dict[str, Any]:
    [message] = await standin.wait_for_messages(chat_id, timeout=10)
    return message


async def test_a_blocked_drain_goes_round_the_whole_loop_in_english(
    standin: BotAPIStandin, run_bot
) -> None:
    staff_chat = standin.group(EAST_GATE_CHAT, title="Grid 1 staff")
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(staff_chat.id, worker.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    await run_bot()

    standin.send_message(shen, "The cellar well at our gate is blocked again")
    question = await next_message(standin, shen.id)
    assert question["text"] == (
        "This sounds like “Drains and sewers”. Is that right? Press it, or choose another."
    )
    categories = inline_buttons(question)
    assert next(iter(categories)) == "✅ Drains and sewers"
    standin.press_button(shen, question, categories["✅ Drains and sewers"])

    where = await next_message(standin, shen.id)
    assert where["text"].startswith("Where is it?")
    assert reply_keyboard(where)[0] == "📍 Share my location"
    assert where["reply_markup"]["keyboard"][0][0]["request_location"] is True
    standin.send_location(shen, *INSIDE_EAST_GATE)

    photos = await next_message(standin, shen.id)
    assert photos["text"].startswith("Add photos if they help")
    standin.send_photo(shen, PNG)
    assert (await next_message(standin, shen.id))["text"] == (
        "Photo added (1). Send more, or press “Done”."
    )
    standin.press_reply_button(shen, "✅ Done")
    await next_message(standin, shen.id)  # "Almost done."
    summary = await next_message(standin, shen.id)
    assert "“The cellar well at our gate is blocked again”" in summary["text"]
    assert "Kind: Drains and sewers" in summary["text"]
    assert "Goes to: Grid 1: east gate" in summary["text"]
    assert "Photos: 1" in summary["text"]
    standin.press_button(shen, summary, inline_buttons(summary)["📨 Submit"])

    thanks = await next_message(standin, shen.id)
    assert thanks["text"].startswith("Thank you. Your request number is 2026-000001.")
    assert "Grid 1: east gate has it now" in thanks["text"]
    assert reply_keyboard(thanks) == ENGLISH_MENU

    card, location, photo = await standin.wait_for_messages(staff_chat.id, count=3, timeout=10)
    assert card["text"].startswith("🆕 Request 2026-000001 · Drains and sewers")
    assert "From: Lao Shen" in card["text"]
    assert "“The cellar well at our gate is blocked again”" in card["text"]
    assert location["location"]["latitude"] == pytest.approx(INSIDE_EAST_GATE[0], abs=1e-5)
    assert photo["caption"] == "2026-000001"

    standin.press_button(worker, card, inline_buttons(card)["🙋 Take"])
    taken = await next_message(standin, shen.id)
    assert taken["text"] == (
        "Your request 2026-000001 has been taken by Grid 1: east gate. "
        "They will keep you posted here."
    )
    await eventually(lambda: "🙋 Taken by Wang Fang" in standin.messages(staff_chat.id)[0]["text"])

    standin.send_message(
        worker, "We will dredge it tomorrow morning.", chat=staff_chat.id, reply_to=card
    )
    reply = await next_message(standin, shen.id)
    assert reply["text"] == (
        "💬 Grid 1: east gate about your request 2026-000001:\n\n"
        "We will dredge it tomorrow morning."
    )
    assert "Wang Fang" not in reply["text"]  # signed by the grid, not the worker
    ack = await next_message(standin, staff_chat.id)
    assert ack["text"] == "✉️ Sent to the resident of 2026-000001."

    standin.press_button(worker, card, inline_buttons(card)["✅ Resolved"])
    is_it_fixed = await next_message(standin, shen.id)
    assert is_it_fixed["text"] == (
        "✅ Grid 1: east gate marked your request 2026-000001 as resolved. Is it fixed?"
    )
    standin.press_button(shen, is_it_fixed, inline_buttons(is_it_fixed)["👍 Yes, it is fixed"])
    how_satisfied = await next_message(standin, shen.id)
    assert how_satisfied["text"].startswith("Glad it is fixed.")
    standin.press_button(shen, how_satisfied, inline_buttons(how_satisfied)["⭐⭐⭐⭐⭐"])
    thanks = await next_message(standin, shen.id)
    assert thanks["text"] == "Thank you for your rating."
    closed, rated = await standin.wait_for_messages(staff_chat.id, count=2)
    assert closed["text"] == "🏁 Request 2026-000001 is closed: the resident confirmed it is fixed."
    assert rated["text"] == "⭐⭐⭐⭐⭐ The resident rated request 2026-000001: 5 of 5."
    standin.press_button(shen, thanks, inline_buttons(thanks)["📝 Tell the team more"])
    assert (await next_message(standin, shen.id))["text"] == (
        "What went well, or what could be better? Write it in a few words."
    )
    standin.send_message(shen, "Quick work, and the street was left clean.")
    assert (await next_message(standin, shen.id))["text"] == "Thank you, the team will read it."
    feedback = await next_message(standin, staff_chat.id)
    assert feedback["text"] == (
        "📝 The resident's feedback on request 2026-000001:\n\n"
        "“Quick work, and the street was left clean.”"
    )

    standin.press_reply_button(shen, "📋 My requests")
    mine = await next_message(standin, shen.id)
    assert "2026-000001 · Drains and sewers · closed" in mine["text"]


async def test_a_chinese_resident_types_an_address_and_says_it_is_not_fixed(
    standin: BotAPIStandin, run_bot
) -> None:
    staff_chat = standin.group(EAST_GATE_CHAT, title="第一网格")
    worker = standin.user(111112, "李明", language_code="zh")
    standin.add_member(staff_chat.id, worker.id)
    mei = standin.user(3002, "美玲", language_code="zh")
    await run_bot(default_locale="zh")

    standin.send_command(mei, "/report")
    assert (await next_message(standin, mei.id))["text"].startswith("请用自己的话描述问题")
    standin.send_message(mei, "东门下水道堵了，污水漫到路上")
    question = await next_message(standin, mei.id)
    assert question["text"].startswith("听起来属于“下水道与排水”")
    standin.press_button(mei, question, inline_buttons(question)["✅ 下水道与排水"])
    await next_message(standin, mei.id)  # where?
    standin.send_message(mei, "东门")
    await next_message(standin, mei.id)  # photos?
    standin.press_reply_button(mei, "⏭ 跳过")
    await next_message(standin, mei.id)
    summary = await next_message(standin, mei.id)
    assert "交给：第一网格（东门）" in summary["text"]
    standin.press_button(mei, summary, inline_buttons(summary)["📨 提交"])
    thanks = await next_message(standin, mei.id)
    assert thanks["text"].startswith("谢谢。您的诉求编号是 2026-000001。")

    [card] = await standin.wait_for_messages(staff_chat.id, timeout=10)
    assert card["text"].startswith("🆕 诉求 2026-000001 · 下水道与排水")
    standin.press_button(worker, card, inline_buttons(card)["✅ 已解决"])
    is_it_fixed = await next_message(standin, mei.id)
    standin.press_button(mei, is_it_fixed, inline_buttons(is_it_fixed)["👎 还没有"])
    sorry = await next_message(standin, mei.id)
    assert sorry["text"] == "抱歉问题还没解决。诉求 2026-000001 已重新打开，并已通知工作人员。"
    reopened = await next_message(standin, staff_chat.id)
    assert reopened["text"] == "🔁 居民表示诉求 2026-000001 还没解决，已重新打开。"
    assert "🙋 认领" in inline_buttons(reopened)


async def test_staff_buttons_pressed_outside_the_staff_chat_are_refused(
    standin: BotAPIStandin, run_bot
) -> None:
    staff_chat = standin.group(EAST_GATE_CHAT, title="Grid 1 staff")
    shen = standin.user(3001, "Lao Shen", language_code="en")
    await run_bot()
    standin.send_message(shen, "The drain at building 1 is blocked")
    question = await next_message(standin, shen.id)
    standin.press_button(shen, question, inline_buttons(question)["✅ Drains and sewers"])
    await next_message(standin, shen.id)
    standin.send_message(shen, "building 1")
    await next_message(standin, shen.id)
    standin.press_reply_button(shen, "⏭ Skip")
    await next_message(standin, shen.id)
    summary = await next_message(standin, shen.id)
    standin.press_button(shen, summary, inline_buttons(summary)["📨 Submit"])
    await next_message(standin, shen.id)
    await standin.wait_for_messages(staff_chat.id, timeout=10)

    forged = standin.press_button(shen, summary, "tk:take:1")  # crafted by the resident
    await eventually(lambda: standin.callback_answers(forged))
    assert standin.callback_answers(forged)[0]["text"] == (
        "Only the staff of this request's team can do that."
    )


NORTH_GATE_FORUM = -1001000000013
INSIDE_NORTH_GATE = (30.7640, 120.7510)


async def report(standin: BotAPIStandin, resident, words: str, place: tuple[float, float]) -> str:
    """Walk the report form with a shared location and no photos; returns the summary's reply."""
    standin.send_message(resident, words)
    question = await next_message(standin, resident.id)
    standin.press_button(resident, question, next(iter(inline_buttons(question).values())))
    await next_message(standin, resident.id)
    standin.send_location(resident, *place)
    await next_message(standin, resident.id)
    standin.press_reply_button(resident, "⏭ Skip")
    await next_message(standin, resident.id)
    summary = await next_message(standin, resident.id)
    standin.press_button(resident, summary, inline_buttons(summary)["📨 Submit"])
    return (await next_message(standin, resident.id))["text"]


async def test_in_a_forum_each_ticket_gets_a_topic_and_talk_flows_both_ways(
    standin: BotAPIStandin, run_bot
) -> None:
    forum = standin.group(NORTH_GATE_FORUM, title="Grid 3", forum=True)
    worker = standin.user(111131, "Zhao Lei", language_code="en")
    standin.add_member(forum.id, worker.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    bot = await run_bot()

    thanks = await report(standin, shen, "Trucks make noise at night", INSIDE_NORTH_GATE)
    assert "Your request number is 2026-000001" in thanks
    [topic] = standin.topics(forum.id)
    await eventually(lambda: standin.topics(forum.id)[0].name == "2026-000001 · Noise")
    card = (await standin.wait_for_messages(forum.id, count=2, timeout=10))[-1]
    assert card["message_thread_id"] == topic.message_thread_id

    standin.send_message(
        worker,
        "We have asked the depot to use the south road.",
        chat=forum.id,
        message_thread_id=topic.message_thread_id,
    )
    reply = await next_message(standin, shen.id)
    assert reply["text"].endswith("We have asked the depot to use the south road.")

    standin.send_message(
        worker,
        "! depot manager's number is on the board",
        chat=forum.id,
        message_thread_id=topic.message_thread_id,
    )
    note_ack = (await standin.wait_for_messages(forum.id, count=2, timeout=10))[-1]
    assert note_ack["text"] == (
        "🔒 Internal note on 2026-000001, kept for the team; the resident does not see it:\n"
        "depot manager's number is on the board"
    )

    standin.send_photo(
        worker,
        PNG,
        caption="Sound barrier fitted",
        chat=forum.id,
        message_thread_id=topic.message_thread_id,
    )
    photo = await next_message(standin, shen.id)
    assert photo["caption"].endswith("Sound barrier fitted")
    assert photo["photo"]

    await recorded(bot.settings, photo)  # as when a person has read it
    standin.send_message(shen, "Much quieter now, thank you!", reply_to=photo)
    added = await next_message(standin, shen.id)
    assert added["text"] == "Added to request 2026-000001. The team will see it."
    relayed = (await standin.wait_for_messages(forum.id, count=2, timeout=10))[-1]
    assert relayed["message_thread_id"] == topic.message_thread_id
    assert relayed["text"] == (
        "💬 The resident adds to request 2026-000001:\n\nMuch quieter now, thank you!"
    )
    history = [m.get("text") or m.get("caption", "") for m in standin.messages(shen.id)]
    assert not any("depot manager" in text for text in history)

    standin.press_reply_button(shen, "📋 My requests")
    mine = await next_message(standin, shen.id)
    standin.press_button(shen, mine, inline_buttons(mine)["Open 2026-000001"])
    opened = await next_message(standin, shen.id)
    assert "Grid 3: north gate: We have asked the depot to use the south road." in opened["text"]
    assert "you added: Much quieter now, thank you!" in opened["text"]
    assert "depot manager" not in opened["text"]

    standin.press_button(shen, opened, inline_buttons(opened)["💬 Add a comment or photo"])
    assert (await next_message(standin, shen.id))["text"] == (
        "Send your comment or a photo; the team will see it."
    )
    standin.send_photo(shen, PNG, caption="The barrier from my window")
    assert (await next_message(standin, shen.id))["text"].startswith("Added to request")
    staff_sees = (await standin.wait_for_messages(forum.id, count=1, timeout=10))[-1]
    assert staff_sees["photo"]
    assert staff_sees["caption"].endswith("The barrier from my window")
    assert staff_sees["message_thread_id"] == topic.message_thread_id


async def test_a_neighbour_reporting_the_same_drain_joins_the_first_ticket(
    standin: BotAPIStandin, run_bot
) -> None:
    staff_chat = standin.group(EAST_GATE_CHAT, title="Grid 1 staff")
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(staff_chat.id, worker.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    hu = standin.user(3003, "胡根林", language_code="zh")
    await run_bot()
    await report(standin, shen, "The drain at our gate is blocked", INSIDE_EAST_GATE)
    card = (await standin.wait_for_messages(staff_chat.id, count=2, timeout=10))[0]

    standin.send_message(hu, "门口下水道堵了")
    question = await next_message(standin, hu.id)
    standin.press_button(hu, question, inline_buttons(question)["✅ 下水道与排水"])
    await next_message(standin, hu.id)
    standin.send_location(hu, INSIDE_EAST_GATE[0] + 0.001, INSIDE_EAST_GATE[1])  # ~110 m north
    await next_message(standin, hu.id)
    standin.press_reply_button(hu, "⏭ 跳过")
    await next_message(standin, hu.id)
    summary = await next_message(standin, hu.id)
    standin.press_button(hu, summary, inline_buttons(summary)["📨 提交"])
    offer = await next_message(standin, hu.id)
    assert offer["text"].startswith("附近的邻居已经反映过类似的问题")
    standin.press_button(
        hu, offer, inline_buttons(offer)["2026-000001: The drain at our gate is blocked"]
    )
    joined = await next_message(standin, hu.id)
    assert joined["text"] == "您已加入诉求 2026-000001，处理进展会在这里告诉您。"

    standin.press_button(worker, card, inline_buttons(card)["✅ Resolved"])
    await next_message(standin, shen.id)  # the reporter is asked "Is it fixed?"
    told = await next_message(standin, hu.id)
    assert told["text"] == "✅ 第一网格（东门）已解决您加入的诉求 2026-000001。"
