"""Staff tools through the stand-in: assign and /mine, templates, ban and unban, /find, paging.

Each tool is also attacked: a stranger or a non-member tries it and is refused.
"""

from __future__ import annotations

import asyncio

from bot.localapi import BotAPIStandin
from services.models import Notification, Ticket
from services.storage import Database
from tests.support.people import inline_buttons
from tests.support.running import eventually
from tests.test_everyday_chats import report_in
from tests.test_resident_requests import EAST_GATE_CHAT, INSIDE_EAST_GATE, next_message, report

ADMIN = 9001


async def test_assign_to_a_named_worker_who_finds_it_under_mine(
    standin: BotAPIStandin, run_bot
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    wang = standin.user(111111, "Wang Fang", language_code="en")
    li = standin.user(111112, "Li Ming", language_code="en")
    outsider = standin.user(7777, "Mallory", language_code="en")  # not in the chat
    standin.add_member(east.id, wang.id)
    standin.add_member(east.id, li.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    await run_bot()
    await report(standin, shen, "The drain is blocked", INSIDE_EAST_GATE)
    card = (await standin.wait_for_messages(east.id, count=2, timeout=10))[0]

    forged = standin.press_button(outsider, card, inline_buttons(card)["👤 Assign to…"])
    await eventually(lambda: standin.callback_answers(forged))
    assert standin.callback_answers(forged)[0]["text"] == (
        "Only the staff of this request's team can do that."
    )

    standin.press_button(wang, card, inline_buttons(card)["👤 Assign to…"])
    choices = await next_message(standin, east.id)
    assert choices["text"] == "Assign request 2026-000001 to:"
    assert set(inline_buttons(choices)) == {"👤 Wang Fang", "👤 Li Ming"}  # the grid's workers

    to_outsider = inline_buttons(choices)["👤 Li Ming"].replace(":111112", ":7777")
    refused = standin.press_button(wang, choices, to_outsider)
    await eventually(lambda: standin.callback_answers(refused))
    assert standin.callback_answers(refused)[0]["text"] == (
        "Mallory is not on this request's team, so it cannot be assigned to them."
    )

    standin.press_button(wang, choices, inline_buttons(choices)["👤 Li Ming"])
    told = await next_message(standin, east.id)
    assert told["text"] == "👤 Wang Fang assigned request 2026-000001 to Li Ming."
    [mention] = [e for e in told["entities"] if e["type"] == "text_mention"]
    assert mention["user"]["id"] == li.id
    taken = await next_message(standin, shen.id)
    assert taken["text"].startswith("Your request 2026-000001 has been taken by Grid 1")
    assigned = "👤 Request 2026-000001 assigned to Li Ming."
    await eventually(lambda: standin.messages(east.id)[2]["text"] == assigned)

    standin.send_command(li, "/mine", chat=east.id)
    mine = await next_message(standin, east.id)
    assert mine["text"].startswith("Assigned to you, oldest first:\n\n2026-000001 · Drains")
    assert "· taken ·" in mine["text"]
    standin.send_command(wang, "/mine", chat=east.id)
    assert (await next_message(standin, east.id))["text"] == "No open requests are assigned to you."
    standin.send_command(li, "/mine")  # in private: every request of a team they are on
    assert (await next_message(standin, li.id))["text"].startswith("Assigned to you")


async def test_a_template_reply_fills_in_the_name_and_number_in_chinese(
    standin: BotAPIStandin, run_bot
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="第一网格")
    li = standin.user(111112, "李明", language_code="zh")
    standin.add_member(east.id, li.id)
    outsider = standin.user(7777, "Mallory", language_code="zh")
    mei = standin.user(3002, "美玲", language_code="zh")
    await run_bot(default_locale="zh")
    await report_in(standin, mei, "下水道堵了", INSIDE_EAST_GATE, "zh")
    card = (await standin.wait_for_messages(east.id, count=2, timeout=10))[0]

    standin.send_command(outsider, "/templates", "add 偷看: 你好", chat=east.id)
    refused = await next_message(standin, east.id)
    assert refused["text"] == "只有本团队的工作人员才能查看本团队的诉求。"
    standin.send_command(
        li, "/templates", "add 明天处理: {name}您好，诉求 {number} 安排在明天处理。", chat=east.id
    )
    assert (await next_message(standin, east.id))["text"] == "模板 #1“明天处理”已添加。"
    standin.send_command(li, "/templates", chat=east.id)
    listed = await next_message(standin, east.id)
    assert listed["text"].startswith("本群的模板：\n#1 · 明天处理: {name}您好")
    assert "偷看" not in listed["text"]

    standin.press_button(li, card, inline_buttons(card)["📋 用模板答复"])
    which = await next_message(standin, east.id)
    assert which["text"] == "给诉求 2026-000001 的居民发送哪个模板？"
    use = inline_buttons(which)["📋 明天处理"]
    forged = standin.press_button(outsider, which, use)
    await eventually(lambda: standin.callback_answers(forged))
    assert standin.callback_answers(forged)[0]["text"] == "只有负责这条诉求的工作人员才能这样操作。"

    standin.press_button(li, which, use)
    reply = await next_message(standin, mei.id)
    assert reply["text"].endswith("美玲您好，诉求 2026-000001 安排在明天处理。")
    sent = "✉️ 已转给诉求 2026-000001 的居民。"
    await eventually(lambda: standin.messages(east.id)[-1]["text"].startswith(sent))

    standin.send_command(li, "/templates", "remove 1", chat=east.id)
    assert (await next_message(standin, east.id))["text"] == "模板 #1 已删除。"


async def test_a_ban_stops_new_tickets_the_person_is_told_once_and_admins_see_it(
    standin: BotAPIStandin, run_bot
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    wang = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(east.id, wang.id)
    outsider = standin.user(7777, "Mallory", language_code="en")
    admin = standin.user(ADMIN, "Admin", language_code="en")
    shen = standin.user(3001, "Lao Shen", language_code="en")
    await run_bot(admin_ids=str(ADMIN))
    await report(standin, shen, "Noise all night", INSIDE_EAST_GATE)
    await standin.wait_for_messages(east.id, count=2, timeout=10)

    standin.send_command(outsider, "/ban", "2026-000001 spite", chat=east.id)
    assert (await next_message(standin, east.id))["text"] == (
        "Only this team's staff can see its requests."
    )
    standin.send_command(wang, "/ban", "2026-000001", chat=east.id)
    assert (await next_message(standin, east.id))["text"] == (
        "Say why, e.g. /ban 2026-000001 abusive messages."
    )
    standin.send_command(wang, "/ban", "2026-000001 abusive messages to staff", chat=east.id)
    assert (await next_message(standin, east.id))["text"].startswith(
        "🚫 The resident of 2026-000001 is banned"
    )

    standin.send_message(shen, "More noise tonight")
    told = await next_message(standin, shen.id)
    assert told["text"].startswith(
        "You can no longer open requests with this bot. Reason: abusive messages to staff"
    )
    standin.send_message(shen, "And again")
    standin.send_command(shen, "/report")
    await asyncio.sleep(1.0)
    assert standin.pending_messages(shen.id) == []  # told once, then silence
    assert standin.pending_messages(east.id) == []  # and no new ticket

    standin.send_command(wang, "/bans")
    assert (await next_message(standin, wang.id))["text"] == (
        "This command is for administrators only."
    )
    standin.send_command(admin, "/bans")
    listed = await next_message(standin, admin.id)
    assert "request 2026-000001 · by Wang Fang: abusive messages to staff" in listed["text"]

    standin.send_command(wang, "/unban", "2026-000001", chat=east.id)
    assert (await next_message(standin, east.id))["text"] == (
        "✅ The resident of 2026-000001 may open requests again."
    )
    standin.send_message(shen, "Noise again tonight")  # a report begins again
    assert (await next_message(standin, shen.id))["text"].startswith("This sounds like")


async def add_tickets(database_url: str, count: int, words: str) -> None:
    """Many tickets at once, straight into the database (no cards: the point is the listing)."""
    db = Database(database_url)
    try:
        async with db.session() as session:
            for _ in range(count):
                ticket = Ticket(
                    resident_id=3001,
                    resident_name="Lao Shen",
                    category="lighting",
                    grid="SJB-01",
                    staff_chat_id=EAST_GATE_CHAT,
                    text=words,
                )
                session.add(ticket)
                await session.flush()
                ticket.number = f"{ticket.created_at.year}-{ticket.id:06d}"
            await session.commit()
    finally:
        await db.close()


async def test_find_and_open_page_through_everything_only_for_the_team(
    standin: BotAPIStandin, run_bot
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    wang = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(east.id, wang.id)
    outsider = standin.user(7777, "Mallory", language_code="en")
    shen = standin.user(3001, "Lao Shen", language_code="en")
    bot = await run_bot()
    await report(standin, shen, "The pump by the cellar well hums", INSIDE_EAST_GATE)
    await standin.wait_for_messages(east.id, count=2, timeout=10)
    await add_tickets(bot.settings.effective_database_url, 24, "Broken street light")

    standin.send_command(wang, "/find", "cellar", chat=east.id)
    found = await next_message(standin, east.id)
    assert found["text"].startswith("Found for “cellar”, newest first:\n\n2026-000001 · Drains")
    standin.send_command(wang, "/find", "2026-000001", chat=east.id)
    assert "2026-000001 · Drains" in (await next_message(standin, east.id))["text"]
    standin.send_command(wang, "/find", "east gate", chat=east.id)  # the grid's name
    by_place = await next_message(standin, east.id)
    assert by_place["text"].count("\n“") == 10 and "➕ More" in inline_buttons(by_place)
    standin.send_command(wang, "/find", "swimming pool", chat=east.id)
    assert (await next_message(standin, east.id))["text"] == (
        "Nothing found for “swimming pool” among this chat's requests."
    )

    standin.send_command(wang, "/open", chat=east.id)
    first = await next_message(standin, east.id)
    assert first["text"].count("\n2026-") == 20
    more = inline_buttons(first)["➕ More"]
    stolen = standin.press_button(outsider, first, more)
    await eventually(lambda: standin.callback_answers(stolen))
    assert standin.callback_answers(stolen)[0]["text"] == (
        "Only this team's staff can see its requests."
    )
    standin.press_button(wang, first, more)
    rest = await next_message(standin, east.id)
    assert rest["text"].startswith("More open requests:\n2026-000021")
    assert rest["text"].count("\n2026-") == 5 and not inline_buttons(rest)


async def test_dead_letters_page_with_more_for_admins_only(standin: BotAPIStandin, run_bot) -> None:
    admin = standin.user(ADMIN, "Admin", language_code="en")
    stranger = standin.user(7777, "Mallory", language_code="en")
    bot = await run_bot(admin_ids=str(ADMIN))
    db = Database(bot.settings.effective_database_url)
    try:
        async with db.session() as session:
            for index in range(13):
                session.add(
                    Notification(
                        chat_id=-100999,
                        method="sendMessage",
                        params={"chat_id": -100999, "text": f"lost {index}"},
                        state="dead",
                        attempts=8,
                        last_error="Bad Request: chat not found",
                    )
                )
            await session.commit()
    finally:
        await db.close()

    standin.send_command(admin, "/deadletters")
    first = await next_message(standin, admin.id)
    assert first["text"].count("\n\n#") == 10
    more = inline_buttons(first)["➕ More"]
    forged = standin.press_button(stranger, first, more)
    await eventually(lambda: standin.callback_answers(forged))
    assert standin.callback_answers(forged)[0]["text"] == "This button is for administrators only."
    standin.press_button(admin, first, more)
    rest = await next_message(standin, admin.id)
    assert rest["text"].count("\n\n#") == 3 and "➕ More" not in inline_buttons(rest)
    assert "“lost 0”" in rest["text"]  # the oldest come last
