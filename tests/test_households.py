"""Household contacts: a grid's staff invite a grid contact for THEIR grid, the contact records
the families they look after (encrypted), and the grid's chat sees its coverage."""

from __future__ import annotations

from sqlmodel import select

from bot.localapi import BotAPIStandin
from services.models import Household
from services.storage import Database
from tests.support.people import inline_buttons
from tests.support.running import eventually
from tests.test_resident_requests import EAST_GATE_CHAT, next_message
from tests.test_roles import invitation_code

RIVERSIDE_CHAT = -1001000000012
SANJIABANG_CHAT = -1001000000010
STREET_OFFICE_CHAT = -1001000000001


async def test_a_grid_invites_its_contact_who_records_households_in_english(
    standin: BotAPIStandin, run_bot
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    riverside = standin.group(RIVERSIDE_CHAT, title="Grid 2")
    standin.group(SANJIABANG_CHAT, title="Sanjiabang community")  # above the grid: asked too
    standin.group(STREET_OFFICE_CHAT, title="Street office")
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(east.id, worker.id)
    other = standin.user(111121, "Zhao Lei", language_code="en")  # riverside's worker
    standin.add_member(riverside.id, other.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    bot = await run_bot()

    standin.send_command(worker, "/contacts", chat=east.id)
    listing = await next_message(standin, east.id)
    assert listing["text"] == (
        "Grid contacts: 0 for 0 of 1 grids.\n\nGrids with no contact (1):\nSJB-01 · Grid "
        "1: east gate"
    )
    invite = inline_buttons(listing)["➕ Invite a grid contact: Grid 1: east gate"]

    # the attack first: another grid's worker, and a stranger, press east gate's button
    for outsider in (other, standin.user(6666, "Mallory", language_code="en")):
        query = standin.press_button(outsider, listing, invite)
        await eventually(lambda q=query: standin.callback_answers(q))
        assert standin.callback_answers(query)[0]["text"] == (
            "Only the grid's staff can invite its grid contacts."
        )
    standin.send_command(other, "/contacts", chat=east.id)
    assert (await next_message(standin, east.id))["text"] == (
        "Only the staff of this chat can see its grid contacts."
    )

    standin.send_command(worker, "/start")  # the worker's private chat with the bot
    await standin.wait_for_messages(worker.id, timeout=10)
    query = standin.press_button(worker, listing, invite)
    await eventually(lambda: standin.callback_answers(query))
    assert standin.callback_answers(query)[0]["text"] == (
        "The invitation is in your private chat with me."
    )
    invitation = (await next_message(standin, worker.id))["text"]
    assert invitation.startswith("Invitation: Grid contact for Grid 1: east gate\n")
    standin.send_command(shen, "/start", invitation_code(invitation))
    assert (await next_message(standin, shen.id))["text"].startswith(
        "Welcome! You are now the grid contact for Grid 1: east gate."
    )

    standin.send_command(shen, "/households")
    assert (await next_message(standin, shen.id))["text"] == (
        "You have not recorded a household yet. Send /households add and who lives there, "
        "e.g. /households add Grandma Li, building 3 room 101 13812345678.\n\n"
        "You have not reported for a neighbour yet. Send /neighbour."
    )
    standin.send_command(
        shen, "/households", args="add Grandma Li, building 3 room 101 13812345678"
    )
    assert (await next_message(standin, shen.id))["text"] == (
        "Recorded: Grandma Li, building 3 room 101. You look after 1 households."
    )
    for n in range(2, 17):
        standin.send_command(shen, "/households", args=f"add Family {n}")
        said = (await next_message(standin, shen.id))["text"]
    assert said == (
        "Recorded: Family 16. You look after 16 households.\nThat is more than 15 households, "
        "more than one contact can keep in touch with: ask your grid's staff to invite another "
        "grid contact."
    )
    standin.send_command(shen, "/households", args="remove 16")
    assert (await next_message(standin, shen.id))["text"] == "Household 16 removed."
    standin.send_command(shen, "/households")
    listed = (await next_message(standin, shen.id))["text"]
    assert listed.startswith(
        "Households you look after (15):\n1. Grandma Li, building 3 room 101 · 13812345678\n"
        "2. Family 2\n"
    )
    assert "That is more than 15" not in listed

    db = Database(bot.settings.effective_database_url)
    try:
        async with db.session() as session:
            rows = (await session.exec(select(Household))).all()
        assert len(rows) == 15 and all(row.grid_code == "SJB-01" for row in rows)
        assert "Grandma" not in rows[0].label_encrypted
        assert "13812345678" not in (rows[0].phone_encrypted or "")
    finally:
        await db.close()

    standin.send_command(worker, "/contacts", chat=east.id)
    coverage = (await next_message(standin, east.id))["text"]
    assert coverage.startswith(
        "Grid contacts: 1 for 1 of 1 grids.\n\nGrid 1: east gate (SJB-01)\n• Lao Shen · since "
    )
    assert coverage.endswith(" · households: 15 · requests filed: 0")


async def test_a_community_chat_sees_which_grids_have_no_contact_in_chinese(
    standin: BotAPIStandin, run_bot
) -> None:
    community = standin.group(SANJIABANG_CHAT, title="三家浜社区")
    chief = standin.user(5001, "陈主任", language_code="zh")
    standin.add_member(community.id, chief.id, "administrator")
    await run_bot()

    standin.send_command(chief, "/contacts", chat=community.id)
    listing = await next_message(standin, community.id)
    assert listing["text"].startswith(
        "网格联系人：4 个网格中 0 个有联系人，共 0 人。\n\n"
        "没有联系人的网格（4）：\nSJB-01 · 第一网格（东门）"
    )
    assert "➕ 邀请网格联系人：第二网格（河边）" in inline_buttons(listing)


async def test_a_former_contacts_households_are_deleted_by_the_minute_round(
    database_url: str, tmp_path
) -> None:
    """The households belong to the role: revoked (or moved to another grid), they go."""
    from services.households import Households
    from services.privacy import FieldCipher
    from services.roles import Role, RoleService

    db = Database(database_url)
    try:
        roles = RoleService(db, admin_ids=[1])
        households = Households(db, FieldCipher.from_setting(None, tmp_path))
        await roles.grant(3001, Role.GRID_CONTACT, grid_code="SJB-01")
        await roles.grant(3002, Role.GRID_CONTACT, grid_code="SJB-02")
        await households.add(3001, "SJB-01", "Grandma Li", "13812345678")
        await households.add(3002, "SJB-02", "Uncle Wu", None)
        assert await households.purge_orphans() == 0
        await roles.revoke(3001, Role.GRID_CONTACT)
        await roles.grant(3002, Role.GRID_CONTACT, grid_code="SJB-03")  # moved
        assert await households.purge_orphans() == 2
        assert await households.of(3001) == [] and await households.of(3002) == []
    finally:
        await db.close()


async def test_a_whole_citys_contacts_are_counted_without_a_list_of_codes(
    database_url: str, tmp_path
) -> None:
    """The street office's chat covers every grid: thousands of codes are not sent as
    parameters (SQLite takes at most 32,766), the same contacts come back."""
    from services.households import FEW_GRIDS, Households
    from services.privacy import FieldCipher
    from services.roles import Role, RoleService

    db = Database(database_url)
    try:
        roles = RoleService(db)
        households = Households(db, FieldCipher.from_setting(None, tmp_path))
        await roles.grant(3001, Role.GRID_CONTACT, grid_code="G-00007")
        await roles.grant(3002, Role.GRID_CONTACT, grid_code="elsewhere")
        await households.add(3001, "G-00007", "Grandma Li", None)
        city = [f"G-{n:05}" for n in range(40_000)]
        assert len(city) > FEW_GRIDS
        for codes in (city, city[:FEW_GRIDS]):
            [found] = await households.contacts(codes)
            assert (found.user_id, found.grid_code, found.households) == (3001, "G-00007", 1)
    finally:
        await db.close()
