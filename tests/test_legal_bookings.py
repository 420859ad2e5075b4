"""Consultations at the legal service point: of two people wanting one time, exactly one
gets it (the database decides); the other is offered the rest. Reminded the day before, by
the runner's minute round with the clock it is given."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.factory import build
from bot.localapi import BotAPIStandin
from bot.runner import legal_round
from services.legal_bookings import SlotTaken
from services.legal_contract import LegalDraft
from services.models import utcnow
from tests.support.people import inline_buttons
from tests.support.running import bot_settings, eventually
from tests.test_legal import (
    CHEN,
    LAWYERS,
    card_of,
    lawyers_chat,
    legal_routing,
    press,
    taken_card,
)
from tests.test_resident_requests import next_message


async def ask(standin: BotAPIStandin, user: Any, words: str) -> str:
    """A person asks about their family matter in a few words; the question's number."""
    standin.send_command(user, "/lawyer")
    await next_message(standin, user.id)
    standin.press_reply_button(user, "🙋 For myself")
    await next_message(standin, user.id)
    standin.press_reply_button(user, "⚖️ Family")
    await next_message(standin, user.id)
    standin.send_message(user, words)
    await next_message(standin, user.id)
    standin.press_reply_button(user, "✅ Done")
    await next_message(standin, user.id)
    standin.press_reply_button(user, "📨 Send to the lawyers")
    filed = (await next_message(standin, user.id))["text"]
    found = re.search(r"L\d{4}-\d{6}", filed)
    assert found is not None
    return found[0]


async def test_only_one_asker_gets_a_time_and_the_day_before_both_are_reminded(
    standin: BotAPIStandin, run_bot, tmp_path: Path
) -> None:
    lawyers_chat(standin)
    wu = standin.user(3201, "Wu Min", language_code="en")
    he = standin.user(3202, "He Li", language_code="en")
    bot = await run_bot(routing_file=legal_routing(tmp_path))
    offers = {}
    for asker, words in ((wu, "My landlord keeps our deposit"), (he, "Alimony question")):
        number = await ask(standin, asker, words)
        card = await card_of(standin)
        assert await press(standin, CHEN, card, "🙋 Take") == f"Done: {number}"
        await next_message(standin, asker.id)  # taken
        await press(standin, CHEN, await taken_card(standin, card), "📅 Offer a consultation")
        offers[asker.id] = (number, await next_message(standin, asker.id))

    first = next(iter(inline_buttons(offers[wu.id][1])))
    assert first in inline_buttons(offers[he.id][1])
    await press(standin, wu, offers[wu.id][1], first)
    assert (await next_message(standin, wu.id))["text"].startswith("📅 Booked: ")
    await press(standin, he, offers[he.id][1], first)  # a moment later
    refused = await next_message(standin, he.id)
    assert refused["text"] == ("That time was booked by someone else a moment ago. Choose another:")
    assert first not in inline_buttons(refused) and len(inline_buttons(refused)) == 12  # a week

    when = first.removeprefix("🕑 ")
    slot = datetime.fromisoformat(when).replace(tzinfo=bot.settings.zone)
    linkage = build(bot.settings)
    try:
        await legal_round(linkage, (slot - timedelta(hours=25)).astimezone(UTC))  # too early
        await legal_round(linkage, (slot - timedelta(hours=23)).astimezone(UTC))
        await legal_round(linkage, (slot - timedelta(hours=22)).astimezone(UTC))  # once only
    finally:
        await linkage.close()
    number = offers[wu.id][0]
    assert (await next_message(standin, wu.id))["text"] == (
        f"⏰ Reminder: your consultation about question {number} is tomorrow, {when}, at "
        "Canal Legal Service Point, Qixing Street Office, 2nd floor."
    )

    def reminders() -> list[str]:
        return [m.get("text", "") for m in standin.messages(LAWYERS) if "⏰" in m.get("text", "")]

    await eventually(reminders)
    await asyncio.sleep(0.5)
    assert reminders() == [f"⏰ Tomorrow, {when}: the in-person consultation about {number}."]
    assert standin.pending_messages(wu.id) == []


async def test_two_bookings_of_one_slot_at_the_same_moment_one_wins(
    standin: BotAPIStandin, tmp_path: Path, database_url: str
) -> None:
    settings = bot_settings(
        standin,
        database_url=database_url,
        data_dir=tmp_path / "data",
        routing_file=legal_routing(tmp_path),
    )
    linkage = build(settings)
    try:
        assert linkage.legal is not None and linkage.bookings is not None
        questions = [
            await linkage.legal.submit(
                LegalDraft(4000 + i, f"Asker {i}", "en", "person", "family", "?", (), LAWYERS)
            )
            for i in range(2)
        ]
        now = utcnow()
        slot = (await linkage.bookings.free_slots(now))[0]
        results = await asyncio.gather(
            *(linkage.bookings.book(q.id or 0, q.asker_id, slot, now) for q in questions),
            return_exceptions=True,
        )
    finally:
        await linkage.close()
    assert sorted(type(result).__name__ for result in results) == ["LegalBooking", "SlotTaken"]
    assert any(isinstance(result, SlotTaken) for result in results)
