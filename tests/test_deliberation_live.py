"""A consultation's message in the staff chat follows the votes: the message that said it was
opened becomes its live view (tally, opinions by pseudonym, buttons kept), edited in place —
at most once every 15 seconds, so a busy vote stays within a group's edit limits; what a burst
held back is shown by the next round. In English and Chinese (the `village` fixture)."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

from handlers.deliberation_live import LiveView
from services.models import utcnow
from tests.support.people import inline_buttons
from tests.support.running import eventually
from tests.test_deliberation import (  # noqa: F401  (fixtures)
    EAST_GATE_CHAT,
    Village,
    deadline_in,
    open_consultation,
    standin,
    village,
)
from tests.test_resident_requests import next_message

TALLIES = {
    "en": (
        "A. Asphalt — {a}\nB. Concrete — {b}\nC. Gravel for now — 0\n"
        "{chosen} of 4 invited have chosen."
    ),
    "zh": "A. 沥青 — {a}\nB. 水泥 — {b}\nC. 先铺碎石 — 0\n受邀的 4 人中已有 {chosen} 人作出选择。",
}


def now_of(server: Any, message: dict[str, Any]) -> dict[str, Any]:
    return next(
        m for m in server.messages(EAST_GATE_CHAT) if m["message_id"] == message["message_id"]
    )


async def test_the_staff_message_is_edited_in_place_as_votes_come(village: Village) -> None:  # noqa: F811
    server, w = village.standin, village.words
    language = "zh" if w["opened"].startswith("🗳 征询") else "en"
    lao, chen, zhou, _wu = village.residents
    deadline = deadline_in(3)
    await open_consultation(village, deadline)
    opened = next(m for m in server.messages(EAST_GATE_CHAT) if m.get("text") == w["opened"])
    buttons = inline_buttons(opened)
    ballots = {person.id: await next_message(server, person.id) for person in village.residents}
    live: LiveView = village.linkage.dispatcher.workflow_data["live_tally"]

    async def vote(person: Any, label: str) -> None:
        server.press_button(person, ballots[person.id], inline_buttons(ballots[person.id])[label])
        await next_message(server, person.id)

    await vote(lao, w["B"])  # within 15 s of the message going out: held back
    await vote(chen, w["A"])
    await asyncio.sleep(0.5)
    assert now_of(server, opened)["text"] == w["opened"]
    head = w["view_head"].split("\n\n")[0].format(deadline=f"{deadline:%Y-%m-%d %H:%M}")
    later = utcnow() + timedelta(seconds=16)
    assert await live.refresh(later) == 1  # the next round shows both
    shown = await eventually(lambda: now_of(server, opened)["text"] != w["opened"] or None)
    text = now_of(server, opened)["text"]
    assert shown and text.startswith(head + "\n\n" + TALLIES[language].format(a=1, b=1, chosen=2))
    assert inline_buttons(now_of(server, opened)) == buttons  # the staff's buttons stay
    assert len([m for m in server.messages(EAST_GATE_CHAT) if m.get("text") == text]) == 1

    await vote(zhou, w["A"])  # edited less than 15 s ago: held back again
    server.press_button(chen, ballots[chen.id], inline_buttons(ballots[chen.id])[w["opine"]])
    await next_message(server, chen.id)
    server.send_message(chen, w["opinion"])
    await next_message(server, chen.id)
    await asyncio.sleep(0.5)
    assert now_of(server, opened)["text"] == text
    assert await live.refresh(later + timedelta(seconds=5)) == 0  # still too soon
    assert await live.refresh(later + timedelta(seconds=16)) == 1
    await eventually(lambda: now_of(server, opened)["text"] != text or None)
    text = now_of(server, opened)["text"]
    assert text.startswith(head + "\n\n" + TALLIES[language].format(a=2, b=1, chosen=3))
    assert w["view_opinion"] in text and "Chen" not in text
    assert re.search(r"\d of 4", text) or "受邀的 4 人" in text
    assert await live.refresh(later + timedelta(seconds=60)) == 0  # nothing new: no edit
