"""Escalation for chats chosen by category, the reopened clock, low ratings, closed not fixed."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import update

from bot.i18n import build_i18n
from bot.localapi import BotAPIStandin
from bot.settings import zone_of
from handlers.digest import send_daily_digests, staff_chats
from handlers.notices import TelegramTicketNotices
from services.authorization import escalation_chains
from services.models import Ticket, utcnow
from services.outbox import Outbox
from services.routing import load_routing
from services.storage import Database
from services.ticket_contract import Draft
from services.tickets import TicketService
from tests.support.people import inline_buttons
from tests.test_doctor import every_configured_chat
from tests.test_resident_requests import EAST_GATE_CHAT, INSIDE_EAST_GATE, next_message, report

MEDIATION_CHAT = -1001000000090
STREET_OFFICE_CHAT = -1001000000001
SANJIABANG_CHAT = -1001000000010


def ticket_service(database_url: str) -> tuple[TicketService, Database]:
    routing = load_routing(None, -1001)
    db = Database(database_url)
    notices = TelegramTicketNotices(build_i18n("en"), routing, "en")
    return TicketService(db, Outbox(db), notices), db


async def test_a_ticket_in_a_category_chat_escalates_to_the_street_office(
    standin: BotAPIStandin, run_bot
) -> None:
    mediation = standin.group(MEDIATION_CHAT, title="Mediation")
    office = standin.group(STREET_OFFICE_CHAT, title="Street office")
    bot = await run_bot()
    tickets, db = ticket_service(bot.settings.effective_database_url)
    routing = load_routing(None, -1001)
    try:
        await tickets.create(
            Draft(
                3001,
                "Lao Shen",
                "en",
                "Dispute over the shared wall",
                "disputes",
                "SJB-01",
                MEDIATION_CHAT,
            )
        )
        await standin.wait_for_messages(mediation.id, timeout=10)

        async def clock_reads(minutes: int) -> int:  # as the runner calls it each minute
            return await tickets.escalate_overdue(
                utcnow() + timedelta(minutes=minutes),
                escalation_chains(routing),
                take_within=timedelta(minutes=60),
                resolve_within=timedelta(hours=72),
                close_after=timedelta(days=7),
            )

        assert await clock_reads(61) == 1
        assert (await next_message(standin, mediation.id))["text"].startswith("⏰ Request")
        assert await clock_reads(121) == 1
        assert (await next_message(standin, office.id))["text"].startswith("⏰ Request")
    finally:
        await db.close()


async def test_a_comment_does_not_reset_a_reopened_tickets_clock(
    standin: BotAPIStandin, run_bot
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(east.id, worker.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    bot = await run_bot()
    await report(standin, shen, "The drain is blocked", INSIDE_EAST_GATE)
    card = (await standin.wait_for_messages(east.id, count=2, timeout=10))[0]
    standin.press_button(worker, card, inline_buttons(card)["✅ Resolved"])
    fixed = await next_message(standin, shen.id)
    standin.press_button(shen, fixed, inline_buttons(fixed)["👎 No, not yet"])
    await next_message(standin, shen.id)
    await next_message(standin, east.id)  # reopened

    tickets, db = ticket_service(bot.settings.effective_database_url)
    try:
        fifty_minutes_ago = utcnow() - timedelta(minutes=50)
        async with db.session() as session:  # reopened 50 minutes ago
            await session.exec(
                update(Ticket).values(reopened_at=fifty_minutes_ago, updated_at=fifty_minutes_ago)
            )
            await session.commit()
        await tickets.comment_from_resident(1, shen.id, "Water is rising")  # now
        overdue = await tickets.escalate_overdue(
            utcnow() + timedelta(minutes=15),  # 65 minutes since it was reopened
            escalation_chains(load_routing(None, -1001)),
            take_within=timedelta(minutes=60),
            resolve_within=timedelta(hours=72),
            close_after=timedelta(days=7),
        )
        assert overdue == 1
    finally:
        await db.close()


async def test_a_one_star_rating_is_raised_in_the_chat_and_to_the_community(
    standin: BotAPIStandin, run_bot
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="第一网格")
    community = standin.group(SANJIABANG_CHAT, title="三家浜社区")
    worker = standin.user(111111, "王芳", language_code="zh")
    standin.add_member(east.id, worker.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    await run_bot(staff_locale="zh")
    await report(standin, shen, "The drain is blocked", INSIDE_EAST_GATE)
    card = (await standin.wait_for_messages(east.id, count=2, timeout=10))[0]
    standin.press_button(worker, card, inline_buttons(card)["✅ 已解决"])
    fixed = await next_message(standin, shen.id)
    standin.press_button(shen, fixed, inline_buttons(fixed)["👍 Yes, it is fixed"])
    stars = await next_message(standin, shen.id)
    await next_message(standin, east.id)  # closed
    standin.press_button(shen, stars, inline_buttons(stars)["⭐"])

    raised = await next_message(standin, east.id)
    assert raised["text"] == (
        "⭐ ⚠️ 差评：居民给诉求 2026-000001（第一网格（东门））打了 1 分（满分 5 分），请跟进。"
    )
    assert (await next_message(standin, community.id))["text"] == raised["text"]


async def test_closed_not_fixed_is_its_own_state_and_counted(
    standin: BotAPIStandin, run_bot
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(east.id, worker.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    await run_bot()
    await report(standin, shen, "The power line sags over the road", INSIDE_EAST_GATE)
    card = (await standin.wait_for_messages(east.id, count=2, timeout=10))[0]
    standin.press_button(worker, card, inline_buttons(card)["🚫 Close: cannot fix"])
    told = await next_message(standin, shen.id)
    assert told["text"].startswith("Grid 1: east gate has closed request 2026-000001 without a fix")
    standin.send_command(shen, "/requests")
    assert "closed, not fixed" in (await next_message(standin, shen.id))["text"]
    standin.send_command(worker, "/stats", chat=east.id)
    stats = await next_message(standin, east.id)
    assert "Received 1, taken 0, resolved 0\nClosed, not fixed: 1" in stats["text"]


async def test_a_daily_digest_reaches_each_staff_chat_once_a_day(
    standin: BotAPIStandin, run_bot
) -> None:
    every_configured_chat(standin)
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(EAST_GATE_CHAT, worker.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    bot = await run_bot()
    await report(standin, shen, "The drain is blocked", INSIDE_EAST_GATE)
    await standin.wait_for_messages(EAST_GATE_CHAT, count=2, timeout=10)

    tickets, db = ticket_service(bot.settings.effective_database_url)
    routing = load_routing(None, -1001)
    zone = zone_of("Asia/Shanghai")
    try:

        async def digest_round(at: time) -> int:
            return await send_daily_digests(
                tickets,
                TelegramTicketNotices(build_i18n("en"), routing, "en"),
                routing,
                utcnow(),
                zone,
                at,
                take_within=timedelta(minutes=60),
                resolve_within=timedelta(hours=72),
            )

        assert await digest_round(time(23, 59, 59, 999999)) == 0  # not yet today
        assert await digest_round(time(0, 0)) == len(staff_chats(routing))
        digest = await next_message(standin, EAST_GATE_CHAT)
        today = datetime.now(zone).date()
        assert digest["text"] == (
            f"☀️ Daily digest, {today:%Y-%m-%d}\nWaiting to be taken: 1\nOverdue: 0\n"
            "Resolved yesterday: 0\nLow ratings yesterday: 0\nWaiting longest: 2026-000001"
        )
        assert await digest_round(time(0, 0)) == 0  # once a day
    finally:
        await db.close()
