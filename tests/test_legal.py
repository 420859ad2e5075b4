"""The legal service point, through the Bot API stand-in: a small firm asks about an unpaid
contract, a lawyer on duty takes and answers it through the relay, a consultation is booked,
and the lawyer's hours add up. Attacks first: an outsider and a non-lawyer pressing Take.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.localapi import BotAPIStandin
from services.routing_file import SAMPLE_PATH
from tests.support.people import inline_buttons
from tests.support.running import eventually, recorded
from tests.test_resident_requests import next_message

LAWYERS = -1001000000030
CHEN, LIN, CLERK = 5001, 5002, 5003  # Lin is a lawyer never on duty; the clerk is no lawyer
ADMIN = 9001
ALL_WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def legal_routing(tmp_path: Path, forum: bool = False) -> Path:
    """The sample routing file with a legal service point every test can count on."""
    document = yaml.safe_load(SAMPLE_PATH.read_text(encoding="utf-8"))
    document["legal"] = {
        "chat": LAWYERS,
        "forum": forum,
        "name": {"en": "Canal Legal Service Point", "zh": "运河法律服务点"},
        "address": {"en": "Qixing Street Office, 2nd floor", "zh": "七星街道办事处二楼"},
        "lawyers": [
            {"id": CHEN, "name": "Lawyer Chen", "duty": ALL_WEEK},
            {"id": LIN, "name": "Lawyer Lin", "duty": []},
        ],
        "slots": {day: ["10:00", "15:00"] for day in ALL_WEEK},
    }
    path = tmp_path / "routing.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def lawyers_chat(standin: BotAPIStandin, forum: bool = False, language: str = "en") -> None:
    standin.group(LAWYERS, title="Lawyers on duty", forum=forum)
    for user_id, name in ((CHEN, "Chen Jing"), (LIN, "Lin Tao"), (CLERK, "Clerk Xu")):
        standin.user(user_id, name, language_code=language)
        standin.add_member(LAWYERS, user_id)


async def press(standin: BotAPIStandin, user: Any, message: dict[str, Any], label: str) -> str:
    """Press a button by its label; the answer to the press (an alert's words, or "")."""
    query = standin.press_button(user, message, inline_buttons(message)[label])
    answers = await eventually(lambda: standin.callback_answers(query), within=10)
    return str(answers[0].get("text", ""))


async def taken_card(standin: BotAPIStandin, card: dict[str, Any]) -> dict[str, Any]:
    """The card once it is edited to a taken question's buttons, as the lawyer sees it then."""

    def edited() -> dict[str, Any] | None:
        now = next(m for m in standin.messages(LAWYERS) if m["message_id"] == card["message_id"])
        return now if "📅 Offer a consultation" in inline_buttons(now) else None

    found: dict[str, Any] = await eventually(edited)
    return found


async def card_of(standin: BotAPIStandin) -> dict[str, Any]:
    messages = await standin.wait_for_messages(LAWYERS, timeout=10)
    return next(m for m in messages if "⚖️" in m.get("text", ""))


async def test_a_small_firm_asks_a_lawyer_on_duty_in_english(
    standin: BotAPIStandin, run_bot, tmp_path: Path
) -> None:
    lawyers_chat(standin)
    zhang = standin.user(3101, "Boss Zhang", language_code="en")
    mallory = standin.user(3004, "Mallory", language_code="en")
    standin.user(ADMIN, "Chief", language_code="en")
    bot = await run_bot(routing_file=legal_routing(tmp_path), admin_ids=str(ADMIN))

    standin.press_reply_button(zhang, "👩‍⚖️ Ask a lawyer")
    assert (await next_message(standin, zhang.id))["text"] == (
        "👩‍⚖️ Ask the lawyers on duty at the legal service point, free of charge. "
        "Are you asking for yourself or for a small firm?"
    )
    standin.press_reply_button(zhang, "🏢 For a small firm")
    assert (await next_message(standin, zhang.id))["text"] == "What is your question about?"
    standin.send_message(zhang, "taxes")
    assert (await next_message(standin, zhang.id))["text"] == (
        "“taxes” is not one of the topics. Choose one: Employment, Contracts, Platform work, "
        "Family, Something else."
    )
    standin.press_reply_button(zhang, "⚖️ Contracts")
    assert (await next_message(standin, zhang.id))["text"].startswith("Describe your question")
    standin.send_message(zhang, "A client has not paid our invoice of 80,000 yuan for 3 months.")
    assert (await next_message(standin, zhang.id))[
        "text"
    ] == "Got it. Add more, or press “✅ Done”."
    standin.send_document(zhang, b"x" * (21 * 1024 * 1024), "scan.pdf")
    assert (await next_message(standin, zhang.id))["text"] == (
        "That file is too large (21.0 MB): send documents of up to 20 MB."
    )
    standin.send_document(zhang, b"%PDF-1.4 contract" * 100, "contract.pdf")
    await next_message(standin, zhang.id)
    standin.press_reply_button(zhang, "✅ Done")
    summary = (await next_message(standin, zhang.id))["text"]
    assert "Asking as: a small firm\nTopic: Contracts" in summary
    assert "📎 contract.pdf (2 KB)" in summary
    standin.press_reply_button(zhang, "📨 Send to the lawyers")
    filed = (await next_message(standin, zhang.id))["text"]
    number = re.search(r"L\d{4}-\d{6}", filed)
    assert number and filed.startswith(f"📨 Your question {number[0]} has gone to the lawyers")
    number = number[0]

    card = await card_of(standin)
    assert card["text"].startswith(
        f"⚖️ Question {number} · Contracts\nFrom a small firm: Boss Zhang"
    )
    assert "“A client has not paid our invoice" in card["text"]
    contract = await next_message(standin, LAWYERS)  # the contract, for the lawyers to open
    assert contract["document"]["file_name"] == "contract.pdf" and contract["caption"] == number

    # the attacks: someone outside the chat, a member who is no lawyer, a lawyer off duty
    assert await press(standin, mallory, card, "🙋 Take") == (
        "Only the service point's lawyers, in the lawyers' chat, can do that."
    )
    assert await press(standin, CLERK, card, "🙋 Take") == (
        "Only the service point's lawyers, in the lawyers' chat, can do that."
    )
    assert await press(standin, LIN, card, "🙋 Take") == (
        "You are not on duty today. Send /duty on in the lawyers' chat to go on duty, then take it."
    )
    assert await press(standin, CHEN, card, "🙋 Take") == f"Done: {number}"
    assert (await next_message(standin, zhang.id))["text"] == (
        f"👩‍⚖️ A lawyer on duty has taken your question {number}. The answer will come here."
    )

    # the answer through the relay: signed "Lawyer on duty", never the lawyer's name
    standin.send_message(CHEN, "Send a written demand for payment first.", LAWYERS, card)
    assert (await next_message(standin, LAWYERS))["text"] == (
        f"✉️ Sent to the asker of {number}, signed “Lawyer on duty”."
    )
    answer = await next_message(standin, zhang.id)
    assert answer["text"] == (
        f"👩‍⚖️ Lawyer on duty, about your question {number}:\n\n"
        "Send a written demand for payment first."
    )
    assert "Chen" not in str(answer) and str(CHEN) not in str(answer)
    await recorded(bot.settings, answer)  # as when a person has read it
    standin.send_message(zhang, "Should we stop delivering meanwhile?", reply_to=answer)
    assert (await next_message(standin, zhang.id))["text"] == (
        f"Sent to the lawyer on duty, about question {number}."
    )
    assert (await next_message(standin, LAWYERS))["text"] == (
        f"💬 The asker adds to question {number}:\n\nShould we stop delivering meanwhile?"
    )

    # a consultation at the service point: booked once; a stale press of the same time refused
    card = await taken_card(standin, card)
    assert await press(standin, CHEN, card, "📅 Offer a consultation") == (
        f"Offered 14 times to the asker of {number}."
    )
    offer = await next_message(standin, zhang.id)
    assert offer["text"] == (
        f"📅 An in-person consultation about your question {number}, at Canal Legal Service "
        "Point, Qixing Street Office, 2nd floor. Choose a time:"
    )
    first_time = next(iter(inline_buttons(offer)))
    await press(standin, zhang, offer, first_time)
    booked = (await next_message(standin, zhang.id))["text"]
    when = first_time.removeprefix("🕑 ")
    assert booked == (
        f"📅 Booked: {when}, at Canal Legal Service Point, Qixing Street Office, 2nd floor, about "
        f"your question {number}. You will be reminded the day before."
    )
    assert (await next_message(standin, LAWYERS))["text"] == (
        f"📅 The asker of {number} booked an in-person consultation: {when}."
    )
    assert await press(standin, zhang, offer, first_time) == (  # pressed again
        f"You have already booked {when} for this question."
    )

    # answered, rated, hours recorded and added up
    assert await press(standin, CHEN, card, "✅ Answered") == f"Done: {number}"
    rate = await next_message(standin, zhang.id)
    assert rate["text"].startswith(f"✅ The lawyer on duty has answered your question {number}.")
    await press(standin, zhang, rate, "⭐⭐⭐⭐⭐")
    assert (await next_message(standin, zhang.id))["text"] == "Thank you for your rating."
    assert (await next_message(standin, LAWYERS))["text"] == (
        f"⭐⭐⭐⭐⭐ The asker rated the answer to {number}: 5 of 5."
    )
    await press(standin, zhang, rate, "📅 Book an in-person consultation")  # from the answer
    again = await next_message(standin, zhang.id)
    assert again["text"].startswith(f"📅 An in-person consultation about your question {number}")
    assert first_time not in inline_buttons(again) and len(inline_buttons(again)) == 12
    assert await press(standin, CHEN, card, "⏱ Record 30 min") == (
        f"⏱ Recorded 30 min for {number}."
    )
    standin.send_message(CHEN, "/hours add 45", LAWYERS, card)
    day = re.search(r"on (\d{4}-\d{2}-\d{2})\.$", (await next_message(standin, LAWYERS))["text"])
    assert day is not None
    standin.send_command(CHEN, "/hours")
    assert (await next_message(standin, CHEN))["text"] == (
        f"⏱ Service hours of Lawyer Chen, {day[1][:7]}:\n"
        f"{day[1]} · 30 min · {number}\n"
        f"{day[1]} · 45 min · {number}\n"
        "Total: 1 h 15 min"
    )

    # the admin's export; nobody else's
    standin.send_command(CHEN, "/hours", f"export {day[1][:7]}")
    assert (await next_message(standin, CHEN))["text"] == (
        "Only an admin can export the lawyers' hours."
    )
    standin.send_command(ADMIN, "/hours", f"export {day[1][:7]}")
    exported = await next_message(standin, ADMIN)
    assert exported["document"]["file_name"] == f"legal-hours-{day[1][:7]}.csv"
    assert exported["caption"] == f"Lawyers' service hours, {day[1][:7]}."
    stored = standin.state.files.get(exported["document"]["file_id"])
    assert stored is not None
    assert stored.data.decode("utf-8-sig").splitlines() == [
        "lawyer_id,lawyer,day,minutes,question",
        f"{CHEN},Lawyer Chen,{day[1]},30,{number}",
        f"{CHEN},Lawyer Chen,{day[1]},45,{number}",
        f"{CHEN},Lawyer Chen,total,75,",
    ]
