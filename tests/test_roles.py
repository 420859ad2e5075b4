"""Roles through the running bot: invitations, /whoami, /revoke_role, verifiers by membership."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.localapi import BotAPIStandin
from services.roles import Role, RoleService
from services.storage import Database
from tests.support.people import inline_buttons
from tests.support.running import RunningBot, eventually

ADMIN = 9001
VERIFIER_CHAT = -1001  # STAFF_CHAT_ID in the tests, so VERIFIER_CHAT_ID too
LINK = re.compile(r"https://t\.me/linkage_test_bot\?start=([A-Za-z0-9_-]+)")


async def next_text(standin: BotAPIStandin, chat_id: int) -> str:
    [message] = await standin.wait_for_messages(chat_id, timeout=10)
    return str(message["text"])


async def next_message(standin: BotAPIStandin, chat_id: int) -> dict[str, Any]:
    [message] = await standin.wait_for_messages(chat_id, timeout=10)
    return message


@pytest.fixture
async def bot(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> AsyncIterator[RunningBot]:
    standin.group(VERIFIER_CHAT, title="Verifiers")
    yield await run_bot(admin_ids=str(ADMIN))


@pytest.fixture
async def db(bot: RunningBot) -> AsyncIterator[Database]:
    database = Database(bot.settings.effective_database_url)  # a second process, same database
    yield database
    await database.close()


def invitation_code(text: str) -> str:
    match = LINK.search(text)
    assert match, text
    return match.group(1)


async def test_an_admin_invites_a_front_desk_who_opens_the_link_once(
    standin: BotAPIStandin, bot: RunningBot
) -> None:
    admin = standin.user(ADMIN, "Chief", language_code="en")
    desk = standin.user(5001, "Lin", language_code="en")
    latecomer = standin.user(5002, "Zhou", language_code="en")

    standin.send_command(admin, "/invite", "frontdesk")
    question = await next_message(standin, admin.id)
    assert question["text"] == "Which hotel is the front desk for?"
    hotels = inline_buttons(question)
    assert list(hotels)[:2] == ["Xizha Waterside Inn", "Dongzha Riverside Guesthouse"]
    standin.press_button(admin, question, hotels["Xizha Waterside Inn"])
    invitation = await next_text(standin, admin.id)
    assert invitation.startswith("Invitation: Front desk at Xizha Waterside Inn\n")
    assert "It works once, for whoever opens it first, until" in invitation
    code = invitation_code(invitation)
    assert 20 <= len(code) <= 32
    assert len(f"/start {code}") <= 64  # Telegram's deep-link limit

    standin.send_command(desk, "/start", code)
    assert (await next_text(standin, desk.id)).startswith(
        "Welcome! You are now at the front desk of Xizha Waterside Inn."
    )
    standin.send_command(desk, "/whoami")
    assert await next_text(standin, desk.id) == (
        "Your Telegram id: 5001\n• Front desk at Xizha Waterside Inn"
    )

    standin.send_command(latecomer, "/start", code)
    assert await next_text(standin, latecomer.id) == (
        "This invitation has already been used. Ask an administrator for a new one."
    )
    standin.send_command(latecomer, "/whoami")
    assert await next_text(standin, latecomer.id) == "Your Telegram id: 5002\nNo special role"
    standin.send_command(latecomer, "/start")  # the greeting still works without a payload
    assert (await next_text(standin, latecomer.id)).startswith("Hello, Zhou!")

    standin.send_command(admin, "/revoke_role", "5001 frontdesk")
    assert await next_text(standin, admin.id) == (
        "Done: user 5001 no longer has the role “Front desk”."
    )
    standin.send_command(admin, "/revoke_role", "5001 frontdesk")
    assert await next_text(standin, admin.id) == "User 5001 does not have the role “Front desk”."
    standin.send_command(desk, "/whoami")
    assert await next_text(standin, desk.id) == "Your Telegram id: 5001\nNo special role"


async def test_a_verifier_invitation_in_chinese_and_codes_that_do_not_work(
    standin: BotAPIStandin, bot: RunningBot, db: Database
) -> None:
    admin = standin.user(ADMIN, "主任", language_code="zh")
    mei = standin.user(5101, "美玲", language_code="zh")
    late = standin.user(5102, "小周", language_code="zh")

    standin.send_command(admin, "/invite", "verifier")
    invitation = await next_text(standin, admin.id)
    assert invitation.startswith("邀请：审核员\n")
    assert "链接只能使用一次" in invitation
    standin.send_command(mei, "/start", invitation_code(invitation))
    assert (await next_text(standin, mei.id)).startswith("欢迎！您现在是审核员")
    standin.send_command(mei, "/whoami")
    assert await next_text(standin, mei.id) == "您的 Telegram ID：5101\n• 审核员"
    standin.send_command(admin, "/whoami")
    assert await next_text(standin, admin.id) == "您的 Telegram ID：9001\n• 管理员"

    # made four days ago: its 72 hours are over
    past = RoleService(db, clock=lambda: datetime.now(UTC) - timedelta(days=4))
    expired = await past.invite(Role.VERIFIER, created_by=ADMIN)
    standin.send_command(late, "/start", expired.code)
    assert await next_text(standin, late.id) == "这个邀请已过期。请向管理员索取新的邀请。"
    standin.send_command(late, "/start", "A" * 24)
    unknown = "无法识别这个邀请。请检查链接，或请管理员重新发一个。"
    assert await next_text(standin, late.id) == unknown
    standin.send_command(late, "/whoami")
    assert await next_text(standin, late.id) == "您的 Telegram ID：5102\n没有特殊角色"


async def test_members_of_the_verifier_chat_are_verifiers(
    standin: BotAPIStandin, bot: RunningBot
) -> None:
    member = standin.user(5201, "Wu", language_code="en")
    standin.add_member(VERIFIER_CHAT, member.id)
    standin.send_command(member, "/whoami")
    assert await next_text(standin, member.id) == "Your Telegram id: 5201\n• Verifier"


async def test_admin_commands_are_refused_to_others(
    standin: BotAPIStandin, bot: RunningBot
) -> None:
    stranger = standin.user(5301, "Guo", language_code="en")
    chinese = standin.user(5302, "郭", language_code="zh")
    admin = standin.user(ADMIN, "Chief", language_code="en")

    standin.send_command(stranger, "/invite", "verifier")
    assert await next_text(standin, stranger.id) == "This command is for administrators only."
    standin.send_command(chinese, "/invite", "frontdesk")
    assert await next_text(standin, chinese.id) == "此命令仅供管理员使用。"
    standin.send_command(stranger, "/revoke_role", "5302 verifier")
    assert await next_text(standin, stranger.id) == "This command is for administrators only."

    standin.send_command(admin, "/invite")
    assert await next_text(standin, admin.id) == (
        "Whom do you want to invite? Send /invite verifier, /invite frontdesk, "
        "/invite gridcontact or /invite supervisor."
    )
    standin.send_command(admin, "/revoke_role", "Guo verifier")
    assert (await next_text(standin, admin.id)).startswith("Send /revoke_role <user id> <role>")

    # a stranger pressing an admin's hotel button gets nothing
    standin.send_command(admin, "/invite", "frontdesk")
    question = await next_message(standin, admin.id)
    xizha = inline_buttons(question)["Xizha Waterside Inn"]
    query = standin.press_button(stranger, question, xizha)
    await bot_answered(standin, query)
    assert standin.callback_answers(query)[0]["text"] == "This button is for administrators only."
    assert not standin.pending_messages(stranger.id, consume=False)


async def bot_answered(standin: BotAPIStandin, query_id: str) -> None:
    await eventually(lambda: standin.callback_answers(query_id), within=10)
