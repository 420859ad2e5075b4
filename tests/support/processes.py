"""Real `python -m bot` processes, and a round-robin proxy in front of them (the load balancer)."""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.localapi import BotAPIStandin, Limits
from tests.support.running import TOKEN, process_environment
from tests.support.servers import free_port

# Telegram at many times its speed, so a hundred conversations take seconds, not minutes;
# the bot's limiter is scaled to stay under it (FLEET_SETTINGS).
FAST_TELEGRAM = Limits(
    private_burst=30,
    private_per_second=100.0,
    group_messages=20,
    group_window=0.6,
    global_messages=300,
    global_window=1.0,
    webhook_timeout=40.0,  # longer than a taken-over update waits for a dead process's lease
)
EAST_GATE_CHAT = -1001000000011  # grid 1's staff chat in the sample routing file
VERIFIERS = -1001  # STAFF_CHAT_ID and VERIFIER_CHAT_ID in the fleet's settings
FLEET_SETTINGS = {
    "FLOOD_TIME_SCALE": "0.02",  # 20 a group per 1.2 s, a private burst of 3 per 0.06 s
    "FLOOD_OVERALL_PER_SECOND": "5",  # per 0.02 s: 250 a second overall
    # an update a killed process held is taken over after this; longer than any handler takes
    # on a busy two-core machine with a hundred conversations at once
    "UPDATE_LEASE_SECONDS": "20",
    "SEND_TAKEOVER_SECONDS": "3",  # and its queued notifications after 3 s
}


class BotProcess:
    """One `python -m bot`: start, wait until /healthz answers, SIGTERM, kill -9, start again.

    Its log (stderr) is appended to one file across restarts, to read when a test fails.
    """

    def __init__(self, name: str, directory: Path, **settings: str) -> None:
        self.name = name
        self.directory = directory
        self.port = int(settings.setdefault("WEB_PORT", str(free_port())))
        self.env = process_environment(**settings)
        self.log_path = directory / f"{name}.log"
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                cwd=self.directory,
                env=self.env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )

    async def healthy(self, within: float = 60) -> None:
        """Wait until /healthz says 200; fail with the log's end if the process stopped."""
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            while time.monotonic() < deadline:
                if not self.running:
                    raise AssertionError(f"{self.name} stopped:\n{self.log()[-3000:]}")
                try:
                    async with http.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return
                except (aiohttp.ClientError, TimeoutError):
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"{self.name} not healthy within {within}s:\n{self.log()[-3000:]}")

    def kill(self) -> None:
        """kill -9: no shutdown, no flushing, whatever it was doing stops mid-way."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> int:
        """SIGTERM, as a deployment stops it; returns the exit code."""
        if self.process is None:
            return 0
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 40)
            except TimeoutError:
                self.process.kill()
        return await self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class RoundRobinProxy:
    """The load balancer: each webhook POST goes to the next process in turn.

    Like nginx's default, a process that refuses the connection is skipped; one that breaks
    off mid-request (killed) gets the caller a 502, and Telegram delivers the update again.
    Records which process answered each update.
    """

    def __init__(self, backends: list[str], path: str = "/telegram/webhook") -> None:
        self.backends = backends
        self.path = path
        self.port = free_port()
        self.routes: list[tuple[int, int, int]] = []  # (update id, person, backend) answered
        self.cut_off = 0  # updates whose process died while handling them
        self._turn = itertools.cycle(range(len(backends)))
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(self.path, self._forward)
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._http is not None
        body = await request.read()
        update = json.loads(body)
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-telegram")}
        headers["Content-Type"] = "application/json"
        for _ in self.backends:
            index = next(self._turn)
            try:
                async with self._http.post(
                    self.backends[index] + self.path, data=body, headers=headers
                ) as response:
                    answer = await response.read()
                    if response.status == 200:
                        self.routes.append((update["update_id"], _sender(update), index))
                    return web.Response(
                        status=response.status, body=answer, content_type=response.content_type
                    )
            except aiohttp.ClientConnectorError:
                continue  # not listening (down or starting): try the next one
            except (aiohttp.ClientError, TimeoutError):
                self.cut_off += 1
                return web.Response(status=502, text="backend broke off")
        return web.Response(status=502, text="no backend is up")


def _sender(update: dict[str, Any]) -> int:
    for kind in ("message", "callback_query"):
        if kind in update:
            return int(update[kind]["from"]["id"])
    return 0


@dataclass
class Fleet:
    proxy: RoundRobinProxy
    bots: list[BotProcess]

    def backends_of(self, person: int) -> list[int]:
        """Which process answered each of this person's updates, in order."""
        return [backend for _, sender, backend in self.proxy.routes if sender == person]


@asynccontextmanager
async def fleet(
    standin: BotAPIStandin,
    directory: Path,
    *,
    database_url: str,
    redis_url: str,
    count: int = 2,
    clean_logs: bool = True,
    **settings: str,
) -> AsyncIterator[Fleet]:
    """`count` bot processes on webhook behind the proxy, sharing PostgreSQL, Redis, DATA_DIR.

    On leaving, each is stopped with SIGTERM and must exit 0 (and, with `clean_logs`, must
    not have logged a traceback).
    """
    ports = [free_port() for _ in range(count)]
    proxy = RoundRobinProxy([f"http://127.0.0.1:{port}" for port in ports])
    await proxy.start()
    shared = {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": standin.base_url,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "WEBHOOK_URL": proxy.url,
        "STAFF_CHAT_ID": str(VERIFIERS),
        "VERIFIER_CHAT_ID": str(VERIFIERS),
        "DATA_DIR": str(directory / "data"),  # signing keys and the data key, made once
        **FLEET_SETTINGS,
        **settings,
    }
    bots = [
        BotProcess(f"bot{n}", directory, WEB_PORT=str(port), **shared)
        for n, port in enumerate(ports)
    ]
    try:
        # all at once, as a deployment starts them: one migrates while the others wait for
        # its lock, and one makes the keys in DATA_DIR (exclusive create) that all then read
        for bot in bots:
            await bot.start()
        await asyncio.gather(*(bot.healthy() for bot in bots))
        yield Fleet(proxy, bots)
        for bot in bots:
            assert await bot.stop() == 0, f"{bot.name} did not stop cleanly:\n{bot.log()[-3000:]}"
            if clean_logs:
                assert "Traceback" not in bot.log(), f"{bot.name} logged a traceback:\n{bot.log()}"
    finally:
        for bot in bots:
            if bot.running:
                bot.kill()
                await bot.stop()
        await proxy.stop()
