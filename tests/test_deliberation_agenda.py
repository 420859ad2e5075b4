"""The monthly joint meeting (Nanhu): `/agenda` lists the open requests grid by grid, and the
minutes are recorded as a consultation's outcome, onto the public board."""

from __future__ import annotations

import aiohttp
import pytest

from tests import test_deliberation as loop
from tests.test_deliberation import Village, staff_press, staff_says
from tests.test_resident_requests import EAST_GATE_CHAT

standin, village = loop.standin, loop.village  # the same stand-in and village

MINUTES = "Agreed: the road is resurfaced in March; Wang Fang tells the households of building 1."


@pytest.mark.parametrize("village", ["en"], indirect=True)
async def test_the_agenda_lists_open_requests_and_the_minutes_reach_the_board(
    village: Village,
) -> None:
    agenda = await staff_says(village, "/agenda")
    lines = agenda["text"].split("\n")
    assert lines[0].startswith("📋 Agenda of the joint meeting, 20")
    assert "Grid 1: east gate: 4 open, 4 new this month" in lines
    assert lines[3].startswith("· 2026-000001, waiting 0 days: The road is full of potholes")
    assert len([line for line in lines if line.startswith("· ")]) == 3  # the oldest three

    # a resident in the chat cannot record the minutes
    lao = village.residents[0]
    village.standin.add_member(EAST_GATE_CHAT, lao.id)
    pressed = village.standin.press_button(lao, agenda, "dmn:" + lines[0][-7:])
    answers = await loop.eventually(lambda: village.standin.callback_answers(pressed))
    assert answers[0]["text"] == "Only this chat's staff can record the minutes."

    asked = await staff_press(village, agenda, "📝 Record the minutes")
    assert asked["text"] == (
        "📝 Wang Fang, write the minutes of the joint meeting in your next message: what was "
        "agreed, and who does what. They go onto the public board."
    )
    recorded = await staff_says(village, MINUTES)
    assert recorded["text"] == (
        "📝 The minutes are recorded as consultation 1, and are on the public board."
    )
    async with aiohttp.ClientSession() as http, http.get(f"{village.bot.web_url}/board") as page:
        board = await page.text()
    assert "Minutes of the joint meeting · Joint meeting, " in board
    assert MINUTES in board
    assert not village.standin.pending_messages(lao.id)
