"""Rental houses coloured by risk (Changqing, Hangzhou), through the bot, in English.

A landlord registers a house, two tenants register themselves, a grid worker's inspection
fails the fire extinguisher and the house turns red (the grid and the community are told), a
re-inspection passes and it turns green; a third tenant overcrowds it (yellow); an overdue
inspection is reminded once. And the attacks: a resident who is not the grid's staff cannot
inspect, a stranger cannot see another landlord's tenants.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.i18n import build_i18n
from bot.localapi import BotAPIStandin, Limits
from handlers.rental_notices import TelegramRentalNotices
from services.certificates import china_today
from services.models import RentalHouse, RentalInspection, RentalTenant, utcnow
from services.outbox import Outbox
from services.privacy import FieldCipher
from services.rental import RentalService
from services.rental_queries import RentalFigures
from services.routing import load_routing
from services.storage import Database
from tests.support.people import inline_buttons
from tests.support.running import eventually
from tests.test_resident_requests import EAST_GATE_CHAT, INSIDE_EAST_GATE, PNG, next_message

SANJIABANG_CHAT = -1001000000010
STREET_OFFICE_CHAT = -1001000000001
LANDLORD, FIRST, SECOND, THIRD, STRANGER, WORKER = 4001, 4002, 4003, 4004, 4005, 111111
JOIN = re.compile(r"\?start=(rent_[A-Za-z0-9_-]+)")
CHECKLIST = 6  # items in the sample routing file's rental checklist


@pytest.fixture
async def standin() -> AsyncIterator[BotAPIStandin]:
    """Telegram's limits, but for a group's 20 messages a minute: an inspection edits its
    message once per item, and two inspections that take a grid worker many minutes in the
    field take this test seconds."""
    server = BotAPIStandin(limits=Limits(private_burst=30, group_messages=60))
    await server.start()
    yield server
    await server.stop()


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in messages]


async def register_house(
    standin: BotAPIStandin, landlord: Any, *, beds: str = "2", by_location: bool = True
) -> str:
    """The landlord's whole registration; the bot's last answer."""
    standin.send_command(landlord, "/rental")
    overview = await next_message(standin, landlord.id)
    buttons = inline_buttons(overview)
    standin.press_button(landlord, overview, next(v for k, v in buttons.items() if "🏠" in k))
    await next_message(standin, landlord.id)
    standin.send_message(landlord, "Market Lane 7, room 302")
    _question, grids = await standin.wait_for_messages(landlord.id, count=2, timeout=10)
    if by_location:
        standin.send_location(landlord, *INSIDE_EAST_GATE)
    else:
        standin.press_button(landlord, grids, next(iter(inline_buttons(grids).values())))
    await next_message(standin, landlord.id)
    standin.send_message(landlord, "2")
    await next_message(standin, landlord.id)
    standin.send_message(landlord, "0")
    refused = await next_message(standin, landlord.id)
    standin.send_message(landlord, beds)
    await next_message(standin, landlord.id)
    standin.send_message(landlord, "13912345678")
    await next_message(standin, landlord.id)
    standin.send_photo(landlord, PNG)
    await next_message(standin, landlord.id)
    standin.send_message(landlord, "✅ Done" if landlord.language_code == "en" else "✅ 完成")
    _nearly, summary = await standin.wait_for_messages(landlord.id, count=2, timeout=10)
    standin.press_button(landlord, summary, next(iter(inline_buttons(summary).values())))
    registered = await next_message(standin, landlord.id)
    return refused["text"] + "\n---\n" + summary["text"] + "\n---\n" + registered["text"]


async def register_tenant(
    standin: BotAPIStandin, tenant: Any, join: str, name: str, document: str, number: str
) -> list[str]:
    """A tenant's registration through the landlord's link; what the bot said, in order."""
    said = []
    standin.send_command(tenant, "/start", join)
    said.append((await next_message(standin, tenant.id))["text"])
    standin.send_message(tenant, name)
    kinds = await next_message(standin, tenant.id)
    standin.press_button(tenant, kinds, inline_buttons(kinds)[document])
    await next_message(standin, tenant.id)
    standin.send_message(tenant, number)
    said.append((await next_message(standin, tenant.id))["text"])
    standin.send_message(tenant, "13700001111")
    await next_message(standin, tenant.id)
    standin.send_message(tenant, "📅 Today" if tenant.language_code == "en" else "📅 今天")
    _nearly, summary = await standin.wait_for_messages(tenant.id, count=2, timeout=10)
    said.append(summary["text"])
    standin.press_button(tenant, summary, next(iter(inline_buttons(summary).values())))
    said.append((await next_message(standin, tenant.id))["text"])
    return said


async def inspect(
    standin: BotAPIStandin, worker: Any, chat: int, code: str, failing: set[int]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A whole inspection from /inspect (the items numbered in `failing` fail): the inspection
    message as it ends, and the result."""
    standin.send_command(worker, "/inspect", code, chat=chat)
    shown = await next_message(standin, chat)
    for number in range(1, CHECKLIST + 1):
        buttons = inline_buttons(current(standin, shown))
        mark = "❌" if number in failing else "✅"
        standin.press_button(worker, shown, next(v for k, v in buttons.items() if mark in k))
        # the message shows the mark before the next press (and, after the last, before the
        # worker reads it as it ends), as the worker sees it
        await eventually(
            lambda n=number: (
                current(standin, shown)["text"].count("\n✅")
                + current(standin, shown)["text"].count("\n❌")
                == n
            )
        )
    result = await next_message(standin, chat)
    return current(standin, shown), result


async def with_alarm(
    standin: BotAPIStandin, chat: int, first: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The inspection's result and the grid's "turned red" alarm, in whichever order they came:
    the alarm goes out as the inspection is recorded, the result as the bot answers the press."""
    second = await next_message(standin, chat)
    return (second, first) if first["text"].startswith("🟥") else (first, second)


def current(standin: BotAPIStandin, message: dict[str, Any]) -> dict[str, Any]:
    """A bot message as it is now (after edits)."""
    chat = message["chat"]["id"]
    return next(m for m in standin.messages(chat) if m["message_id"] == message["message_id"])


def rental_service(database_url: str, data_dir: Any) -> tuple[RentalService, Database]:
    """The service as the runner's minute round uses it, with a clock the test chooses."""
    routing = load_routing(None, -1001)
    db = Database(database_url)
    cipher = FieldCipher.from_setting(None, data_dir)
    notices = TelegramRentalNotices(build_i18n("en"), routing, "en", cipher)
    return RentalService(db, Outbox(db, cipher), cipher, notices, routing.rental), db


async def test_a_house_turns_red_then_green_then_yellow_and_an_overdue_visit_is_reminded(
    standin: BotAPIStandin, run_bot, tmp_path
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    community = standin.group(SANJIABANG_CHAT, title="Sanjiabang")
    standin.group(STREET_OFFICE_CHAT, title="Street office")
    worker = standin.user(WORKER, "Wang Fang", language_code="en")
    standin.add_member(east.id, worker.id)
    landlord = standin.user(LANDLORD, "Zhang Wei", language_code="en")
    first = standin.user(FIRST, "Ivan", language_code="en")
    second = standin.user(SECOND, "Maria", language_code="en")
    third = standin.user(THIRD, "Chen", language_code="en")
    stranger = standin.user(STRANGER, "Mallory", language_code="en")
    bot = await run_bot()

    said = await register_house(standin, landlord)
    refused, summary, registered = said.split("\n---\n")
    assert refused == "The number of beds is a whole number from 1 to 500."
    assert summary == (
        "Please check the house:\nAddress: Market Lane 7, room 302\nGrid: Grid 1: east gate\n"
        "Rooms: 2\nBeds: 2\nYour phone: 13912345678\nPhotos: 1"
    )
    code = re.search(r"code is (R\w+)\.", registered)
    assert code, registered
    code = code.group(1)
    join = JOIN.search(registered)
    assert join, registered
    join = join.group(1)
    told = await next_message(standin, east.id)
    assert told["text"].startswith(
        f"🏠 New rental house {code} on Grid 1: east gate: Market Lane 7, room 302, 2 rooms, "
        "2 beds. Its first inspection is due by "
    )

    # two tenants register themselves through the landlord's link
    standin.send_command(first, "/start", "rent_nosuchcode")
    assert (await next_message(standin, first.id))["text"] == (
        "No rental house has the join code “nosuchcode”. Check it with your landlord."
    )
    said = await register_tenant(standin, first, join, "Ivan Petrov", "Passport", "E1234567")
    assert said[0].startswith(f"Residence registration in rental house {code} (Grid 1: east gate).")
    assert said[2] == (
        f"Please check your registration in {code}:\nName: Ivan Petrov\nDocument: Passport "
        f"E1234567\nPhone: 13700001111\nMoved in: {said[2][-10:]}"
    )
    assert said[3].startswith(f"Registered: you live in rental house {code} since ")
    assert (await next_message(standin, landlord.id))["text"].startswith(
        f"👤 Ivan Petrov registered as a tenant of your house {code}, moved in on "
    )
    # a mistyped ID number is refused with the reason, as for certificates
    standin.send_command(second, "/start", join)
    await next_message(standin, second.id)
    standin.send_message(second, "Li Maria")
    kinds = await next_message(standin, second.id)
    standin.press_button(second, kinds, inline_buttons(kinds)["PRC resident ID card"])
    await next_message(standin, second.id)
    standin.send_message(second, "110105194912310021")
    assert (await next_message(standin, second.id))["text"] == (
        "That number cannot be right: The last character does not match the others: one of "
        "them is probably mistyped. Please check it and type it again."
    )
    standin.send_command(second, "/cancel")
    await next_message(standin, second.id)
    said = await register_tenant(
        standin, second, join, "Li Maria", "PRC resident ID card", "11010519491231002X"
    )
    assert said[3].startswith(f"Registered: you live in rental house {code} since ")
    await next_message(standin, landlord.id)

    db = Database(bot.settings.effective_database_url)
    try:
        async with db.session() as session:
            house = (await session.exec(select(RentalHouse))).one()
            tenants = (await session.exec(select(RentalTenant))).all()
        assert house.colour == "green" and len(tenants) == 2
        assert "Market" not in house.address_encrypted
        assert all("Ivan" not in (t.name_encrypted or "") for t in tenants)
        assert all("1002X" not in (t.document_encrypted or "") for t in tenants)

        # attack: a resident who is not on the grid's staff cannot inspect
        standin.add_member(east.id, stranger.id)  # in the chat, but not one of its workers
        standin.send_command(stranger, "/inspect", code, chat=east.id)
        assert (await next_message(standin, east.id))["text"] == (
            "Only the staff of this house's grid can inspect it."
        )
        standin.send_command(worker, "/inspect", "RZZZZZ", chat=east.id)
        assert (await next_message(standin, east.id))["text"] == (
            "No rental house has the code “RZZZZZ”."
        )

        # the extinguisher fails: red, with the reason, and the grid and community are told
        shown, result = await inspect(standin, worker, east.id, code, failing={1})
        result, alarm = await with_alarm(standin, east.id, result)
        assert shown["text"].startswith(
            f"🔍 Inspection of rental house {code} on Grid 1: east gate by Wang Fang: 6 items. "
            "Registered tenants: 2 (beds: 2)."
        )
        assert shown["text"].endswith(
            "\n\n❌ 1/6 Fire extinguisher in date (critical)\n✅ 2/6 Escape route clear (critical)"
            "\n✅ 3/6 Wiring safe, no trailing cables (critical)\n✅ 4/6 Gas pipes and alarm sound "
            "(critical)\n✅ 5/6 No e-bike charging indoors (critical)\n✅ 6/6 Every tenant "
            "registered"
        )
        assert "inline_keyboard" not in (shown.get("reply_markup") or {})
        finished = result["text"]
        assert finished.startswith(
            f"Inspection of {code} finished: 🟥 red.\n"
            "• Critical item failed: Fire extinguisher in date\nNext inspection due by "
        )
        assert alarm["text"] == (
            f"🟥 Rental house {code} on Grid 1: east gate turned red.\n"
            "Address: Market Lane 7, room 302\n• Critical item failed: Fire extinguisher in date"
        )
        assert (await next_message(standin, community.id))["text"] == alarm["text"]
        assert (await next_message(standin, landlord.id))["text"] == (
            f"Your rental house {code} is now 🟥 red.\nTo fix:\n"
            "• Critical item failed: Fire extinguisher in date"
        )

        # the landlord sees the colour and what to fix in /rental
        standin.send_command(landlord, "/rental")
        overview = await next_message(standin, landlord.id)
        assert f"🟥 red · {code} · Market Lane 7, room 302" in overview["text"]
        assert "To fix:\n• Critical item failed: Fire extinguisher in date" in overview["text"]
        house_id = house.id
        # attack: a stranger presses the landlord's "Tenants" button: no names
        tenants_button = inline_buttons(overview)[f"👥 Tenants of {code}"]
        pressed = standin.press_button(stranger, overview, tenants_button)
        answers = await eventually(lambda: standin.callback_answers(pressed))
        assert answers[0]["text"] == "This is not your house."
        standin.press_button(landlord, overview, tenants_button)
        listed = await next_message(standin, landlord.id)
        assert listed["text"].startswith(f"Tenants of {code}:\nIvan Petrov, since ")
        assert "Li Maria" in listed["text"]
        assert not [m for m in standin.messages(stranger.id) if "Ivan" in (m.get("text") or "")]

        # a re-inspection passes everything: green
        _shown, result = await inspect(standin, worker, east.id, code, failing=set())
        assert result["text"].startswith(f"Inspection of {code} finished: 🟩 green.\n")
        assert (await next_message(standin, landlord.id))["text"] == (
            f"Your rental house {code} is now 🟩 green."
        )

        # a third tenant for two beds: yellow, overcrowded
        await register_tenant(standin, third, join, "Chen Jie", "Passport", "G12345678")
        _joined, recoloured = await standin.wait_for_messages(landlord.id, count=2, timeout=10)
        assert recoloured["text"] == (
            f"Your rental house {code} is now 🟨 yellow.\nTo fix:\n"
            "• Overcrowded: 3 tenants for 2 beds"
        )
        # the tenant moves out: green again
        standin.send_command(third, "/rental")
        mine = await next_message(standin, third.id)
        standin.press_button(third, mine, inline_buttons(mine)[f"🚪 I moved out of {code}"])
        assert (await next_message(standin, third.id))["text"].startswith("Marked as moved out on ")
        assert (await next_message(standin, landlord.id))["text"] == (
            f"Your rental house {code} is now 🟩 green."
        )

        # time passes (the runner's minute round, with the test's clock): due, then overdue
        rental, rental_db = rental_service(
            bot.settings.effective_database_url, bot.settings.data_dir
        )
        try:
            later = utcnow() + timedelta(days=366)
            assert await rental.minute_round(later) == (1, 1)
            assert await rental.minute_round(later + timedelta(minutes=1)) == (0, 0)
        finally:
            await rental_db.close()
        reminder = await next_message(standin, east.id)
        assert reminder["text"].startswith(
            f"⏰ Inspection due: rental house {code} on Grid 1: east gate (🟨 yellow), due "
        )
        assert list(inline_buttons(reminder)) == ["🔍 Inspect now"]
        assert (await next_message(standin, landlord.id))["text"].startswith(
            f"Your rental house {code} is now 🟨 yellow.\nTo fix:\n• Inspection overdue since "
        )
        # /houses in the grid's chat: counts and the flagged houses with their reasons
        standin.send_command(worker, "/houses", chat=east.id)
        figures = (await next_message(standin, east.id))["text"]
        assert figures.startswith(
            "Rental houses on Grid 1: east gate:\n🟥 red 0 · 🟨 yellow 1 · 🟩 green 0\n\n"
            f"🟨 {code} · Market Lane 7, room 302\n• Inspection overdue since "
        )
        figures = RentalFigures(db)
        assert await figures.counts_per_grid() == {"SJB-01": {"red": 0, "yellow": 1, "green": 0}}
        assert await figures.counts(["SJB-01", "SJB-02"]) == {"red": 0, "yellow": 1, "green": 0}
        # a tenant already registered there is told so
        standin.send_command(first, "/start", join)
        assert (await next_message(standin, first.id))["text"] == (
            f"You are already registered in rental house {code}. /rental shows it."
        )
        # "Inspect now" under the reminder starts an inspection, asked of who pressed
        pressed = standin.press_button(
            stranger, reminder, inline_buttons(reminder)["🔍 Inspect now"]
        )
        answers = await eventually(lambda: standin.callback_answers(pressed))
        assert answers[0]["text"] == "Only the staff of this house's grid can inspect it."
        standin.press_button(worker, reminder, inline_buttons(reminder)["🔍 Inspect now"])
        intro = await next_message(standin, east.id)
        assert intro["text"].startswith(f"🔍 Inspection of rental house {code} on")

        async def shown() -> bool:  # the bot notes the message once it is sent: a person
            async with db.session() as session:  # replies later than the bot takes to do so
                rows = await session.exec(select(RentalInspection))
                return any(intro["message_id"] in i.message_ids for i in rows.all())

        for _attempt in range(250):
            if await shown():
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the inspection's message was never noted")
        # a photo in reply to the inspection is the current item's evidence; only from staff
        photo = {"photo": standin.state.files.add_photo(PNG)}
        standin._user_message(stranger, photo, east, intro, None)  # no public reply-with-photo
        assert (await next_message(standin, east.id))["text"] == (
            "Only the staff of this house's grid can inspect it."
        )
        standin._user_message(worker, photo, east, intro, None)
        assert (await next_message(standin, east.id))["text"] == (
            "📷 Photo added to “Fire extinguisher in date”."
        )
        async with db.session() as session:
            inspection = (
                await session.exec(select(RentalInspection).order_by(col(RentalInspection.id)))
            ).all()[-1]
        assert inspection.results["extinguisher"]["photo"] == photo["photo"][-1]["file_id"]
        assert inspection.results["extinguisher"]["ok"] is None

        # the tenant who moved out is forgotten PERSONAL_DATA_RETENTION_DAYS (30) later
        rental, rental_db = rental_service(
            bot.settings.effective_database_url, bot.settings.data_dir
        )
        try:
            assert await rental.purge_tenants(china_today() + timedelta(days=30)) == 0
            assert await rental.purge_tenants(china_today() + timedelta(days=31)) == 1
        finally:
            await rental_db.close()
        async with db.session() as session:
            gone = (
                await session.exec(select(RentalTenant).where(RentalTenant.telegram_id == THIRD))
            ).one()
        assert gone.purged_at and not (gone.name_encrypted or gone.document_encrypted)
        assert gone.phone_encrypted is None
        assert house_id is not None
    finally:
        await db.close()
