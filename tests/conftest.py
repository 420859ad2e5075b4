"""Shared fixtures: the Bot API stand-in, real redis-server and PostgreSQL, the bot on them.

The suite runs on SQLite unless LINKAGE_TEST_DATABASE=postgresql, which the test command sets for
its second run: then every test's database is a fresh one on a real PostgreSQL server.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bot.localapi import BotAPIStandin, Limits
from services.migrate import upgrade_to_head
from services.storage import Database
from tests.support.processes import EAST_GATE_CHAT, FAST_TELEGRAM, VERIFIERS
from tests.support.running import RunningBot, bot_settings, start_bot
from tests.support.servers import PostgresServer, RedisServer


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    if redis_server.process is None:  # a test stopped it
        redis_server.start()
    redis_server.flush()
    return redis_server.url


ON_POSTGRES = os.environ.get("LINKAGE_TEST_DATABASE", "sqlite") == "postgresql"


def pytest_configure(config: pytest.Config) -> None:
    """A terminated run (timeout, a cancelled CI job) tears down like Ctrl-C: servers removed."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One cluster for the session; a failure to start is an error in CI, never a skip."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()


async def _migrated(url: str) -> str:
    db = Database(url)
    try:
        await upgrade_to_head(db)
    finally:
        await db.close()
    return url


@pytest.fixture(scope="session")
def migrated_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A database brought to the newest schema once per run, for the tests' copies.

    Migrating from empty is tests/test_migrations.py's work; here it would only cost time.
    """
    if ON_POSTGRES:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        return asyncio.run(_migrated(asyncio.run(server.create_database())))
    path = tmp_path_factory.mktemp("migrated") / "linkage.sqlite3"
    return asyncio.run(_migrated(f"sqlite+aiosqlite:///{path}"))


@pytest.fixture
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_database: str
) -> str:
    """This test's own database at the newest schema: SQLite in tmp_path, or on PostgreSQL."""
    migrated = make_url(migrated_database).database
    assert migrated is not None
    if ON_POSTGRES:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        return await server.create_database(template=migrated)
    shutil.copyfile(migrated, tmp_path / "linkage.sqlite3")
    return f"sqlite+aiosqlite:///{tmp_path / 'linkage.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
async def each_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind, whichever the run: for what must hold on both."""
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        return await server.create_database()
    return f"sqlite+aiosqlite:///{tmp_path / 'linkage.sqlite3'}"


@pytest.fixture
async def standin() -> AsyncIterator[BotAPIStandin]:
    server = BotAPIStandin(limits=Limits(private_burst=30))  # conversations come in bursts
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def fast_standin() -> AsyncIterator[BotAPIStandin]:
    """Telegram many times faster, for bot processes with scaled limits (FLEET_SETTINGS)."""
    server = BotAPIStandin(limits=FAST_TELEGRAM)
    await server.start()
    server.group(EAST_GATE_CHAT, title="Grid 1 staff")
    server.group(VERIFIERS, title="Verifiers")
    yield server
    await server.stop()


@pytest.fixture
async def run_bot(
    standin: BotAPIStandin, tmp_path: Path, database_url: str
) -> AsyncIterator[Callable[..., Awaitable[RunningBot]]]:
    """Start the bot (settings overridable); every bot started is stopped after the test."""
    running: list[RunningBot] = []

    async def run(**overrides: Any) -> RunningBot:
        overrides.setdefault("data_dir", tmp_path / "data")
        overrides.setdefault("database_url", database_url)
        bot = await start_bot(standin, bot_settings(standin, **overrides))
        running.append(bot)
        return bot

    yield run
    for bot in running:
        if not bot.task.done():
            await bot.stop()
    refused = [
        f"{call.method}: {call.description}"
        for call in standin.calls()
        if call.error_code in (400, 404)
    ]
    assert not refused, f"the bot made calls Telegram would refuse: {refused}"
