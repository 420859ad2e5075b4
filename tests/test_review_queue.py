"""The verifiers' queue: /pending, reminders with an injectable clock (the verifier chat, then the
admins), a stay already over asks the tourist to correct the dates, and /stats from submission
to the certificate delivered, per day and per reviewer, beside the seed's 93 minutes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot.factory import Linkage, build
from bot.localapi import BotAPIStandin
from services.application_contract import ApplicationDraft
from services.certificates import CHINA_TIME, china_today
from services.models import Application, Certificate, utcnow
from tests.support.desk import selfie_jpeg
from tests.support.people import inline_buttons
from tests.support.running import RunningBot, eventually
from tests.test_resident_requests import next_message

VERIFIERS = -1001
ADMIN = 9001


@dataclass
class Queue:
    standin: BotAPIStandin
    bot: RunningBot
    linkage: Linkage  # the bot's own services, as the minutely round calls them

    async def submit(
        self, tourist: int, *, name: str = "Dai Lingling", arrive: date | None = None
    ) -> int:
        photo = self.standin.state.files.add_photo(selfie_jpeg())[-1]["file_id"]
        application = await self.linkage.applications.submit(
            ApplicationDraft(
                tourist_id=tourist,
                locale="en",
                full_name=name,
                document_type="prc_id",
                document_number="11010519491231002X",
                birth_date=None,
                phone="+8613800138000",
                hotel_code="wuzhen-xizha",
                check_in=arrive or china_today(),
                nights=1,
                selfie_file_id=photo,
            )
        )
        assert application.id is not None
        return application.id

    async def submitted_ago(self, application_id: int, minutes: int) -> None:
        async with self.linkage.db.session() as session:
            await session.exec(
                update(Application)
                .where(col(Application.id) == application_id)
                .values(submitted_at=utcnow() - timedelta(minutes=minutes))
            )
            await session.commit()


@pytest.fixture
async def queue(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> AsyncIterator[Queue]:
    standin.group(VERIFIERS, title="Verifiers")
    standin.user(ADMIN, "Chief", language_code="en")
    bot = await run_bot(admin_ids=str(ADMIN))
    linkage = build(bot.settings)
    yield Queue(standin, bot, linkage)
    await linkage.close()


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in messages]


async def test_pending_lists_the_oldest_first_for_verifiers_only(
    standin: BotAPIStandin, queue: Queue
) -> None:
    officer = standin.user(9101, "Officer Zhou", language_code="en")
    standin.add_member(VERIFIERS, officer.id)
    stranger = standin.user(9102, "Max", language_code="zh")
    newer = await queue.submit(4001, name="Dai Lingling")
    older = await queue.submit(4002, name="Wang Fang")
    await queue.submitted_ago(newer, 5)
    await queue.submitted_ago(older, 40)
    standin.send_command(officer, "/pending")
    listed = await next_message(standin, officer.id)
    assert listed["text"] == (
        "⏳ Waiting for a decision, oldest first:\n"
        f"A{older} · W*** Fang · Xizha Waterside Inn · waiting 40 min\n"
        f"A{newer} · D*** Lingling · Xizha Waterside Inn · waiting 5 min"
    )
    standin.send_command(stranger, "/pending")
    assert (await next_message(standin, stranger.id))[
        "text"
    ] == "只有审核人员可以查看等待中的申请。"


async def test_an_undecided_application_is_reminded_then_the_admins_are_told(
    standin: BotAPIStandin, queue: Queue
) -> None:
    waiting = await queue.submit(4001)
    decided = await queue.submit(4002)
    await eventually(lambda: len(standin.messages(VERIFIERS)) == 2, within=10)  # the two cards
    standin.pending_messages(VERIFIERS)
    async with queue.linkage.db.session() as session:  # decided: never reminded
        await session.exec(
            update(Application).where(col(Application.id) == decided).values(status="rejected")
        )
        await session.commit()
    rows = await queue.linkage.review_queue.pending(utcnow())
    submitted = rows[0].submitted_at
    remind = queue.linkage.review_queue.remind
    assert await remind(submitted + timedelta(minutes=14, seconds=59)) == 0
    assert await remind(submitted + timedelta(minutes=15)) == 1
    reminder = await next_message(standin, VERIFIERS)
    assert reminder["text"].startswith(
        f"⏰ Application A{waiting} (D*** Lingling, Xizha Waterside Inn) has waited 15 min for a "
        "decision, since "
    )
    assert reminder["text"].endswith("(China time). /pending lists everything that waits.")
    assert "11010519491231002X" not in str(standin.messages(VERIFIERS)[-1])
    assert await remind(submitted + timedelta(minutes=29)) == 0  # once, not every minute
    assert await remind(submitted + timedelta(minutes=30)) == 1
    told = await next_message(standin, ADMIN)
    assert told["text"] == (
        f"⏰ Application A{waiting} (D*** Lingling, Xizha Waterside Inn) has waited 30 min and "
        "no verifier has decided it, though the verifier chat was reminded. A tourist is waiting."
    )
    assert await remind(submitted + timedelta(hours=5)) == 0
    assert not standin.pending_messages(VERIFIERS)


async def test_an_approval_for_a_stay_already_over_asks_the_tourist_to_correct_it(
    standin: BotAPIStandin, queue: Queue
) -> None:
    officer = standin.user(9101, "Officer Zhou", language_code="en")
    standin.add_member(VERIFIERS, officer.id)
    tourist = standin.user(4001, "Dai", language_code="en")
    await queue.submit(tourist.id, arrive=china_today() - timedelta(days=3))
    card = await next_message(standin, VERIFIERS)
    press = standin.press_button(officer, card, inline_buttons(card)["✅ Approve"])
    [answer] = await eventually(lambda: standin.callback_answers(press), within=10)
    assert answer["text"] == (
        "Not issued: the stay is already over. The tourist is asked to correct the dates and "
        "send the application again."
    )
    told = await next_message(standin, tourist.id)
    assert told["text"].startswith(
        "Your application for an accommodation certificate was declined: The dates of your stay "
        "are already past. Correct them (the day you arrive and the nights) and send the "
        "application again."
    )
    async with queue.linkage.db.session() as session:
        assert not (await session.exec(select(Certificate))).all()  # no dead certificate


async def test_stats_from_submission_to_the_certificate_delivered(
    standin: BotAPIStandin, queue: Queue
) -> None:
    officer = standin.user(9101, "Officer Zhou", language_code="en")
    standin.add_member(VERIFIERS, officer.id)
    tourist = standin.user(4001, "Dai", language_code="en")
    application = await queue.submit(tourist.id)
    card = await next_message(standin, VERIFIERS)
    await queue.submitted_ago(application, 93)  # as the seed's tourist: 06:25 → 07:58
    standin.press_button(officer, card, inline_buttons(card)["✅ Approve"])
    delivered = await next_message(standin, tourist.id)
    assert delivered["caption"].startswith("✅ Your accommodation certificate")
    standin.send_command(officer, "/stats", chat=VERIFIERS)
    stats = await eventually(
        lambda: [t for t in texts(standin.pending_messages(VERIFIERS)) if t.startswith("📊")],
        within=10,
    )
    lines = stats[0].split("\n")
    assert lines[3] == (
        "From submission to the certificate in the tourist's chat (the seed waited 93 min):"
    )
    assert lines[4] == "All: 1 certificates, median 93 min, 90% within 93 min"
    day = (utcnow() - timedelta(minutes=93)).astimezone(CHINA_TIME)
    assert lines[5] == f"{day.date().isoformat()}: 1 certificates, median 93 min, 90% within 93 min"
    assert lines[6] == "Officer Zhou: 1 certificates, median 93 min, 90% within 93 min"
    stranger = standin.user(9102, "Max", language_code="en")
    standin.send_command(stranger, "/stats")  # outside the verifier chat: no figures
    assert (await next_message(standin, stranger.id))["text"] == (
        "I don't know that command. Send /help to see what I can do."
    )
    standin.send_command(stranger, "/pending")
    assert (await next_message(standin, stranger.id))["text"] == (
        "Only verifiers can see the applications waiting."
    )
