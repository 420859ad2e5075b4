"""In the sandbox a newcomer can try deliberation: the staff pane opens a consultation in grid 1's
chat, and the resident pane (Lao Shen, who reported a problem there) receives it and votes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.runtime import Sandbox, SandboxConfig
from bot.sandbox.world import RESIDENT_ID, inside_point
from tests.support.people import inline_buttons
from tests.support.servers import free_port
from tests.support.walks import Walker, report_problem, starts

pytestmark = pytest.mark.sandbox  # always SQLite, as the sandbox is
GRID_1 = -1001000000011


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    config = SandboxConfig(
        port=free_port(), api_port=free_port(), web_port=free_port(), data_dir=tmp_path / "sb"
    )
    running = Sandbox(config)
    await running.start()
    yield running
    await running.stop()


async def said_in_grid(sandbox: Sandbox, act: Any) -> dict[str, Any]:
    """Do `act`, then the bot's next text in grid 1's chat (past any without text)."""
    act()
    while True:
        [message] = await sandbox.standin.wait_for_messages(GRID_1, timeout=10)
        if message.get("text"):
            return message


async def test_the_staff_pane_consults_and_the_resident_pane_votes(sandbox: Sandbox) -> None:
    standin = sandbox.standin
    resident = Walker(standin, standin.state.users[RESIDENT_ID])
    place = inside_point(sandbox.routing, sandbox.routing.grid("SJB-01"))
    assert place is not None
    await report_problem(resident, "The drain at the east gate is blocked", place)
    await standin.wait_for_messages(GRID_1, timeout=10)  # the request's card
    staff = standin.state.users[sandbox.actor("staff", GRID_1)]

    def says(text: str) -> Any:
        command, _, args = text.partition(" ")
        if text.startswith("/"):
            return lambda: standin.send_command(staff, command, args or None, chat=GRID_1)
        return lambda: standin.send_message(staff, text, chat=GRID_1)

    def presses(message: dict[str, Any], label: str) -> Any:
        return lambda: standin.press_button(staff, message, inline_buttons(message)[label])

    await said_in_grid(sandbox, says("/consult"))
    await said_in_grid(sandbox, says("Should the drains be cleared weekly?"))
    await said_in_grid(sandbox, says("-"))
    grids = await said_in_grid(sandbox, says("Yes, weekly\nNo, monthly"))
    presses(grids, "⬜ Grid 1: east gate")()
    await said_in_grid(sandbox, presses(grids, "✅ Done"))
    await said_in_grid(sandbox, says("-"))
    tally = await said_in_grid(sandbox, says("2099-01-01 12:00"))
    summary = await said_in_grid(sandbox, presses(tally, "👁 While voting"))
    opened = await said_in_grid(sandbox, presses(summary, "📨 Open and invite"))
    assert opened["text"].startswith("🗳 Consultation 1 is open: 1 residents invited.")

    ballot = await resident.step(lambda: None, starts("🗳 Consultation: Should the drains"))
    receipt = await resident.step(
        resident.press(ballot, "A. Yes, weekly"), starts("✅ Your choice: A, recorded at ")
    )
    assert receipt["text"].endswith(
        "A. Yes, weekly — 1\nB. No, monthly — 0\n1 of 1 invited have chosen."
    )
