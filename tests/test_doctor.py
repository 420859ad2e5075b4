"""`python -m bot doctor` and the same check at start: each chat's problem, and how to fix it."""

from __future__ import annotations

import logging

import pytest

from bot.__main__ import doctor
from bot.doctor import configured_chats
from bot.localapi import BotAPIStandin
from services.routing import load_routing
from tests.support.running import bot_settings, eventually

NORTH_GATE_FORUM = -1001000000013
RIVERSIDE = -1001000000012
EAST_GATE = -1001000000011


def every_configured_chat(standin: BotAPIStandin) -> list[int]:
    """The sample routing file's chats and the settings' chats, as groups the bot is admin of."""
    settings = bot_settings(standin)
    chats = configured_chats(settings, load_routing(None, settings.staff_chat_id))
    for chat in chats:
        standin.group(chat.chat_id, title=chat.name, forum=chat.forum)
    return [chat.chat_id for chat in chats]


async def test_doctor_names_each_chat_that_is_not_ready(
    standin: BotAPIStandin, capsys: pytest.CaptureFixture[str]
) -> None:
    every_configured_chat(standin)
    assert await doctor(bot_settings(standin)) == 0
    assert capsys.readouterr().out.startswith("every configured chat is ready (")

    standin.set_bot_status(NORTH_GATE_FORUM, "member")  # forum, but not an administrator
    standin.set_bot_status(RIVERSIDE, "left")
    standin.group(EAST_GATE, title="Grid 1", forum=False)
    standin.set_bot_status(EAST_GATE, "restricted")
    assert await doctor(bot_settings(standin)) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "chat -1001000000011 (Grid 1: east gate): the bot cannot read the group's messages "
        "(privacy mode), so staff replies would not reach residents: in @BotFather send "
        "/setprivacy → Disable, then remove the bot from the group and add it again; or make it "
        "an administrator"
    )
    assert lines[1].startswith("chat -1001000000011 (Grid 1: east gate): the bot may not send")
    assert "chat -1001000000012 (Grid 2: riverside): the bot is not a member: add @" in lines[2]
    assert lines[3] == (
        "chat -1001000000013 (Grid 3: north gate): the bot is not an administrator, so it "
        "cannot open a topic per request: make it an administrator with “Manage topics” "
        "(group settings → Administrators)"
    )
    assert lines[4].startswith("chat -1001000000013 (Grid 3: north gate): the bot cannot read")
    assert len(lines) == 5


async def test_the_same_check_is_logged_at_start(
    standin: BotAPIStandin, run_bot, caplog: pytest.LogCaptureFixture
) -> None:
    every_configured_chat(standin)
    standin.set_bot_status(NORTH_GATE_FORUM, "member")
    with caplog.at_level(logging.WARNING, logger="bot.doctor"):
        await run_bot(doctor_at_start=True)
        await eventually(lambda: "setup: chat -1001000000013" in caplog.text)
    assert "the bot is not an administrator, so it cannot open a topic" in caplog.text


async def test_the_doctor_checks_the_routing_in_the_database_once_stored(
    standin: BotAPIStandin, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    """A grid bound from Telegram lives in the database, not in ROUTING_FILE: its chat is the
    one the doctor checks, with the same "administrator, topics right" check as /bind."""
    from services.migrate import upgrade_to_head
    from services.routing_store import RoutingStore
    from services.storage import Database

    every_configured_chat(standin)
    settings = bot_settings(standin, data_dir=tmp_path / "data")
    assert await doctor(settings) == 0  # no database yet: the file's chats
    assert capsys.readouterr().out.endswith("from the routing file routing.sample.yaml)\n")

    db = Database(settings.effective_database_url)
    try:
        await upgrade_to_head(db)
        store = RoutingStore(db, load_routing(None, settings.staff_chat_id))
        await store.seed()
        await store.bind("grid", "SJB-01", NEW_FORUM, forum=True)
    finally:
        await db.close()
    standin.group(NEW_FORUM, title="East gate forum", forum=True)
    standin.set_bot_status(NEW_FORUM, "administrator", can_manage_topics=False)
    assert await doctor(settings) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"chat {NEW_FORUM} (Grid 1: east gate): the bot is an administrator without “Manage "
        "topics”: give it that right (group settings → Administrators → the bot)"
    ]
    standin.set_bot_status(NEW_FORUM, "administrator")
    assert await doctor(settings) == 0
    assert capsys.readouterr().out.endswith("from the routing data in the database (version 2))\n")


NEW_FORUM = -1001000000078
