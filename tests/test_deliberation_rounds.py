"""Attacks on a consultation: a correction after the first vote opens round 2 (everyone told,
round 1's ballots refused, its votes void), and people outside the staff chat cannot see or
run it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from services.models import Consultation, ConsultationVote, Notification, utcnow
from services.storage import Database
from tests import test_deliberation as loop
from tests.support.people import inline_buttons
from tests.support.running import eventually
from tests.test_deliberation import (
    Village,
    csv_of,
    deadline_in,
    open_consultation,
    staff_press,
    staff_says,
)
from tests.test_resident_requests import EAST_GATE_CHAT, next_message

standin, village = loop.standin, loop.village  # the same stand-in and village

ROUND_2 = (
    "🔁 Round 2: the consultation was corrected, so the choices made in round 1 no longer "
    "count. Please choose again.\n\n🗳 Consultation: How should the east gate road be "
    "repaired?\n\nOptions:\nA. Asphalt\nB. Concrete\n\n"
)


@pytest.mark.parametrize("village", ["en"], indirect=True)
async def test_a_correction_after_the_first_vote_opens_round_two(village: Village) -> None:
    standin = village.standin
    lao, chen = village.residents[:2]
    await open_consultation(village, deadline_in(3))
    first = {person.id: await next_message(standin, person.id) for person in village.residents}
    standin.press_button(lao, first[lao.id], inline_buttons(first[lao.id])["B. Concrete"])
    await next_message(standin, lao.id)

    frozen = await staff_says(village, "/consult 1 edit")
    asked = await staff_press(village, frozen, "🔁 Open round 2")
    assert asked["text"] == (
        "✏️ Correcting consultation 1. What is the question? For example: How should the "
        "village road be repaired?"
    )
    await staff_says(village, "How should the east gate road be repaired?")
    await staff_says(village, "-")
    grids = await staff_says(village, "Asphalt\nConcrete")
    standin.press_button(village.worker, grids, inline_buttons(grids)["⬜ Grid 1: east gate"])
    await staff_press(village, grids, "✅ Done")
    await staff_says(village, "-")
    deadline = deadline_in(5)
    tally = await staff_says(village, f"{deadline:%Y-%m-%d %H:%M}")
    summary = await staff_press(village, tally, "👁 While voting")
    saved = await staff_press(village, summary, "📨 Save the correction")
    assert saved["text"] == (
        "🔁 Consultation 1 is in round 2 now: everyone invited is told. Follow it with /consult 1."
    )
    second = {person.id: await next_message(standin, person.id) for person in village.residents}
    for ballot in second.values():
        assert ballot["text"].startswith(ROUND_2)

    # round 1's ballot is refused; round 1's vote no longer counts
    stale = standin.press_button(lao, first[lao.id], inline_buttons(first[lao.id])["A. Asphalt"])
    answer = await _answer(village, stale)
    assert answer == (
        "This ballot is from an earlier round: the consultation was corrected and is in round "
        "2 now. Use the newer message."
    )
    standin.press_button(chen, second[chen.id], inline_buttons(second[chen.id])["B. Concrete"])
    receipt = (await next_message(standin, chen.id))["text"]
    assert re.fullmatch(
        r"✅ Your choice: B, recorded at \d\d:\d\d\. You can change it until the deadline\.\n\n"
        r"The tally so far:\nA\. Asphalt — 0\nB\. Concrete — 1\n1 of 4 invited have chosen\.",
        receipt,
    )
    view = await staff_says(village, "/consult 1")
    assert view["text"].startswith("🗳 Consultation 1 · round 2 · open until")
    assert "B. Concrete — 1\n1 of 4 invited have chosen." in view["text"]

    # shown while voting: the export carries the choices
    standin.send_command(village.worker, "/consult", "1 export", chat=EAST_GATE_CHAT)
    rows = csv_of(standin, await next_message(standin, EAST_GATE_CHAT))
    assert rows[1][:2] == ["2", "B. Concrete"]

    # the deadline is frozen too in round 2 once a vote is in; decided only after it
    said = await staff_says(village, "/decide 1")
    assert said["text"].startswith("Voting is open until ")


@pytest.mark.parametrize("village", ["en"], indirect=True)
async def test_no_one_outside_the_staff_chat_sees_or_runs_a_consultation(
    village: Village,
) -> None:
    standin = village.standin
    lao = village.residents[0]
    await open_consultation(village, deadline_in(3))
    ballot = await next_message(standin, lao.id)
    standin.press_button(lao, ballot, inline_buttons(ballot)["A. Asphalt"])
    await next_message(standin, lao.id)

    # a resident in the staff chat (not on the grid's team) asks for the tally
    standin.add_member(EAST_GATE_CHAT, lao.id)
    standin.send_command(lao, "/consult", "1", chat=EAST_GATE_CHAT)
    assert (await next_message(standin, EAST_GATE_CHAT))["text"] == (
        "Only the staff of this chat can do that."
    )
    # … presses the staff message's Export button
    view = await staff_says(village, "/consult 1")
    pressed = standin.press_button(lao, view, inline_buttons(view)["📄 Export"])
    assert await _answer(village, pressed) == "Only the staff of this chat can do that."
    # … opens a consultation of their own
    standin.send_command(lao, "/consult", chat=EAST_GATE_CHAT)
    assert (await next_message(standin, EAST_GATE_CHAT))["text"] == (
        "Only the staff of a grid's or community's chat can open a consultation, there."
    )
    # … or asks in a private chat with the bot
    standin.send_command(lao, "/consult", "1")
    assert (await next_message(standin, lao.id))["text"] == (
        "Consultation 1 is run from another team's chat."
    )
    # nor can a resident publish a decision once it closed
    await village.linkage.deliberation.close_due(deadline_in(4))
    await next_message(standin, EAST_GATE_CHAT)
    standin.send_command(lao, "/decide", "1", chat=EAST_GATE_CHAT)
    assert (await next_message(standin, EAST_GATE_CHAT))["text"] == (
        "Only the staff of this chat can do that."
    )


async def _answer(village: Village, query_id: str) -> str:
    answers = await eventually(lambda: village.standin.callback_answers(query_id))
    return str(answers[0]["text"])


@pytest.mark.parametrize("village", ["en"], indirect=True)
async def test_a_spoken_opinion_reaches_staff_by_pseudonym_and_is_purged_later(
    village: Village,
) -> None:
    standin = village.standin
    lao = village.residents[0]
    await open_consultation(village, deadline_in(3))
    ballot = await next_message(standin, lao.id)
    standin.press_button(lao, ballot, inline_buttons(ballot)["✍️ Write an opinion"])
    await next_message(standin, lao.id)
    standin.send_media(lao, "voice", b"OggS-a-spoken-opinion")
    assert (await next_message(standin, lao.id))["text"].startswith("📝 Your opinion is recorded")
    voice = await next_message(standin, EAST_GATE_CHAT)
    assert voice["caption"] == (
        "🎤 Resident 1's opinion on consultation 1: How should the village road be repaired?"
    )
    assert "Lao" not in str(voice)
    view = await staff_says(village, "/consult 1")
    assert "Resident 1: 🎤 a voice opinion" in view["text"]

    outcome = village.linkage.deliberation
    await outcome.close_due(deadline_in(4))
    await next_message(standin, EAST_GATE_CHAT)
    await staff_says(village, "/decide 1")
    await staff_says(village, "We repair it in March.")
    assert await outcome.purge_opinions(utcnow() - timedelta(days=30)) == 0  # decided today
    assert await outcome.purge_opinions(utcnow() + timedelta(days=1)) == 1
    async with village.linkage.db.session() as session:
        [vote] = (await session.exec(select(ConsultationVote))).all()
        voices = (
            await session.exec(select(Notification).where(Notification.method == "sendVoice"))
        ).all()
    assert vote.voice_encrypted is None and vote.opinion_encrypted is None
    assert [n.params for n in voices] == [{"chat_id": EAST_GATE_CHAT}]
    assert "none yet" in (await staff_says(village, "/consult 1"))["text"]


async def test_the_database_keeps_one_voice_per_person_per_round(database_url: str) -> None:
    """Even a second row written past the service (two presses racing) is refused."""
    db = Database(database_url)
    try:
        async with db.session() as session:
            consultation = Consultation(
                chat_id=EAST_GATE_CHAT,
                opened_by=1,
                question="?",
                options=["a", "b"],
                deadline=utcnow() + timedelta(days=1),
            )
            session.add(consultation)
            await session.commit()
            assert consultation.id is not None
            for _ in range(2):
                session.add(
                    ConsultationVote(
                        consultation_id=consultation.id, round=1, voter_id=3001, choice=0
                    )
                )
            with pytest.raises(IntegrityError):
                await session.commit()
    finally:
        await db.close()


@pytest.mark.parametrize("village", ["en"], indirect=True)
async def test_before_any_choice_a_correction_changes_round_one_and_says_so(
    village: Village,
) -> None:
    standin = village.standin
    await open_consultation(village, deadline_in(3))
    for person in village.residents:
        await next_message(standin, person.id)
    asked = await staff_says(village, "/consult 1 edit")
    assert asked["text"].startswith("✏️ Correcting consultation 1. What is the question?")
    await staff_says(village, "Which surface for the village road?")
    await staff_says(village, "-")
    grids = await staff_says(village, "Asphalt\nConcrete")
    standin.press_button(village.worker, grids, inline_buttons(grids)["⬜ Grid 1: east gate"])
    await staff_press(village, grids, "✅ Done")
    await staff_says(village, "-")
    tally = await staff_says(village, f"{deadline_in(4):%Y-%m-%d %H:%M}")
    summary = await staff_press(village, tally, "🙈 Only after the deadline")
    saved = await staff_press(village, summary, "📨 Save the correction")
    assert saved["text"] == (
        "✏️ Consultation 1 is corrected: everyone invited is told. Follow it with /consult 1."
    )
    for person in village.residents:
        told = await next_message(standin, person.id)
        assert told["text"].startswith(
            "✏️ The consultation was corrected before anyone chose:\n\n"
            "🗳 Consultation: Which surface for the village road?"
        )
    view = await staff_says(village, "/consult 1")
    assert view["text"].startswith("🗳 Consultation 1 · round 1 · open until")
