"""The steps between filing and the end, through the Bot API stand-in: the organisation asks for
more evidence and the new files reach its chat; the applicant moves and cancels a booking (the
freed time is booked by another, the mediator is told each time); "Not settled" sends the case
file as a PDF to the applicant and the chat; "Withdrawn" by the organisation, and by the
applicant from "My requests", where the case's history reads in words with China times."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

from bot.localapi import BotAPIStandin
from bot.localapi.limits import Limits
from services.certificates import CHINA_TIME
from tests.support.mediation import ODR_CHAT, file_case
from tests.support.people import inline_buttons, reply_keyboard
from tests.test_mediation import PDF, china, stamp
from tests.test_resident_requests import next_message

WILL = b"%PDF-1.4\n" + b"1" * 3000


@pytest.fixture
async def standin() -> AsyncIterator[BotAPIStandin]:
    """Weeks of a mediation desk's work in seconds: more than Telegram's 20 messages a minute
    reach the organisation's chat, so the group limit is raised (private chats as conftest's)."""
    server = BotAPIStandin(limits=Limits(private_burst=30, group_messages=100))
    await server.start()
    yield server
    await server.stop()


async def accepted(standin: BotAPIStandin, mediator: Any, resident: Any) -> dict[str, Any]:
    """The ODR centre accepts the newest card in its chat; returns the working buttons."""
    card = [m for m in standin.messages(ODR_CHAT) if "✅ Accept" in inline_buttons(m)][-1]
    standin.press_button(mediator, card, inline_buttons(card)["✅ Accept"])
    working = await next_message(standin, ODR_CHAT)
    await next_message(standin, resident.id)  # accepted, with the invitation link
    return working


async def offer(standin: BotAPIStandin, mediator: Any, number: str, times: list[Any]) -> None:
    standin.send_command(
        mediator, "/offer", f"{number} " + ", ".join(stamp(t) for t in times), chat=ODR_CHAT
    )
    await next_message(standin, ODR_CHAT)  # n times offered


async def test_evidence_asked_and_added_a_booking_moved_and_cancelled_and_the_endings(
    standin: BotAPIStandin, run_bot
) -> None:
    odr = standin.group(ODR_CHAT, title="ODR centre")
    mediator = standin.user(5301, "Mediator Xu", language_code="en")
    standin.add_member(odr.id, mediator.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    mei = standin.user(3002, "Mei Ling", language_code="en")
    await run_bot()
    started = datetime.now(CHINA_TIME)

    await file_case(standin, shen, "en", evidence=[PDF])
    await standin.wait_for_messages(odr.id, count=2, timeout=10)  # the card and the file
    working = await accepted(standin, mediator, shen)

    # more evidence: asked in the chat, added by the applicant, the files reach the chat
    standin.press_button(mediator, working, inline_buttons(working)["📎 Ask for more evidence"])
    assert (await next_message(standin, odr.id))["text"] == (
        "What evidence do you need for case M2026-000001? Write it in one message."
    )
    standin.send_message(mediator, "A copy of your mother's will.", chat=odr.id)
    assert (await next_message(standin, odr.id))["text"] == (
        "The applicant was asked for more evidence."
    )
    asked = await next_message(standin, shen.id)
    assert asked["text"] == (
        "📎 Jiaxing Online Dispute Resolution Centre asks for more evidence for your case "
        "M2026-000001: “A copy of your mother's will.”"
    )
    standin.press_button(shen, asked, inline_buttons(asked)["📎 Add evidence"])
    how = await next_message(standin, shen.id)
    assert how["text"] == "Send the photos, documents or voice notes, then press “Done”."
    assert reply_keyboard(how) == ["✅ Done", "✖️ Cancel"]
    standin.send_document(shen, WILL, file_name="will.pdf")
    assert (await next_message(standin, shen.id))["text"] == (
        "Evidence added (1). Send more, or press “Done”."
    )
    standin.press_reply_button(shen, "✅ Done")
    assert (await next_message(standin, shen.id))["text"] == (
        "Thank you: 1 files added to case M2026-000001."
    )
    note, document = await standin.wait_for_messages(odr.id, count=2, timeout=10)
    assert note["text"] == "📎 The applicant added 1 files to case M2026-000001."
    assert document["caption"] == "M2026-000001"
    stored = standin.file(document["document"]["file_id"])
    assert stored is not None and stored.data == WILL

    # a booking moved, then cancelled; the freed times go to someone else
    times = [china(3, 9), china(3, 11)]
    await offer(standin, mediator, "M2026-000001", times)
    offered = await next_message(standin, shen.id)
    standin.press_button(shen, offered, inline_buttons(offered)[f"📅 {stamp(times[0])}"])
    booked = await next_message(standin, shen.id)
    assert (await next_message(standin, odr.id))["text"] == (
        f"📅 Case M2026-000001: the applicant booked {stamp(times[0])}."
    )
    standin.press_button(shen, booked, inline_buttons(booked)["🔁 Move"])
    again = await next_message(standin, shen.id)
    assert again["text"] == "Choose the new time (China time):"
    standin.press_button(shen, again, inline_buttons(again)[f"📅 {stamp(times[1])}"])
    moved = await next_message(standin, shen.id)
    assert moved["text"].startswith(f"📅 Booked: {stamp(times[1])} (China time)")
    assert (await next_message(standin, odr.id))["text"] == (
        f"🔁 Case M2026-000001: the applicant moved the session to {stamp(times[1])}."
    )

    await file_case(standin, mei, "en")
    await next_message(standin, odr.id)  # the card of M2026-000002
    working_2 = await accepted(standin, mediator, mei)
    await offer(standin, mediator, "M2026-000002", times)
    offered_2 = await next_message(standin, mei.id)
    standin.press_button(mei, offered_2, inline_buttons(offered_2)[f"📅 {stamp(times[0])}"])
    assert (await next_message(standin, mei.id))["text"].startswith(
        f"📅 Booked: {stamp(times[0])}"  # the time Lao Shen moved away from
    )
    await next_message(standin, odr.id)  # booked

    standin.press_button(shen, moved, inline_buttons(moved)["✖️ Cancel the booking"])
    assert (await next_message(standin, shen.id))["text"] == (
        "Your booking is cancelled. You can book another time above."
    )
    assert (await next_message(standin, odr.id))["text"] == (
        f"✖️ Case M2026-000001: the applicant cancelled the session of {stamp(times[1])}."
    )
    booked_2 = standin.messages(mei.id)[-1]
    standin.press_button(mei, booked_2, inline_buttons(booked_2)["🔁 Move"])
    again_2 = await next_message(standin, mei.id)
    standin.press_button(mei, again_2, inline_buttons(again_2)[f"📅 {stamp(times[1])}"])
    assert (await next_message(standin, mei.id))["text"].startswith(
        f"📅 Booked: {stamp(times[1])}"  # the time Lao Shen cancelled
    )
    await next_message(standin, odr.id)  # moved

    # not settled: the case file to the applicant and the chat
    standin.press_button(mediator, working, inline_buttons(working)["⚖️ Not settled: to court"])
    referred = await next_message(standin, shen.id)
    assert referred["caption"] == (
        "⚖️ Case M2026-000001 was not settled and is referred to the court. The case file is "
        "attached."
    )
    case_file = standin.file(referred["document"]["file_id"])
    assert case_file is not None and case_file.data.startswith(b"%PDF")
    in_chat = await next_message(standin, odr.id)
    assert in_chat["caption"] == referred["caption"]
    assert standin.file(in_chat["document"]["file_id"]).data.startswith(b"%PDF")  # type: ignore[union-attr]
    assert (await next_message(standin, shen.id))["text"].startswith("How was the mediation")

    # withdrawn by the organisation
    standin.press_button(mediator, working_2, inline_buttons(working_2)["↩️ Withdrawn"])
    assert (await next_message(standin, odr.id))["text"] == "↩️ Case M2026-000002 was withdrawn."
    assert (await next_message(standin, mei.id))["text"] == (
        "↩️ Your mediation case M2026-000002 is withdrawn."
    )

    # "My requests": the history in words, with China times
    standin.press_reply_button(shen, "📋 My requests")
    mine = await next_message(standin, shen.id)
    assert mine["text"] == "⚖️ Your mediation cases:\nM2026-000001 · referred to the court"
    standin.press_button(shen, mine, inline_buttons(mine)["Open M2026-000001"])
    history = await next_message(standin, shen.id)
    lines = history["text"].split("\n")
    assert lines[0] == (
        "⚖️ Case M2026-000001 · 👪 Family · Jiaxing Online Dispute Resolution Centre"
    )
    assert lines[1] == "Status: referred to the court"
    steps = [line.split(" · ", 1)[1] for line in lines[3:]]
    assert steps == [
        "you filed it",
        "sent to Jiaxing Online Dispute Resolution Centre",
        "Jiaxing Online Dispute Resolution Centre accepted it",
        "more evidence was asked for: “A copy of your mother's will.”",
        "you added 1 files",
        "times for the session were offered",
        f"you booked the session of {stamp(times[0])}",
        f"you booked the session of {stamp(times[1])}",
        f"you cancelled the session of {stamp(times[1])}",
        "not settled: referred to the court",
    ]
    filed_at = lines[3].split(" · ")[0]
    assert stamp(started) <= filed_at <= stamp(datetime.now(CHINA_TIME))  # China time, not UTC
    assert inline_buttons(history) == {}  # closed: nothing to withdraw


async def test_the_applicant_withdraws_an_open_case_from_my_requests(
    standin: BotAPIStandin, run_bot
) -> None:
    odr = standin.group(ODR_CHAT, title="ODR centre")
    shen = standin.user(3001, "Lao Shen", language_code="en")
    other = standin.user(3009, "Someone Else", language_code="en")
    await run_bot()
    await file_case(standin, shen, "en")
    await next_message(standin, odr.id)  # the card

    standin.press_reply_button(shen, "📋 My requests")
    mine = await next_message(standin, shen.id)
    assert mine["text"] == "⚖️ Your mediation cases:\nM2026-000001 · filed"
    open_it = inline_buttons(mine)["Open M2026-000001"]

    # the attack: someone else presses the same button
    refused = standin.press_button(other, mine, open_it)
    from tests.test_mediation import _answered

    await _answered(standin, refused)
    assert standin.callback_answers(refused)[-1]["text"] == (
        "This case is not yours, or it no longer exists."
    )

    standin.press_button(shen, mine, open_it)
    history = await next_message(standin, shen.id)
    assert history["text"].endswith("you filed it\n" + history["text"].split("\n")[-1])
    standin.press_button(shen, history, inline_buttons(history)["↩️ Withdraw this case"])
    sure = await next_message(standin, shen.id)
    assert sure["text"] == (
        "Withdraw mediation case M2026-000001? The mediators will stop working on it, and it "
        "cannot be opened again."
    )
    standin.press_button(shen, sure, inline_buttons(sure)["↩️ Yes, withdraw it"])
    assert (await next_message(standin, shen.id))["text"] == (
        "↩️ Your mediation case M2026-000001 is withdrawn."
    )
    assert (await next_message(standin, odr.id))["text"] == "↩️ Case M2026-000001 was withdrawn."
