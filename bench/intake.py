"""Intake: updates per second one bot process answers, against a bare aiogram echo bot.

The real bot (SQLite, forms in memory) and a bare aiogram echo bot (bench.echo) each run in
this process against the same Bot API stand-in (flood control off), in webhook mode (the
stand-in POSTs each update to the bot, one at a time, as Telegram does per bot) and in polling
mode, alternating. Each gets a burst of N messages from N different people: residents starting
a report ("The drain at our gate is blocked": the real bot proposes a category and opens the
form) or /start. An update counts once its first answer reached the stand-in. CPU per update
is this process's CPU time over the burst (bot and stand-in together; the stand-in's share is
the same for both bots), less sensitive than the rate to other work on a shared machine.

    .venv/bin/python -m bench.intake [N] [rounds] [report|start] [webhook,polling]
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.echo import run_echo
from bench.report import load_average, machine, percentile, table
from bot.localapi import BotAPIStandin, Limits
from tests.support.running import TOKEN, bot_settings, eventually, start_bot
from tests.support.servers import free_port

TEXTS = {"report": "The drain at our gate is blocked", "start": "/start"}
TARGET_RATIO = 0.50
_people = itertools.count(10_000)


@dataclass
class Run:
    bot: str
    mode: str
    updates: int
    seconds: float
    cpu_seconds: float  # this process (bot and stand-in) during the burst
    waits: list[float]

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds


@contextlib.asynccontextmanager
async def linkage(standin: BotAPIStandin, webhook: bool, **overrides: Any) -> AsyncIterator[None]:
    with tempfile.TemporaryDirectory() as data:
        port = free_port()
        settings = bot_settings(
            standin,
            data_dir=Path(data),
            throttle_messages=100_000,
            web_port=port,
            webhook_url=f"http://127.0.0.1:{port}/telegram" if webhook else None,
            **overrides,
        )
        bot = await start_bot(standin, settings)
        try:
            yield
        finally:
            await bot.stop()


@contextlib.asynccontextmanager
async def echo(standin: BotAPIStandin, webhook: bool) -> AsyncIterator[None]:
    port = free_port()
    ready = "setWebhook" if webhook else "getUpdates"
    before = len(standin.calls(ready))
    stop = asyncio.Event()
    url = f"http://127.0.0.1:{port}/telegram" if webhook else None
    task = asyncio.create_task(run_echo(TOKEN, standin.base_url, stop, url, port))
    try:
        await eventually(lambda: len(standin.calls(ready)) > before or task.done(), within=20)
        yield
    finally:
        stop.set()
        await task


BOTS = {"Linkage": linkage, "bare aiogram echo": echo}


async def measure(bot: str, mode: str, people: int, text: str) -> Run:
    standin = BotAPIStandin(limits=Limits(flood_control=False))
    await standin.start()
    try:
        async with BOTS[bot](standin, webhook=mode == "webhook"):
            users = [
                standin.user(next(_people), f"P{n}", language_code="en") for n in range(people)
            ]
            sent_at: dict[int, float] = {}
            started, cpu = time.perf_counter(), time.process_time()
            for user in users:
                sent_at[user.id] = time.perf_counter()
                standin.send_message(user, text)
            waits = []
            for user in users:
                await standin.wait_for_messages(user.id, timeout=300)
                waits.append(time.perf_counter() - sent_at[user.id])
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await standin.stop()
    return Run(bot, mode, people, elapsed, cpu, waits)


def main() -> None:
    logging.disable(logging.WARNING)
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    kind = sys.argv[3] if len(sys.argv) > 3 else "report"
    modes = sys.argv[4].split(",") if len(sys.argv) > 4 else ["webhook", "polling"]
    load = load_average()
    runs = [
        asyncio.run(measure(bot, mode, people, TEXTS[kind]))
        for _round in range(rounds)
        for mode in modes
        for bot in BOTS
    ]
    print(machine())
    print(f"load average before: {load}; after: {load_average()}")
    print(f"one burst of {people} messages ({TEXTS[kind]!r}) from {people} people per run")
    print()
    rows = []
    for mode, bot in itertools.product(modes, BOTS):
        mine = [r for r in runs if r.mode == mode and r.bot == bot]
        waits = [w * 1000 for r in mine for w in r.waits]
        rows.append(
            [
                mode,
                bot,
                " / ".join(f"{r.per_second:.0f}" for r in mine),
                f"{statistics.median(r.per_second for r in mine):.0f}",
                f"{percentile(waits, 0.5):.0f}",
                f"{percentile(waits, 0.99):.0f}",
                f"{statistics.median(r.cpu_seconds / r.updates for r in mine) * 1000:.1f}",
            ]
        )
    headers = ["mode", "bot", "updates/s per round", "median updates/s", "p50 wait ms"]
    print(table([*headers, "p99 wait ms", "CPU ms per update"], rows, left=2))
    print()
    for mode in modes:
        ratio = float(rows[modes.index(mode) * 2][3]) / float(rows[modes.index(mode) * 2 + 1][3])
        verdict = "met" if ratio >= TARGET_RATIO else "not met"
        print(f"{mode}: Linkage / echo = {ratio:.0%}; target ≥ {TARGET_RATIO:.0%}: {verdict}.")


if __name__ == "__main__":
    main()
