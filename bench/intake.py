"""Intake: how many /start conversations per second one bot process answers.

Runs the real bot (polling, SQLite, in-process FSM) against the Bot API stand-in with flood
control off, injects N /start updates from N different people, and prints a table.

    .venv/bin/python -m bench.intake [N]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.localapi import BotAPIStandin, Limits
from tests.support.running import bot_settings, start_bot


async def measure(people: int) -> dict[str, float]:
    standin = BotAPIStandin(limits=Limits(flood_control=False))
    await standin.start()
    with tempfile.TemporaryDirectory() as data:
        bot = await start_bot(
            standin,
            bot_settings(standin, data_dir=Path(data), throttle_messages=10_000),
        )
        users = [standin.user(10_000 + n, f"P{n}", language_code="en") for n in range(people)]
        sent_at: dict[int, float] = {}
        started = time.perf_counter()
        for user in users:
            sent_at[user.id] = time.perf_counter()
            standin.send_command(user, "/start")
        latencies = []
        for user in users:
            await standin.wait_for_messages(user.id, timeout=120)
            latencies.append(time.perf_counter() - sent_at[user.id])
        elapsed = time.perf_counter() - started
        await bot.stop()
    await standin.stop()
    latencies.sort()
    return {
        "updates": people,
        "seconds": elapsed,
        "per_second": people / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def main() -> None:
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    result = asyncio.run(measure(people))
    print("| updates (one burst) | seconds | answered/s | p50 wait ms | p99 wait ms |")
    print("|---:|---:|---:|---:|---:|")
    print(
        f"| {result['updates']} | {result['seconds']:.2f} | {result['per_second']:.0f} "
        f"| {result['p50_ms']:.0f} | {result['p99_ms']:.0f} |"
    )


if __name__ == "__main__":
    main()
