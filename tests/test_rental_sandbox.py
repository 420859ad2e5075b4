"""Rental housing in the sandbox: the resident pane lets a flat, the tourist pane registers as
its tenant with the join code, the grid's staff pane inspects it: as a newcomer would try it."""

from __future__ import annotations

import re

import pytest

from bot.sandbox.runtime import Sandbox, SandboxConfig
from bot.sandbox.world import RESIDENT_ID, TOURIST_ID
from tests.support.people import inline_buttons
from tests.support.servers import free_port
from tests.test_resident_requests import next_message

GRID_1 = -1001000000011
pytestmark = pytest.mark.sandbox  # its own SQLite: not repeated in the PostgreSQL run


async def test_a_newcomer_tries_rental_housing_in_the_sandbox(tmp_path) -> None:
    config = SandboxConfig(
        port=free_port(), api_port=free_port(), web_port=free_port(), data_dir=tmp_path / "sb"
    )
    sandbox = Sandbox(config)
    await sandbox.start()
    try:
        standin = sandbox.standin
        for user in (RESIDENT_ID, TOURIST_ID):  # the greetings
            await next_message(standin, user)
        standin.send_message(RESIDENT_ID, "🏘 Rental housing")
        overview = await next_message(standin, RESIDENT_ID)
        standin.press_button(RESIDENT_ID, overview, inline_buttons(overview)["🏠 Register a house"])
        await next_message(standin, RESIDENT_ID)
        standin.send_message(RESIDENT_ID, "East gate, building 1, room 101")
        await standin.wait_for_messages(RESIDENT_ID, count=2)
        place = sandbox.world.places[0]  # the first sample grid, as the location button offers
        standin.send_location(RESIDENT_ID, place.latitude, place.longitude)
        for answer in ("1", "2", "13800138000", "⏭ Skip"):
            await next_message(standin, RESIDENT_ID)
            standin.send_message(RESIDENT_ID, answer)
        _nearly, summary = await standin.wait_for_messages(RESIDENT_ID, count=2)
        assert "Grid: Grid 1: east gate" in summary["text"]
        standin.press_button(RESIDENT_ID, summary, next(iter(inline_buttons(summary).values())))
        registered = (await next_message(standin, RESIDENT_ID))["text"]
        code = re.search(r"code is (R\w+)\.", registered)
        join = re.search(r"start=rent_([\w-]+)", registered)
        assert code and join, registered
        assert (await next_message(standin, GRID_1))["text"].startswith(
            f"🏠 New rental house {code.group(1)} on Grid 1: east gate"
        )

        standin.send_message(TOURIST_ID, "🏘 Rental housing")
        overview = await next_message(standin, TOURIST_ID)
        standin.press_button(
            TOURIST_ID, overview, inline_buttons(overview)["🔑 Join a house as a tenant"]
        )
        await next_message(standin, TOURIST_ID)
        standin.send_message(TOURIST_ID, join.group(1))
        assert (await next_message(standin, TOURIST_ID))["text"].startswith(
            f"Residence registration in rental house {code.group(1)}"
        )

        worker = sandbox.world.actors[GRID_1]  # the staff pane acts as the grid's worker
        standin.send_command(worker, "/inspect", code.group(1), chat=GRID_1)
        shown = await next_message(standin, GRID_1)
        assert shown["text"].endswith("➡️ 1/6 Fire extinguisher in date (critical)")
        assert list(inline_buttons(shown)) == ["✅ Pass", "❌ Fail"]
    finally:
        await sandbox.stop()
