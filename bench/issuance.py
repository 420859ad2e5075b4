"""Issuance: sign and store a certificate, then draw its card, p50 and p99, alone and while 50
other requests are being answered.

The real bot runs (SQLite, polling, its web app). Each issuance is what an approval does:
`CertificateService.issue` on the bot's database, then `render_card` in a worker thread
(`asyncio.to_thread`, as services/applications.py calls it), one at a time, in the bot's event
loop. Rounds alternate between a quiet loop and one kept busy by `wrk -c50` (bench.load's
generator without wrk): 50 verification API requests always in flight against the same web
app. The card's CPU time is measured in its thread; the load's answered requests/s is printed
beside it, so the issuance's gain is never the others' loss unseen.

    .venv/bin/python -m bench.issuance [issuances per round] [rounds] [connections]
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.load import LoadResult, run_load
from bench.report import load_average, machine, percentile, table
from bot.localapi import BotAPIStandin, Limits
from services.certificate_card import CertificateCard, find_cjk_font, render_card
from services.certificates import CertificateService, china_today
from services.identity import DocumentType
from services.keyring import KeyRing
from services.storage import Database
from tests.support.running import bot_settings, start_bot

HOTEL = {"zh": "西栅水岸客栈", "en": "Xizha Waterside Inn"}
TARGET_P99_MS = 100.0
QUIET, LOADED = "quiet", "50 requests in flight"


class Timings:
    def __init__(self) -> None:
        self.sign: list[float] = []
        self.card: list[float] = []
        self.total: list[float] = []
        self.card_cpu: list[float] = []
        self.load: list[LoadResult] = []


def _card_timed(card: CertificateCard, font: Path | None) -> tuple[bytes, float]:
    started = time.thread_time()
    png = render_card(card, font_path=font)
    return png, (time.thread_time() - started) * 1000


async def issue_one(service: CertificateService, font: Path | None, into: Timings) -> None:
    started = time.perf_counter()
    issued = await service.issue(
        holder_name="戴美玲",
        document_type=DocumentType.PRC_ID,
        document_number="11010519491231002X",
        hotel_code="wuzhen-xizha",
        check_in=china_today(),
        nights=2,
    )
    signed = time.perf_counter()
    card = CertificateCard.of(issued.certificate, issued.url, HOTEL)
    _png, cpu = await asyncio.to_thread(_card_timed, card, font)
    done = time.perf_counter()
    into.sign.append((signed - started) * 1000)
    into.card.append((done - signed) * 1000)
    into.total.append((done - started) * 1000)
    into.card_cpu.append(cpu)


async def measure(count: int, rounds: int, connections: int) -> dict[str, Timings]:
    standin = BotAPIStandin(limits=Limits(flood_control=False))
    await standin.start()
    timings = {QUIET: Timings(), LOADED: Timings()}
    font = find_cjk_font()
    with tempfile.TemporaryDirectory() as data:
        settings = bot_settings(standin, data_dir=Path(data), verify_rate_per_second=10**9)
        bot = await start_bot(standin, settings)
        db = Database(bot.settings.effective_database_url)
        service = CertificateService(db, KeyRing.open(bot.settings.data_dir), bot.web_url)
        try:
            for _warm in range(5):
                await issue_one(service, font, Timings())
            probe = await service.issue(
                holder_name="戴美玲",
                document_type=DocumentType.PRC_ID,
                document_number="11010519491231002X",
                hotel_code="wuzhen-xizha",
                check_in=china_today() - timedelta(days=1),
                nights=3,
            )
            url = f"{bot.web_url}/api/v1/certificates/verify?token={probe.token}"
            for _round in range(rounds):
                for _n in range(count):
                    await issue_one(service, font, timings[QUIET])
                # the load runs past the issuances: start them once it is up, stop before it ends
                seconds = max(5, int(count * 0.25) + 3)
                load = asyncio.create_task(run_load(url, 1, connections, seconds))
                await asyncio.sleep(1.0)
                for _n in range(count):
                    await issue_one(service, font, timings[LOADED])
                if load.done():
                    raise RuntimeError("the load ended before the issuances: raise its seconds")
                timings[LOADED].load.append(await load)
        finally:
            await db.close()
            await bot.stop()
    await standin.stop()
    return timings


def main() -> None:
    logging.disable(logging.INFO)
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    connections = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    load = load_average()
    timings = asyncio.run(measure(count, rounds, connections))
    print(f"{machine()}; font {find_cjk_font()}")
    print(f"load average before: {load}; after: {load_average()}")
    print(f"{rounds} rounds of {count} issuances, quiet and loaded alternating\n")
    rows = []
    for phase, t in timings.items():
        for part, values in (
            ("sign + store", t.sign),
            ("card (in a thread)", t.card),
            ("total", t.total),
            ("card CPU only", t.card_cpu),
        ):
            rows.append(
                [
                    phase,
                    part,
                    len(values),
                    f"{percentile(values, 0.5):.1f}",
                    f"{percentile(values, 0.99):.1f}",
                    f"{statistics.mean(values):.1f}",
                    f"{max(values):.1f}",
                ]
            )
    print(table(["loop", "part", "issuances", "p50 ms", "p99 ms", "mean ms", "max ms"], rows, 2))
    loads = timings[LOADED].load
    print(
        f"\nThe load ({loads[0].tool}, {connections} connections): "
        + " / ".join(f"{r.requests_per_second:.0f}" for r in loads)
        + " verification req/s answered meanwhile, p99 "
        + " / ".join(f"{r.p99_ms or 0:.0f}" for r in loads)
        + f" ms, {sum(r.errors for r in loads)} errors."
    )
    quiet, loaded = (percentile(timings[p].total, 0.99) for p in (QUIET, LOADED))
    verdict = "met" if loaded < TARGET_P99_MS else "not met"
    print(
        f"Target: total p99 < {TARGET_P99_MS:.0f} ms with {connections} requests in flight: "
        f"{verdict} ({loaded:.1f} ms; quiet {quiet:.1f} ms)."
    )


if __name__ == "__main__":
    main()
