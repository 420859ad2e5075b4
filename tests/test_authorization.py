"""Attacks on who may see and do what, tried as an attacker would, through the Bot API stand-in.

Each test is one attack from the trust issue: a stranger's group counting ticket numbers, one
team reading another's, a non-member or a former member pressing staff buttons, a forged
Approve, a former front desk checking a guest in, a resident joining a stranger's ticket. And
what must keep working: an anonymous administrator answering as the group, an invited verifier
deciding, a community seeing what was escalated to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import select

from bot.localapi import BotAPIStandin
from services.authorization import Actor, Authorization, ChatStanding, StaffScope
from services.models import (
    Application,
    CheckIn,
    ProcessedUpdate,
    Ticket,
    TicketSubscriber,
)
from services.roles import Role, RoleService
from services.routing import load_routing
from services.storage import Database
from tests.support.people import inline_buttons
from tests.support.running import eventually
from tests.test_frontdesk import Desk, card_png, desk  # noqa: F401 - the fixture
from tests.test_resident_requests import (
    EAST_GATE_CHAT,
    INSIDE_EAST_GATE,
    next_message,
    report,
)
from tests.test_tourist_certificates import submit_application

RIVERSIDE_CHAT = -1001000000012
SANJIABANG_CHAT = -1001000000010  # the community above grids 1 and 2
STRANGERS_GROUP = -1009999999999
VERIFIERS = -1002000000001
NOT_STAFF = "Only the staff of this request's team can do that."


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.close()


async def answer_of(standin: BotAPIStandin, query_id: str) -> str:
    answers = await eventually(lambda: standin.callback_answers(query_id), within=10)
    return str(answers[0].get("text", ""))


async def handled(db: Database, update: dict[str, Any]) -> None:
    """Wait until the bot has finished with an update (its claim is marked done)."""

    async def done() -> bool:
        async with db.session() as session:
            row = await session.get(ProcessedUpdate, update["update_id"])
            return row is not None and row.done

    for _ in range(250):
        if await done():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"update {update['update_id']} was not handled")


async def a_ticket_in_grid_1(standin: BotAPIStandin) -> dict[str, Any]:
    """Lao Shen reports a blocked drain at the east gate; returns the staff card."""
    shen = standin.user(3001, "Lao Shen", language_code="en")
    thanks = await report(standin, shen, "The drain at the east gate is blocked", INSIDE_EAST_GATE)
    assert "2026-000001" in thanks
    return (await standin.wait_for_messages(EAST_GATE_CHAT, count=2, timeout=10))[0]


async def test_a_strangers_group_learns_nothing_by_counting_ticket_numbers(
    standin: BotAPIStandin, run_bot
) -> None:
    standin.group(EAST_GATE_CHAT, title="Grid 1")
    theirs = standin.group(STRANGERS_GROUP, title="Curious neighbours")
    snoop = standin.user(6661, "Snoop", language_code="en")
    standin.add_member(theirs.id, snoop.id, "creator")
    await run_bot()
    await a_ticket_in_grid_1(standin)

    for command, args in (
        ("/ticket", "2026-000001"),
        ("/ticket", "1"),
        ("/open", None),
        ("/find", "drain"),
        ("/find", "2026-000001"),
        ("/mine", None),
        ("/templates", None),
    ):
        standin.send_command(snoop, command, args, chat=theirs.id)
        assert (await next_message(standin, theirs.id))["text"] == (
            "This is not a staff chat: /open, /ticket, /stats, /find and the other staff "
            "commands work only in the chats the routing file names."
        )
    standin.send_command(snoop, "/stats", chat=theirs.id)
    await next_message(standin, theirs.id)
    seen = " ".join(m.get("text", "") for m in standin.messages(theirs.id))
    assert "drain" not in seen and "Lao Shen" not in seen and "2026-000001" not in seen


async def test_one_team_cannot_read_another_teams_tickets(standin: BotAPIStandin, run_bot) -> None:
    standin.group(EAST_GATE_CHAT, title="Grid 1")
    riverside = standin.group(RIVERSIDE_CHAT, title="Grid 2")
    li = standin.user(111121, "Li Na", language_code="en")  # a grid 2 worker
    standin.add_member(riverside.id, li.id)
    await run_bot()
    await a_ticket_in_grid_1(standin)

    standin.send_command(li, "/ticket", "2026-000001", chat=riverside.id)
    assert (await next_message(standin, riverside.id))["text"] == (
        "Request 2026-000001 is not handled by this chat's team."
    )
    standin.send_command(li, "/open", chat=riverside.id)
    assert (await next_message(standin, riverside.id))["text"] == "No open requests here."
    standin.send_command(li, "/stats", chat=riverside.id)
    assert "Received 0, taken 0, resolved 0" in (await next_message(standin, riverside.id))["text"]


async def test_a_non_member_and_a_former_member_change_nothing(
    standin: BotAPIStandin, run_bot, database: Database
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1", supergroup=True, username="grid1")
    wang = standin.user(111111, "Wang Fang", language_code="en")
    chen = standin.user(111112, "Chen Jie", language_code="en")
    passer_by = standin.user(7001, "Passer-by", language_code="en")  # the group is public
    for worker in (wang, chen):
        standin.add_member(east.id, worker.id)
    await run_bot()
    card = await a_ticket_in_grid_1(standin)
    buttons = inline_buttons(card)

    press = standin.press_button(passer_by, card, buttons["🙋 Take"])
    assert await answer_of(standin, press) == NOT_STAFF

    press = standin.press_button(chen, card, buttons["🙋 Take"])  # Chen takes it, then leaves
    assert (await answer_of(standin, press)).startswith("Done: 2026-000001")
    left = standin.change_member(east.id, chen.id, "left")
    await handled(database, left)
    press = standin.press_button(chen, card, buttons["✅ Resolved"])
    assert await answer_of(standin, press) == NOT_STAFF
    press = standin.press_button(passer_by, card, buttons["✅ Resolved"])
    assert await answer_of(standin, press) == NOT_STAFF

    async with database.session() as session:
        ticket = await session.get(Ticket, 1)
    assert ticket is not None and ticket.status == "taken"
    assert not [m for m in standin.messages(3001) if "resolved" in m.get("text", "").lower()]


async def test_only_the_listed_workers_of_a_grid_are_its_staff(
    standin: BotAPIStandin, run_bot
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    relative = standin.user(7002, "A worker's cousin", language_code="en")  # in the chat, unlisted
    head = standin.user(7003, "Group owner", language_code="en")  # the chat's administrator
    standin.add_member(east.id, relative.id)
    standin.add_member(east.id, head.id, "administrator")
    await run_bot()
    card = await a_ticket_in_grid_1(standin)

    press = standin.press_button(relative, card, inline_buttons(card)["🙋 Take"])
    assert await answer_of(standin, press) == NOT_STAFF
    standin.send_message(relative, "Ignore this, we will never fix it", chat=east.id, reply_to=card)
    assert (await next_message(standin, east.id))["text"] == (
        "Only the team of request 2026-000001 can write to its resident; this was not sent."
    )
    press = standin.press_button(head, card, inline_buttons(card)["🙋 Take"])
    assert (await answer_of(standin, press)).startswith("Done: 2026-000001")


async def test_an_anonymous_administrator_answers_as_the_group(
    standin: BotAPIStandin, run_bot
) -> None:
    standin.group(EAST_GATE_CHAT, title="Grid 1", supergroup=True)
    await run_bot()
    card = await a_ticket_in_grid_1(standin)

    standin.send_as_group(EAST_GATE_CHAT, "A dredging team comes at 3 pm.", reply_to=card)

    relayed = await next_message(standin, 3001)
    assert "A dredging team comes at 3 pm." in relayed["text"]
    assert (await next_message(standin, EAST_GATE_CHAT))["text"] == (
        "✉️ Sent to the resident of 2026-000001."
    )


async def test_a_community_sees_a_ticket_once_it_is_escalated_to_it(
    standin: BotAPIStandin, run_bot, database: Database
) -> None:
    standin.group(EAST_GATE_CHAT, title="Grid 1")
    community = standin.group(SANJIABANG_CHAT, title="Sanjiabang")
    head = standin.user(8001, "Community head", language_code="en")
    standin.add_member(community.id, head.id)
    await run_bot()
    await a_ticket_in_grid_1(standin)

    standin.send_command(head, "/open", chat=community.id)
    assert (await next_message(standin, community.id))["text"] == "No open requests here."
    async with database.session() as session:  # nobody took it for two hours: gone up a level
        await session.exec(update(Ticket).values(escalation_level=2))  # type: ignore[call-overload]
        await session.commit()
    standin.send_command(head, "/open", chat=community.id)
    assert "2026-000001" in (await next_message(standin, community.id))["text"]


def test_staff_scopes_follow_the_escalation_chain() -> None:
    """Plain rules: a grid sees its own, its community what reached it, the office all."""
    routing = load_routing(None, -1001)

    class Nobody:
        async def standing(self, chat_id: int, user_id: int) -> ChatStanding:
            return ChatStanding.OUTSIDER

    authorization = Authorization(
        RoleService(Database("sqlite+aiosqlite://")), Nobody(), routing, None
    )
    ticket = Ticket(
        number="2026-000001",
        resident_id=1,
        category="drains",
        staff_chat_id=EAST_GATE_CHAT,
        text="x",
    )
    office = authorization.scope_of(-1001000000001)
    assert office == StaffScope(-1001000000001, everything=True) and office.covers(ticket)
    assert authorization.scope_of(EAST_GATE_CHAT).covers(ticket)
    assert not authorization.scope_of(RIVERSIDE_CHAT).covers(ticket)
    community = authorization.scope_of(SANJIABANG_CHAT)
    assert not community.covers(ticket)
    ticket.escalation_level = 1  # the reminder in its own chat
    assert not community.covers(ticket)
    ticket.escalation_level = 2
    assert community.covers(ticket)
    assert not authorization.is_staff_chat(STRANGERS_GROUP)
    assert Actor(1, "x").as_chat is None


async def test_a_forged_approve_decides_nothing_and_an_invited_verifier_decides(
    standin: BotAPIStandin, run_bot, database: Database
) -> None:
    verifiers = standin.group(VERIFIERS, title="Verifiers")
    left_us = standin.user(9003, "Retired officer", language_code="en")
    standin.add_member(verifiers.id, left_us.id, "left")
    stranger = standin.user(9004, "Forger", language_code="en")
    invited = standin.user(9005, "Officer Sun", language_code="en")  # not in the chat
    dai = standin.user(4001, "Dai", language_code="en")
    await run_bot(verifier_chat_id=VERIFIERS)
    await RoleService(database).grant(invited.id, Role.VERIFIER)
    await submit_application(standin, dai)
    card = await next_message(standin, verifiers.id)
    approve = inline_buttons(card)["✅ Approve"]

    for person in (stranger, left_us):
        press = standin.press_button(person, card, approve)
        assert await answer_of(standin, press) == "Only verifiers can decide applications."
    async with database.session() as session:
        application = await session.get(Application, 1)
    assert application is not None and application.status == "submitted"
    assert not standin.pending_messages(dai.id, consume=False)

    standin.press_button(invited, card, approve)
    certificate, _link = await standin.wait_for_messages(dai.id, count=2, timeout=15)
    assert certificate["caption"].startswith("✅ Your accommodation certificate C2026-000001")


async def test_a_former_front_desk_and_a_stranger_cannot_check_a_guest_in(
    standin: BotAPIStandin,
    desk: Desk,  # noqa: F811 - the imported fixture
) -> None:
    lin = standin.user(6001, "Lin", language_code="en")
    stranger = standin.user(6002, "Stranger", language_code="en")
    await desk.roles.grant(lin.id, Role.FRONTDESK, hotel_code="wuzhen-xizha")
    issued = await desk.issue()
    standin.send_photo(lin, card_png(issued))
    shown = await next_message(standin, lin.id)
    check_in = inline_buttons(shown)["✅ Check in"]
    assert await desk.roles.revoke(lin.id, Role.FRONTDESK)

    for person in (lin, stranger):
        press = standin.press_button(person, shown, check_in)
        assert await answer_of(standin, press) == "This button is for the hotel's front desk only."
    async with desk.db.session() as session:
        assert not list(await session.exec(select(CheckIn)))


async def test_a_resident_cannot_join_a_ticket_that_was_not_offered(
    standin: BotAPIStandin, run_bot, database: Database
) -> None:
    standin.group(EAST_GATE_CHAT, title="Grid 1")
    await run_bot()
    await a_ticket_in_grid_1(standin)
    nosy = standin.user(3002, "Nosy", language_code="en")
    standin.send_message(nosy, "Loud music at night")
    question = await next_message(standin, nosy.id)
    standin.press_button(nosy, question, next(iter(inline_buttons(question).values())))
    await next_message(standin, nosy.id)
    standin.send_message(nosy, "riverside")
    await next_message(standin, nosy.id)
    standin.press_reply_button(nosy, "⏭ Skip")
    await next_message(standin, nosy.id)
    summary = await next_message(standin, nosy.id)  # nothing similar was offered

    standin.press_button(nosy, summary, "dup:1")  # crafted: join Lao Shen's request 1
    assert (await next_message(standin, nosy.id))["text"] == (
        "You can join only one of the requests offered to you above."
    )
    async with database.session() as session:
        assert not list(await session.exec(select(TicketSubscriber)))
