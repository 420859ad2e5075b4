"""Relay: a staff reply relayed to the resident, and the resident's follow-up relayed to the staff
chat, in updates per second and CPU per update, against the bare aiogram echo bot (bench.echo).

Each round, for the real bot (SQLite, forms in memory, polling): N residents file a report each
through the form (not measured), so N tickets are open and their cards are in the staff chat.
Then, measured, (1) "staff reply": a worker replies to each card in the staff chat, N messages;
the phase ends when every resident has the relayed words and the staff chat has all N "Sent to
the resident" confirmations; (2) "follow-up": each resident replies to that relayed message, N
messages; the phase ends when every resident has the acknowledgement and the staff chat has all
N relayed follow-ups. (Before 2026-12-02 afternoon phase 1 did not wait for the confirmations,
and phase 2 counted them as the staff chat's N messages: it measured the acknowledgements and
only part of the relays.) The echo
bot gets the same N group messages, then the same N private replies, and answers each. Rounds
alternate between the two bots; CPU is this process's (bot and stand-in together).

    .venv/bin/python -m bench.relay [N] [rounds]
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bench.intake import echo, linkage
from bench.report import load_average, machine, table
from bot.localapi import BotAPIStandin, Limits
from bot.localapi.server import FakeUser

STAFF_CHAT = -1001000000011  # grid 1 (east gate) of the sample routing, as in the tests
WORKER = 111111  # one of grid 1's workers in the sample routing
TARGET_RATIO = 0.60
INSIDE_EAST_GATE = (30.7610, 120.7550)  # tests/test_resident_requests.py
REPLY = "We have asked the depot to use the south road."
FOLLOW_UP = "Much quieter now, thank you!"
# The stand-in's flood control is off, so is the sender's own pacing (Telegram's 30 a second, 20 a
# minute in a group): what is measured is the bot's work, not the limits it keeps.
NO_FLOOD_LIMITS = {
    "flood_overall_per_second": 1_000_000,
    "flood_group_per_minute": 1_000_000,
    "flood_private_burst": 1_000_000,
}
_people = itertools.count(50_000)


@dataclass
class Phase:
    bot: str
    phase: str
    updates: int
    seconds: float
    cpu_seconds: float

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds / self.updates * 1000


async def timed(bot: str, phase: str, updates: int, burst: Callable[[], Awaitable[None]]) -> Phase:
    started, cpu = time.perf_counter(), time.process_time()
    await burst()
    return Phase(bot, phase, updates, time.perf_counter() - started, time.process_time() - cpu)


async def next_message(standin: BotAPIStandin, chat: int) -> dict[str, Any]:
    return (await standin.wait_for_messages(chat, timeout=120))[0]


async def file_report(standin: BotAPIStandin, resident: FakeUser, n: int) -> None:
    """The report form, as tests/test_resident_requests.py walks it (a location, no photo);
    a neighbour's open request nearby is offered first: each says theirs is different."""
    standin.send_message(resident, f"Lamp number {n} on lane {n * 7} has been dark for {n} days")
    question = await next_message(standin, resident.id)
    first_kind = next(iter(b["callback_data"] for row in keyboard(question) for b in row))
    standin.press_button(resident, question, first_kind)
    await next_message(standin, resident.id)
    standin.send_location(resident, *INSIDE_EAST_GATE)
    await next_message(standin, resident.id)
    standin.press_reply_button(resident, "⏭ Skip")
    submit = None
    while submit is None:  # the summary, after a word about the photos
        summary = await next_message(standin, resident.id)
        buttons = [b for row in keyboard(summary) for b in row if "Submit" in b["text"]]
        submit = buttons[0]["callback_data"] if buttons else None
    standin.press_button(resident, summary, submit)
    answer = await next_message(standin, resident.id)
    if any(b["callback_data"] == "dup:0" for row in keyboard(answer) for b in row):
        standin.press_button(resident, answer, "dup:0")  # "No, mine is different"
        await next_message(standin, resident.id)


def keyboard(message: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return message.get("reply_markup", {}).get("inline_keyboard", [])


async def relay_linkage(people: int) -> list[Phase]:
    standin = BotAPIStandin(limits=Limits(flood_control=False))
    await standin.start()
    try:
        standin.group(STAFF_CHAT, title="Staff")
        worker = standin.user(WORKER, "Wang Fang")
        standin.add_member(STAFF_CHAT, worker.id)
        async with linkage(standin, webhook=False, **NO_FLOOD_LIMITS):
            residents = [standin.user(next(_people), f"R{n}") for n in range(people)]
            await asyncio.gather(
                *(file_report(standin, r, n) for n, r in enumerate(residents, start=1))
            )
            cards: list[dict[str, Any]] = []
            while len(cards) < people:  # each card, followed by the place as a location
                card = await next_message(standin, STAFF_CHAT)
                if card.get("text", "").startswith("🆕"):
                    cards.append(card)
            await asyncio.sleep(1)  # the locations still on their way
            standin.pending_messages(STAFF_CHAT)
            relayed: dict[int, dict[str, Any]] = {}

            async def staff_replies() -> None:
                for card in cards:
                    standin.send_message(worker, REPLY, chat=STAFF_CHAT, reply_to=card)
                for resident in residents:
                    relayed[resident.id] = await next_message(standin, resident.id)
                await standin.wait_for_messages(STAFF_CHAT, count=people, timeout=120)

            async def follow_ups() -> None:
                for resident in residents:
                    standin.send_message(resident, FOLLOW_UP, reply_to=relayed[resident.id])
                for resident in residents:
                    await next_message(standin, resident.id)  # "Added to request …"
                relays = await standin.wait_for_messages(STAFF_CHAT, count=people, timeout=120)
                assert all(m["text"].endswith(FOLLOW_UP) for m in relays), relays

            first = await timed("Linkage", "staff reply", people, staff_replies)
            assert all(m["text"].endswith(REPLY) for m in relayed.values()), relayed
            second = await timed("Linkage", "follow-up", people, follow_ups)
            return [first, second]
    finally:
        await standin.stop()


async def relay_echo(people: int) -> list[Phase]:
    standin = BotAPIStandin(limits=Limits(flood_control=False))
    await standin.start()
    try:
        standin.group(STAFF_CHAT, title="Staff")
        worker = standin.user(WORKER, "Wang Fang")
        standin.add_member(STAFF_CHAT, worker.id)
        async with echo(standin, webhook=False):
            residents = [standin.user(next(_people), f"R{n}") for n in range(people)]

            async def staff_replies() -> None:
                for _resident in residents:
                    standin.send_message(worker, REPLY, chat=STAFF_CHAT)
                await standin.wait_for_messages(STAFF_CHAT, count=people, timeout=120)

            async def follow_ups() -> None:
                for resident in residents:
                    standin.send_message(resident, FOLLOW_UP)
                for resident in residents:
                    await next_message(standin, resident.id)

            first = await timed("bare aiogram echo", "staff reply", people, staff_replies)
            second = await timed("bare aiogram echo", "follow-up", people, follow_ups)
            return [first, second]
    finally:
        await standin.stop()


def main() -> None:
    logging.disable(logging.WARNING)
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    load = load_average()
    runs: list[Phase] = []
    for _round in range(rounds):
        runs += asyncio.run(relay_linkage(people))
        runs += asyncio.run(relay_echo(people))
    print(machine())
    print(f"load average before: {load}; after: {load_average()}")
    print(f"{people} staff replies, then {people} follow-ups, per run; polling")
    print()
    rows, medians = [], {}
    for phase, bot in itertools.product(
        ("staff reply", "follow-up"), ("Linkage", "bare aiogram echo")
    ):
        mine = [r for r in runs if r.phase == phase and r.bot == bot]
        medians[phase, bot] = statistics.median(r.per_second for r in mine)
        rows.append(
            [
                phase,
                bot,
                " / ".join(f"{r.per_second:.0f}" for r in mine),
                f"{medians[phase, bot]:.0f}",
                " / ".join(f"{r.cpu_ms:.1f}" for r in mine),
                f"{statistics.median(r.cpu_ms for r in mine):.1f}",
            ]
        )
    headers = ["relay", "bot", "updates/s per round", "median updates/s", "CPU ms per update"]
    print(table([*headers, "median CPU ms"], rows, left=2))
    print()
    for phase in ("staff reply", "follow-up"):
        ratio = medians[phase, "Linkage"] / medians[phase, "bare aiogram echo"]
        verdict = "met" if ratio >= TARGET_RATIO else "not met"
        print(f"{phase}: Linkage / echo = {ratio:.0%}; target ≥ {TARGET_RATIO:.0%}: {verdict}.")


if __name__ == "__main__":
    main()
