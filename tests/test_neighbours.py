"""Reporting for a neighbour: Lao Shen, a grid contact, files for a neighbour without Telegram.

The neighbour's name and phone are encrypted at rest and purged after the request ends.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.localapi import BotAPIStandin
from services.models import Ticket, utcnow
from services.storage import Database
from tests.support.people import inline_buttons
from tests.test_escalation_and_ratings import ticket_service
from tests.test_resident_requests import EAST_GATE_CHAT, next_message
from tests.test_roles import invitation_code

ADMIN = 9001


async def test_a_grid_contact_reports_for_a_neighbour_and_rates_the_fix(
    standin: BotAPIStandin, run_bot
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(east.id, worker.id)
    admin = standin.user(ADMIN, "Chief", language_code="en")
    shen = standin.user(3001, "Lao Shen", language_code="en")
    mallory = standin.user(3004, "Mallory", language_code="en")
    bot = await run_bot(admin_ids=str(ADMIN))

    standin.send_command(mallory, "/neighbour")  # not a grid contact
    assert (await next_message(standin, mallory.id))["text"] == (
        "Only a grid contact can report for a neighbour. Ask your community office."
    )

    standin.send_command(admin, "/invite", "gridcontact")
    question = await next_message(standin, admin.id)
    assert question["text"] == "Which grid is the grid contact for?"
    standin.press_button(admin, question, inline_buttons(question)["Grid 1: east gate"])
    invitation = (await next_message(standin, admin.id))["text"]
    assert invitation.startswith("Invitation: Grid contact for Grid 1: east gate\n")
    standin.send_command(shen, "/start", invitation_code(invitation))
    assert (await next_message(standin, shen.id))["text"].startswith(
        "Welcome! You are now the grid contact for Grid 1: east gate."
    )

    standin.send_command(shen, "/neighbour")
    assert (await next_message(standin, shen.id))["text"] == (
        "Reporting for a neighbour. What is your neighbour's name?"
    )
    standin.send_message(shen, "Grandma Li")
    await next_message(standin, shen.id)
    standin.send_message(shen, "call her")
    assert (await next_message(standin, shen.id))["text"].startswith("That is not a phone number")
    standin.send_message(shen, "13812345678")
    await next_message(standin, shen.id)
    standin.send_message(shen, "The cellar well is blocked and smells")
    await next_message(standin, shen.id)
    standin.send_message(shen, "Building 3, room 101")
    await next_message(standin, shen.id)
    standin.press_reply_button(shen, "⏭ Skip")
    filed = await next_message(standin, shen.id)
    assert filed["text"].startswith("Filed as 2026-000001 for Grandma Li.")

    card = (await standin.wait_for_messages(east.id, timeout=10))[0]
    assert "Reported by the grid contact Lao Shen, for Grandma Li (13812345678)" in card["text"]
    db = Database(bot.settings.effective_database_url)
    try:
        async with db.session() as session:
            ticket = (await session.exec(select(Ticket))).one()
        assert ticket.neighbour_name_encrypted and "Grandma" not in ticket.neighbour_name_encrypted
        assert "13812345678" not in (ticket.neighbour_phone_encrypted or "")

        standin.send_command(shen, "/households")
        listed = await next_message(standin, shen.id)
        assert "2026-000001 · for Grandma Li · waiting for a team" in listed["text"]

        standin.press_button(worker, card, inline_buttons(card)["✅ Resolved"])
        fixed = await next_message(standin, shen.id)  # updates go to the contact
        standin.press_button(shen, fixed, inline_buttons(fixed)["👍 Yes, it is fixed"])
        stars = await next_message(standin, shen.id)
        standin.press_button(shen, stars, inline_buttons(stars)["⭐⭐⭐⭐⭐"])
        assert (await next_message(standin, shen.id))["text"] == "Thank you for your rating."

        tickets, tickets_db = ticket_service(bot.settings.effective_database_url)
        try:  # as the runner does each minute, PERSONAL_DATA_RETENTION_DAYS (30) after the end
            assert await tickets.purge_neighbours(utcnow() - timedelta(days=30)) == 0
            purged = await tickets.purge_neighbours(utcnow() + timedelta(days=1))
        finally:
            await tickets_db.close()
        assert purged == 1
        async with db.session() as session:
            ticket = (await session.exec(select(Ticket))).one()
        assert ticket.neighbour_name_encrypted is None and ticket.neighbour_purged_at
        standin.send_command(shen, "/households")
        assert "for (details removed) · closed" in (await next_message(standin, shen.id))["text"]
    finally:
        await db.close()
