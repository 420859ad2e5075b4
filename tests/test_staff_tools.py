"""Staff tools: reassigning, /open, /ticket, /stats, escalation up the chain, and bad input."""

from __future__ import annotations

from datetime import timedelta

from bot.i18n import build_i18n
from bot.localapi import BotAPIStandin
from handlers.notices import TelegramTicketNotices
from services.authorization import escalation_chains
from services.models import utcnow
from services.outbox import Outbox
from services.routing import load_routing
from services.storage import Database
from services.tickets import TicketService
from tests.support.people import inline_buttons
from tests.support.running import eventually
from tests.test_resident_requests import (
    EAST_GATE_CHAT,
    INSIDE_EAST_GATE,
    next_message,
    report,
)

RIVERSIDE_CHAT = -1001000000012
SANJIABANG_CHAT = -1001000000010
STREET_OFFICE_CHAT = -1001000000001


async def test_staff_pass_a_ticket_to_another_grid(standin: BotAPIStandin, run_bot) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    riverside = standin.group(RIVERSIDE_CHAT, title="Grid 2")
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(east.id, worker.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    await run_bot()
    await report(standin, shen, "The drain is blocked", INSIDE_EAST_GATE)
    card = (await standin.wait_for_messages(east.id, count=2, timeout=10))[0]

    standin.press_button(worker, card, inline_buttons(card)["↪️ Reassign"])
    choices = await next_message(standin, east.id)
    assert choices["text"] == "Pass request 2026-000001 to another kind (🏷) or area (📍):"
    standin.press_button(worker, choices, inline_buttons(choices)["📍 Grid 2: riverside"])
    await eventually(lambda: "passed to Grid 2: riverside" in standin.messages(east.id)[-1]["text"])

    new_card = (await standin.wait_for_messages(riverside.id, count=2, timeout=10))[0]
    assert new_card["text"].startswith("🆕 Request 2026-000001 · Drains and sewers")
    assert "Team: Grid 2: riverside" in new_card["text"]
    assert "↪️ Passed on by Grid 1: east gate (Wang Fang)." in new_card["text"]


async def test_open_ticket_and_stats_commands(standin: BotAPIStandin, run_bot) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(east.id, worker.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    await run_bot()
    await report(standin, shen, "The drain is blocked", INSIDE_EAST_GATE)
    card = (await standin.wait_for_messages(east.id, count=2, timeout=10))[0]
    standin.send_message(worker, "! called the dredging team", chat=east.id, reply_to=card)
    await next_message(standin, east.id)

    standin.send_command(worker, "/open", chat=east.id)
    listing = await next_message(standin, east.id)
    assert listing["text"].startswith("Open requests, oldest first:\n2026-000001 · Drains")

    standin.send_command(worker, "/ticket", args="2026-000001", chat=east.id)
    shown = await next_message(standin, east.id)
    assert "🔒 internal note · Wang Fang called the dredging team" in shown["text"]

    standin.press_button(worker, card, inline_buttons(card)["✅ Resolved"])
    await next_message(standin, shen.id)
    standin.send_command(worker, "/stats", chat=east.id)
    stats = await next_message(standin, east.id)
    assert stats["text"].startswith("📊 This week\nReceived 1, taken 1, resolved 1")
    assert "🏷 Drains and sewers: 1" in stats["text"]
    assert "📍 Grid 1: east gate: 1" in stats["text"]


async def test_an_untaken_ticket_is_escalated_up_the_chain(standin: BotAPIStandin, run_bot) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    community = standin.group(SANJIABANG_CHAT, title="Sanjiabang")
    office = standin.group(STREET_OFFICE_CHAT, title="Street office")
    shen = standin.user(3001, "Lao Shen", language_code="en")
    bot = await run_bot(escalate_take_minutes=60)
    await report(standin, shen, "The drain is blocked", INSIDE_EAST_GATE)
    await standin.wait_for_messages(east.id, count=2, timeout=10)

    routing = load_routing(None, -1001)
    db = Database(bot.settings.effective_database_url)
    tickets = TicketService(db, Outbox(db), TelegramTicketNotices(build_i18n("en"), routing, "en"))
    try:

        async def clock_reads(minutes: int) -> int:
            return await tickets.escalate_overdue(
                utcnow() + timedelta(minutes=minutes),
                escalation_chains(routing),
                take_within=timedelta(minutes=60),
                resolve_within=timedelta(hours=72),
                close_after=timedelta(days=7),
            )

        assert await clock_reads(30) == 0
        assert await clock_reads(61) == 1
        reminder = await next_message(standin, east.id)
        assert reminder["text"].startswith(
            "⏰ Request 2026-000001 (Grid 1: east gate) has waited 1 h without anyone taking it."
        )
        assert "🙋 Take" in inline_buttons(reminder)
        assert await clock_reads(90) == 0  # one reminder per level
        assert await clock_reads(121) == 1
        assert (await next_message(standin, community.id))["text"].startswith("⏰ Request 2026")
        assert await clock_reads(181) == 1
        assert (await next_message(standin, office.id))["text"].startswith("⏰ Request 2026")
        assert await clock_reads(600) == 0  # the top of the chain was told
    finally:
        await db.close()


async def test_bad_input_gets_a_clear_answer(standin: BotAPIStandin, run_bot) -> None:
    standin.group(-1001, title="Street office desk")  # STAFF_CHAT_ID: the fallback
    shen = standin.user(3001, "Lao Shen", language_code="en")
    other = standin.user(3004, "Mallory", language_code="en")
    await run_bot()
    standin.send_command(shen, "/report")
    await next_message(standin, shen.id)
    standin.send_location(shen, 30.0, 120.0)  # a location where a description was asked
    assert (await next_message(standin, shen.id))["text"] == (
        "Please describe the problem in words, or send a voice note. You can add photos "
        "in a later step."
    )
    standin.send_message(shen, "x" * 2001)
    assert (await next_message(standin, shen.id))["text"].startswith(
        "That is 2001 characters; please keep it under 2000."
    )
    standin.send_message(shen, "Broken street light by the bridge")
    question = await next_message(standin, shen.id)
    standin.press_button(shen, question, next(iter(inline_buttons(question).values())))
    await next_message(standin, shen.id)
    standin.send_location(shen, 31.5, 121.5)  # far outside every grid
    outside = await next_message(standin, shen.id)
    assert outside["text"] == (
        "This place is outside the areas I know, so your request goes to the "
        "Qixing Street Office, who will pass it to the right people."
    )
    await next_message(standin, shen.id)
    standin.press_reply_button(shen, "⏭ Skip")
    await next_message(standin, shen.id)
    summary = await next_message(standin, shen.id)
    standin.press_button(shen, summary, inline_buttons(summary)["📨 Submit"])
    await next_message(standin, shen.id)

    query = standin.press_button(other, summary, "open:1")  # someone else's ticket
    await eventually(lambda: standin.callback_answers(query))
    assert standin.callback_answers(query)[0]["text"] == "This request is not yours."
