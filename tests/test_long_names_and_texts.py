"""Whatever Telegram lets a person have or write fits where the bot keeps it.

A first and a last name are up to 64 characters each, so a full name is up to 129; a message
is up to 4096 characters. On PostgreSQL a column shorter than that refuses the row, and the
reply it carried is lost; SQLite does not check lengths, so this runs on both every time.
"""

from __future__ import annotations

from sqlmodel import col, select

from bot.factory import build
from bot.localapi import BotAPIStandin
from services.models import Ticket, TicketEvent
from tests.support.people import inline_buttons
from tests.support.processes import EAST_GATE_CHAT
from tests.support.running import eventually
from tests.test_resident_requests import INSIDE_EAST_GATE, next_message


async def test_a_129_character_name_and_a_4096_character_reply_are_kept_and_relayed(
    standin: BotAPIStandin, run_bot, each_database: str
) -> None:
    staff_chat = standin.group(EAST_GATE_CHAT, title="Grid 1 staff")
    worker = standin.user(111111, "W" * 64, language_code="en", last_name="Fang" + "g" * 60)
    standin.add_member(staff_chat.id, worker.id)
    shen = standin.user(3001, "L" * 64, language_code="en", last_name="Shen" + "n" * 60)
    resident_name = f"{'L' * 64} Shen{'n' * 60}"
    assert len(resident_name) == 129
    bot = await run_bot(database_url=each_database)

    standin.send_message(shen, "The cellar well at our gate is blocked again")
    question = await next_message(standin, shen.id)
    standin.press_button(shen, question, inline_buttons(question)["✅ Drains and sewers"])
    await next_message(standin, shen.id)  # where?
    standin.send_location(shen, *INSIDE_EAST_GATE)
    await next_message(standin, shen.id)  # photos?
    standin.press_reply_button(shen, "✅ Done")
    await next_message(standin, shen.id)  # "Almost done."
    summary = await next_message(standin, shen.id)
    standin.press_button(shen, summary, inline_buttons(summary)["📨 Submit"])
    thanks = await next_message(standin, shen.id)
    assert thanks["text"].startswith("Thank you. Your request number is 2026-000001.")
    card = await next_message(standin, staff_chat.id)
    assert f"From: {resident_name}" in card["text"]

    standin.press_button(worker, card, inline_buttons(card)["🙋 Take"])
    await next_message(standin, shen.id)  # taken
    words = "We dredge the drain by the east gate tomorrow, and the one behind it after. "
    reply = (words * 60)[:4095].rstrip() + "!"
    assert len(reply) == 4096
    standin.send_message(worker, reply, chat=staff_chat.id, reply_to=card)

    ack = await eventually(
        lambda: [m for m in standin.messages(staff_chat.id) if m.get("text", "").startswith("✉️")],
        within=10,
    )
    assert ack[0]["text"] == "✉️ Sent to the resident of 2026-000001."

    def received() -> str:  # the reply, split where Telegram's limit makes it, put together
        return "".join("".join(m.get("text", "") for m in standin.messages(shen.id)).split())

    await eventually(lambda: "".join(reply.split()) in received(), within=10)
    assert "💬Grid1:eastgateaboutyourrequest2026-000001:" in received()

    linkage = build(bot.settings)
    try:
        async with linkage.db.session() as session:
            [ticket] = await session.exec(select(Ticket))
            events = list(await session.exec(select(TicketEvent).order_by(col(TicketEvent.id))))
    finally:
        await linkage.close()
    assert ticket.resident_name == resident_name
    assert ticket.assignee_name == f"{'W' * 64} Fang{'g' * 60}"
    assert [e.detail for e in events if e.kind == "reply"] == [reply]
