"""Binding a grid's group from Telegram: /bind grid CODE, its refusals, and /unbound."""

from __future__ import annotations

from pathlib import Path

from bot.localapi import BotAPIStandin
from tests.support.people import inline_buttons
from tests.support.running import eventually
from tests.test_resident_requests import INSIDE_EAST_GATE, next_message, report
from tests.test_routing_store import NEW_EAST_GATE_CHAT, SANJIABANG_CHAT, unbound_east_gate

ADMIN = 42


async def start(standin: BotAPIStandin, run_bot, tmp_path: Path) -> None:
    await run_bot(routing_file=unbound_east_gate(tmp_path), admin_ids=str(ADMIN))


async def test_an_admin_binds_a_grid_and_its_next_report_arrives_there(
    standin: BotAPIStandin, run_bot, tmp_path: Path
) -> None:
    standin.group(SANJIABANG_CHAT, title="Sanjiabang community")
    group = standin.group(NEW_EAST_GATE_CHAT, title="East gate grid")
    admin = standin.user(ADMIN, "Director Li", language_code="en")
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(group.id, admin.id, "administrator")
    standin.add_member(group.id, worker.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    await start(standin, run_bot, tmp_path)

    standin.send_command(admin, "/unbound")
    listing = await next_message(standin, admin.id)
    assert listing["text"].startswith("Grids without a chat of their own (1)")
    assert "SJB-01 · Grid 1: east gate · Sanjiabang Community" in listing["text"]

    standin.send_command(admin, "/bind", args="grid SJB-01", chat=group.id)
    said = await next_message(standin, group.id)
    assert said["text"] == (
        "This chat now receives the requests of grid Grid 1: east gate (SJB-01)."
    )
    standin.send_command(admin, "/unbound")
    assert (await next_message(standin, admin.id))["text"] == "Every grid has a chat of its own."

    await report(standin, shen, "The drain is blocked", INSIDE_EAST_GATE)
    card = (await standin.wait_for_messages(group.id, count=2, timeout=10))[0]
    assert card["text"].startswith("🆕 Request 2026-000001")
    standin.press_button(worker, card, inline_buttons(card)["🙋 Take"])
    await eventually(
        lambda: any("Taken by Wang Fang" in m.get("text", "") for m in standin.messages(group.id))
    )


async def test_a_bind_where_the_bot_is_not_an_admin_is_refused_with_the_reason(
    standin: BotAPIStandin, run_bot, tmp_path: Path
) -> None:
    standin.group(SANJIABANG_CHAT, title="Sanjiabang community")
    group = standin.group(NEW_EAST_GATE_CHAT, title="East gate grid", bot_status="member")
    admin = standin.user(ADMIN, "Director Li", language_code="en")
    standin.add_member(group.id, admin.id, "administrator")
    shen = standin.user(3001, "Lao Shen", language_code="en")
    await start(standin, run_bot, tmp_path)

    standin.send_command(admin, "/bind", args="grid SJB-01", chat=group.id)
    refusal = await next_message(standin, group.id)
    assert refusal["text"] == (
        "I am not an administrator of this group, so I could miss messages and cannot manage "
        "requests here. Make me an administrator, then send /bind again."
    )
    await report(standin, shen, "The drain is blocked", INSIDE_EAST_GATE)
    card = (await standin.wait_for_messages(SANJIABANG_CHAT, count=2, timeout=10))[0]
    assert card["text"].startswith("🆕 Request 2026-000001")  # still the community's
    assert standin.messages(group.id) == [refusal]


async def test_only_an_admin_of_linkage_may_bind_and_codes_are_checked(
    standin: BotAPIStandin, run_bot, tmp_path: Path
) -> None:
    group = standin.group(NEW_EAST_GATE_CHAT, title="East gate grid")
    admin = standin.user(ADMIN, "Director Li", language_code="en")
    group_owner = standin.user(5005, "Someone", language_code="en")  # owns the group only
    standin.add_member(group.id, admin.id, "administrator")
    standin.add_member(group.id, group_owner.id, "creator")
    await start(standin, run_bot, tmp_path)

    standin.send_command(group_owner, "/bind", args="grid SJB-01", chat=group.id)
    assert (await next_message(standin, group.id))["text"] == (
        "Only an administrator of Linkage can bind a chat to a grid."
    )
    standin.send_command(group_owner, "/unbound")
    assert (await next_message(standin, group_owner.id))["text"] == (
        "This command is for administrators only."
    )
    standin.send_command(admin, "/bind", args="grid SJB-99", chat=group.id)
    assert (await next_message(standin, group.id))["text"] == (
        "There is no grid with the code SJB-99."
    )
    standin.send_command(admin, "/bind", args="SJB-01", chat=group.id)
    assert (await next_message(standin, group.id))["text"] == (
        "Say what this chat is for: /bind grid CODE or /bind community CODE."
    )
    standin.send_command(admin, "/bind", args="community qiaodong", chat=group.id)
    assert (await next_message(standin, group.id))["text"].startswith(
        "This chat now receives the requests of community "
    )


async def test_a_forum_bind_needs_the_topics_right_asked_explicitly(
    standin: BotAPIStandin, run_bot, tmp_path: Path
) -> None:
    """In a forum each request gets a topic: an administrator without "Manage topics" is
    refused with the reason (the stand-in reports the right as the test set it), then binds."""
    standin.group(SANJIABANG_CHAT, title="Sanjiabang community")
    forum = standin.group(NEW_EAST_GATE_CHAT, title="East gate grid", forum=True)
    standin.set_bot_status(forum, "administrator", can_manage_topics=False)
    admin = standin.user(ADMIN, "Director Li", language_code="zh")
    standin.add_member(forum.id, admin.id, "administrator")
    await start(standin, run_bot, tmp_path)

    standin.send_command(admin, "/bind", args="grid SJB-01", chat=forum.id)
    assert (await next_message(standin, forum.id))["text"] == (
        "本群开启了话题，每条诉求都有自己的话题：请给我管理话题的权限，然后再发送 /bind。"
    )
    standin.send_command(admin, "/unbound")
    assert "SJB-01" in (await next_message(standin, admin.id))["text"]  # not bound

    standin.set_bot_status(forum, "administrator")  # every right, "Manage topics" too
    standin.send_command(admin, "/bind", args="grid SJB-01", chat=forum.id)
    assert (await next_message(standin, forum.id))["text"].startswith("本群现在接收网格")
