"""Verification API: requests/s for a valid certificate token against a bare aiohttp endpoint.

Runs the real bot (SQLite, its web app with /api/v1/certificates/verify) and, in the same
process and event loop, a bare aiohttp app answering a fixed JSON body. The same load tool with
the same settings (wrk -t/-c/-d when installed, else bench.load's aiohttp generator in its own
process) runs against each in turn, alternating, for a real signed token. The ratio of the
medians is the figure. CPU is this process's CPU time (both servers and the bot live in it;
wrk does not) per request answered, beside the wall-clock rates.

    .venv/bin/python -m bench.verify [rounds] [connections] [seconds]
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

from aiohttp import web

from bench.load import LoadResult, run_load
from bench.report import load_average, machine, table
from bot.localapi import BotAPIStandin, Limits
from services.certificates import CertificateService, china_today
from services.identity import DocumentType
from services.keyring import KeyRing
from services.storage import Database
from tests.support.running import bot_settings, start_bot
from tests.support.servers import free_port

TARGET_RATIO = 0.20
THREADS = 1  # wrk's threads: the machine has two cores and the servers need one


async def bare_app() -> tuple[web.AppRunner, str]:
    """A bare aiohttp JSON endpoint of the same shape, on a free port."""

    async def verify(request: web.Request) -> web.Response:
        return web.json_response({"status": "valid", "token": request.query.get("token", "")})

    app = web.Application()
    app.router.add_get("/api/v1/certificates/verify", verify)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


CPU_MS: dict[str, list[float]] = {"bare aiohttp": [], "Linkage": []}


async def measure(rounds: int, connections: int, seconds: int) -> dict[str, list[LoadResult]]:
    standin = BotAPIStandin(limits=Limits(flood_control=False))
    await standin.start()
    results: dict[str, list[LoadResult]] = {"bare aiohttp": [], "Linkage": []}
    with tempfile.TemporaryDirectory() as data:
        # one load generator is one address: the per-address limit would measure only itself
        settings = bot_settings(standin, data_dir=Path(data), verify_rate_per_second=10**9)
        bot = await start_bot(standin, settings)
        db = Database(bot.settings.effective_database_url)
        keys = KeyRing.open(bot.settings.data_dir)
        issued = await CertificateService(db, keys, bot.web_url).issue(
            holder_name="戴美玲",
            document_type=DocumentType.PRC_ID,
            document_number="11010519491231002X",
            hotel_code="wuzhen-xizha",
            check_in=china_today() - timedelta(days=1),
            nights=3,
        )
        bare, bare_url = await bare_app()
        path = f"/api/v1/certificates/verify?token={issued.token}"
        urls = {"bare aiohttp": bare_url + path, "Linkage": bot.web_url + path}
        try:
            for _round in range(rounds):
                for name, url in urls.items():
                    cpu = time.process_time()
                    result = await run_load(url, THREADS, connections, seconds)
                    answered = max(1.0, result.requests_per_second * seconds)
                    CPU_MS[name].append((time.process_time() - cpu) * 1000 / answered)
                    results[name].append(result)
        finally:
            await bare.cleanup()
            await db.close()
            await bot.stop()
    await standin.stop()
    return results


def main() -> None:
    logging.disable(logging.INFO)
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    connections = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    load = load_average()
    results = asyncio.run(measure(rounds, connections, seconds))
    tool = results["Linkage"][0].tool
    print(machine())
    print(f"load average before: {load}; after: {load_average()}")
    print(
        f"load: {tool}, {THREADS} thread, {connections} connections, {seconds} s, {rounds} rounds"
    )
    print()
    rows = []
    medians = {}
    for name, runs in results.items():
        medians[name] = statistics.median(r.requests_per_second for r in runs)
        rows.append(
            [
                name,
                " / ".join(f"{r.requests_per_second:.0f}" for r in runs),
                f"{medians[name]:.0f}",
                f"{statistics.median(r.p50_ms or 0 for r in runs):.2f}",
                f"{statistics.median(r.p99_ms or 0 for r in runs):.2f}",
                sum(r.errors for r in runs),
                " / ".join(f"{ms:.3f}" for ms in CPU_MS[name]),
            ]
        )
    headers = ["endpoint", "req/s per round", "median req/s", "p50 ms", "p99 ms", "errors"]
    print(table([*headers, "CPU ms per request"], rows))
    ratio = medians["Linkage"] / medians["bare aiohttp"]
    verdict = "met" if ratio >= TARGET_RATIO else "not met"
    print(f"\nRatio Linkage / bare: {ratio:.1%}. Target ≥ {TARGET_RATIO:.0%}: {verdict}.")


if __name__ == "__main__":
    main()
