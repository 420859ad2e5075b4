"""Memory: the bot process's RSS with 10,000 tickets stored and 1,000 report forms open.

Starts `python -m bot` as its own process (polling the Bot API stand-in, SQLite, forms in
memory), so /proc/<pid>/status holds only the bot. Measured at each step: for reference an
interpreter that only imported aiogram, the bare echo bot, the bot idle on an empty database and
the same with a routing whose grids have no areas (so shapely and numpy stay unloaded); then a
second process idle on a database with N tickets, with M residents midway through the report
form (their words sent, the category pressed: the form asks where), and after /open and /stats
in the staff group read those tickets. Then the same again in a process with tracemalloc on
(bench.traced, its RSS not counted): the 15 biggest live allocations by line once the forms
are open.

    .venv/bin/python -m bench.memory [tickets] [forms]
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import insert

from bench.report import load_average, machine, table
from bot.localapi import BotAPIStandin, Limits
from services.migrate import upgrade_to_head
from services.models import Ticket, utcnow
from services.routing_file import SAMPLE_PATH
from services.storage import Database
from tests.support.running import TOKEN, eventually
from tests.support.servers import free_port

TARGET_MB = 200.0
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STAFF_CHAT = -1001
WORDS = ("The drain at our gate is blocked", "Loud karaoke every night", "Rubbish by the bridge")
CATEGORIES = ("drainage", "noise", "waste")
STATUSES = ("new", "taken", "resolved", "closed")
# What the bot processes see of this environment; MALLOC_ARENA_MAX to try glibc's arenas.
PASSED_ON = {"PATH", "HOME", "LANG", "VIRTUAL_ENV", "MALLOC_ARENA_MAX"}


def status(pid: int) -> dict[str, str]:
    return dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())


def memory_mb(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM (peak RSS) of a process, in MB."""
    fields = status(pid)
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def aiogram_alone_mb() -> float:
    """RSS of an interpreter that has only imported aiogram: what every aiogram bot starts at."""
    code = (
        "import aiogram, re\n"
        "print(re.search(r'VmRSS:\\s+(\\d+)', open('/proc/self/status').read())[1])"
    )
    env = {k: v for k, v in os.environ.items() if k in PASSED_ON}
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return int(run.stdout) / 1024


def without_areas(folder: Path) -> Path:
    """The sample routing without its grids' areas (grids found by address words only)."""
    data = yaml.safe_load(SAMPLE_PATH.read_text())
    for community in data["communities"]:
        for grid in community["grids"]:
            grid.pop("area", None)
    path = folder / "routing-without-areas.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


async def store_tickets(url: str, count: int) -> None:
    """`count` tickets of the last year, as the bot itself stores them: those of the last
    fortnight in every state (about 4%), the older ones closed."""
    db = Database(url)
    await upgrade_to_head(db)
    now, rng = utcnow(), random.Random(6)
    rows = []
    for n in range(1, count + 1):
        kind = rng.randrange(len(WORDS))
        created = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
        recent = now - created < timedelta(days=14)
        status = rng.choice(STATUSES) if recent else "closed"
        rows.append(
            {
                "number": f"{created.year}-{n:06d}",
                "resident_id": 100_000 + rng.randrange(count),
                "resident_name": f"Resident {n}",
                "category": CATEGORIES[kind],
                "grid": "SJB-01",
                "staff_chat_id": STAFF_CHAT,
                "text": f"{WORDS[kind]} (report {n})",
                "latitude": 30.761 + rng.random() / 1000,
                "longitude": 120.754 + rng.random() / 1000,
                "photos": [],
                "status": status,
                "created_at": created,
                "updated_at": created,
                "first_response_at": created + timedelta(hours=1) if status != "new" else None,
                "resolved_at": created + timedelta(days=1) if status in STATUSES[2:] else None,
                "rating": rng.randint(1, 5) if status == "closed" else None,
            }
        )
    async with db.engine.begin() as connection:
        await connection.execute(insert(Ticket), rows)
    await db.close()


@contextlib.asynccontextmanager
async def bot_process(
    standin: BotAPIStandin, data: Path, module: str = "bot", **extra: str
) -> AsyncIterator[int]:
    """`python -m bot` (or bench.echo) on DATA_DIR `data`; yields its pid once it polls. Its log
    goes to `data`/bot.log, whose end is shown if it does not start."""
    env = {k: v for k, v in os.environ.items() if k in PASSED_ON}
    env |= extra
    env |= {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": standin.base_url,
        "DATA_DIR": str(data),
        "WEB_PORT": str(free_port()),
        "POLLING_TIMEOUT": "1",
        "STAFF_CHAT_ID": str(STAFF_CHAT),
        "THROTTLE_MESSAGES": "10000",
        "PYTHONPATH": ROOT,
    }
    before = len(standin.calls("getUpdates"))
    log = data / "bot.log"
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, env=env, stdout=output, stderr=output
        )
    try:
        try:  # traced, the start is many times slower (every import and schema traced)
            await eventually(lambda: len(standin.calls("getUpdates")) > before, within=900)
        except AssertionError:
            print(log.read_text()[-3000:], file=sys.stderr)
            raise
        await asyncio.sleep(2)  # let start-up jobs (relay, sender, reminders) settle
        yield process.pid
    finally:
        process.terminate()
        await process.wait()


async def say(standin: BotAPIStandin, count: int, first_id: int) -> list[Any]:
    """`count` people each send one of WORDS; returns the bot's first answer to each."""
    people = [standin.user(first_id + n, f"F{n}", language_code="en") for n in range(count)]
    for n, person in enumerate(people):
        standin.send_message(person, WORDS[n % len(WORDS)])
    return [(p, (await standin.wait_for_messages(p.id, timeout=300))[0]) for p in people]


async def open_forms(standin: BotAPIStandin, count: int, first_id: int = 200_000) -> None:
    """`count` residents say what is wrong and press the proposed category; the form then
    waits for where it is."""
    answered = await say(standin, count, first_id)
    people = [person for person, _question in answered]
    questions = [question for _person, question in answered]
    for person, question in zip(people, questions, strict=True):
        data = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        standin.press_button(person, question, data)
    for person in people:
        [where] = await standin.wait_for_messages(person.id, timeout=300)
        assert where["text"].startswith("Where is it?"), where["text"]


async def read_tickets(standin: BotAPIStandin) -> None:
    """A staff member asks for the open tickets and the statistics."""
    staff = standin.user(111_111, "Wang Fang", language_code="en")
    standin.add_member(STAFF_CHAT, staff.id)
    for command in ("/open", "/stats"):
        before = len(standin.messages(STAFF_CHAT))
        standin.send_command(staff, command, chat=STAFF_CHAT)
        await eventually(lambda b=before: len(standin.messages(STAFF_CHAT)) > b, within=120)


async def biggest_allocations(standin: BotAPIStandin, tickets: int, forms: int) -> list[str]:
    """The top allocations (bench.traced) with the tickets stored and the forms open."""
    with tempfile.TemporaryDirectory() as data:
        await store_tickets(f"sqlite+aiosqlite:///{Path(data) / 'linkage.sqlite3'}", tickets)
        out = Path(data) / "top.tsv"
        async with bot_process(standin, Path(data), "bench.traced", TRACE_OUT=str(out)) as pid:
            await open_forms(standin, forms, 400_000)
            os.kill(pid, signal.SIGUSR1)
            await eventually(out.exists, within=120)
            await asyncio.sleep(0.5)
            return out.read_text().splitlines()


async def measure(tickets: int, forms: int, load: str) -> list[str]:
    standin = BotAPIStandin(limits=Limits(flood_control=False))
    await standin.start()
    standin.group(STAFF_CHAT, title="Staff")
    rows = [["an interpreter that imported aiogram, nothing else (reference)"]]
    rows[0] += [f"{aiogram_alone_mb():.0f}", "", "1"]

    def row(step: str, pid: int) -> None:
        rss, peak = memory_mb(pid)
        rows.append([step, f"{rss:.0f}", f"{peak:.0f}", status(pid)["Threads"].strip()])

    try:
        with tempfile.TemporaryDirectory() as empty:
            async with bot_process(standin, Path(empty), "bench.echo") as pid:
                row("bare aiogram echo bot, idle (reference)", pid)
                await say(standin, forms, 300_000)
                row(f"bare aiogram echo bot after {forms:,} messages (reference)", pid)
            async with bot_process(standin, Path(empty)) as pid:
                row("Linkage idle, empty database (reference)", pid)
        with tempfile.TemporaryDirectory() as empty:
            plain = without_areas(Path(empty))
            async with bot_process(standin, Path(empty), ROUTING_FILE=str(plain)) as pid:
                row("the same with a routing without areas (no shapely, no numpy)", pid)
        with tempfile.TemporaryDirectory() as data:
            await store_tickets(f"sqlite+aiosqlite:///{Path(data) / 'linkage.sqlite3'}", tickets)
            async with bot_process(standin, Path(data)) as pid:
                row(f"Linkage idle, {tickets:,} tickets stored", pid)
                await open_forms(standin, forms)
                row(f"{tickets:,} tickets, {forms:,} report forms open", pid)
                await read_tickets(standin)
                row("the same after /open and /stats in the staff group", pid)
        print_rows(rows, load)
        top = await biggest_allocations(standin, tickets, forms)
    finally:
        await standin.stop()
    return top


def print_rows(rows: list[list[str]], load: str) -> None:
    """The RSS table and the verdict, printed before the (slow) traced run."""
    print(machine())
    print(f"MALLOC_ARENA_MAX={os.environ.get('MALLOC_ARENA_MAX', 'unset')}")
    print(f"load average before: {load}; after: {load_average()}")
    print()
    print(table(["process (SQLite, forms in memory)", "RSS MB", "peak MB", "threads"], rows))
    worst = max(float(r[2]) for r in rows[6:])
    verdict = "met" if worst < TARGET_MB else "not met"
    print(
        f"\nTarget: < {TARGET_MB:.0f} MB with the tickets and forms: {verdict} "
        f"(peak {worst:.0f} MB).",
        flush=True,
    )


def main() -> None:
    logging.disable(logging.WARNING)
    tickets = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    forms = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    load = load_average()
    top = asyncio.run(measure(tickets, forms, load))
    print(f"\nThe {len(top)} biggest live allocations (tracemalloc, by line), forms open:\n")
    site_packages = "site-packages/"
    top_rows = []
    for line in top:
        kib, count, where = line.split("\t")
        where = where.split(site_packages, 1)[-1].replace(ROOT + "/", "")
        top_rows.append([where, f"{int(kib):,}", f"{int(count):,}"])
    print(table(["where", "KiB", "blocks"], top_rows))


if __name__ == "__main__":
    main()
