"""An auditor's search: after a tourist applied and a verifier decided, none of what identifies
the tourist is readable in the bot's database file, in Redis, or in the logs.

The database is a SQLite file of its own here in either run of the suite, since the search reads
the file's bytes (with its write-ahead log). Redis holds the forms and the delivery queue.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.localapi import BotAPIStandin
from tests.support.people import inline_buttons
from tests.test_resident_requests import next_message
from tests.test_tourist_certificates import (
    VERIFIERS,
    card_once_decided,
    fill_in_form,
    submit_application,
)

pytestmark = pytest.mark.redis

# What the tourist typed in submit_application, in the forms it may take when written down
PERSONAL = {
    "ID number": ["11010519491231002X"],
    "phone": ["+86 138 0013 8000", "8613800138000", "13800138000", "138 0013 8000"],
    "birth date": ["1949-12-31", "19491231", "1949/12/31"],
    "name": ["Dai Lingling"],
}


def found_in(data: bytes) -> list[str]:
    """Which personal data, in which form, the bytes hold (UTF-8, as SQLite and Redis keep it)."""
    return [
        f"{what}: {form}"
        for what, forms in PERSONAL.items()
        for form in forms
        if form.encode() in data
    ]


def database_files(path: Path) -> bytes:
    """The SQLite file with its write-ahead log and index, as they lie on disk."""
    return b"".join(
        candidate.read_bytes()
        for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm"))
        if candidate.exists()
    )


async def readable_in_redis(url: str) -> dict[str, list[str]]:
    """Each key whose value holds personal data, and what: read with DUMP (uncompressed) and,
    by the key's type, as plain contents."""
    redis = Redis.from_url(url)
    try:
        await redis.config_set("rdbcompression", "no")  # DUMP would compress long strings
        readable: dict[str, list[str]] = {}
        async for key in redis.scan_iter(count=1000):
            chunks = [key, await redis.dump(key) or b""]
            kind = (await redis.type(key)).decode()
            if kind == "string":
                chunks.append(await redis.get(key) or b"")
            elif kind == "hash":
                for field, value in (await redis.hgetall(key)).items():
                    chunks += [field, value]
            elif kind == "list":
                chunks += await redis.lrange(key, 0, -1)
            elif kind == "set":
                chunks += list(await redis.smembers(key))
            elif kind == "zset":
                chunks += await redis.zrange(key, 0, -1)
            elif kind == "stream":
                for _id, fields in await redis.xrange(key):
                    for field, value in fields.items():
                        chunks += [field, value]
            if found := found_in(b"\n".join(chunks)):
                readable[key.decode()] = found
        assert await redis.dbsize() > 0  # the search saw keys at all
        return readable
    finally:
        await redis.aclose()


async def test_nothing_that_identifies_a_tourist_is_readable_at_rest_or_in_logs(
    standin: BotAPIStandin,
    run_bot,
    redis_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, everything it says
    database = tmp_path / "audited.sqlite3"
    verifiers = standin.group(VERIFIERS, title="Verifiers")
    officer = standin.user(9001, "Officer Zhou", language_code="en")
    standin.add_member(verifiers.id, officer.id)
    dai = standin.user(4001, "Dai", language_code="en")
    bot = await run_bot(redis_url=redis_url, database_url=f"sqlite+aiosqlite:///{database}")

    await submit_application(standin, dai)
    card = await next_message(standin, verifiers.id)
    assert "11010519491231002X" in card["caption"]  # the verifiers saw it, until they decide
    standin.press_button(officer, card, inline_buttons(card)["✅ Approve"])
    await standin.wait_for_messages(dai.id, count=2, timeout=15)  # the certificate and its link
    decided = await card_once_decided(standin, card)
    assert found_in(decided["caption"].encode()) == []

    stored = database_files(database)
    assert b"wuzhen-xizha" in stored and b"C2026-000001" in stored  # the search sees the rows
    assert found_in(stored) == []
    assert await readable_in_redis(redis_url) == {}
    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in caplog.records
    )
    assert "wuzhen-xizha" in logged  # the database driver logs the rows it writes, at DEBUG
    assert found_in(logged.encode()) == []

    await bot.stop()  # what the files hold once the write-ahead log is folded in
    assert found_in(database_files(database)) == []


async def test_a_half_filled_form_in_redis_holds_nothing_readable(
    standin: BotAPIStandin, run_bot, redis_url: str
) -> None:
    """A dump of Redis may be taken at any moment: while a tourist is halfway through, too."""
    dai = standin.user(4001, "Dai", language_code="en")
    await run_bot(redis_url=redis_url)
    await fill_in_form(standin, dai, "11010519491231002X", "✅ I agree")
    await next_message(standin, dai.id)  # date of birth?
    standin.send_message(dai, "1949-12-31")
    await next_message(standin, dai.id)  # phone?
    standin.send_message(dai, "+86 138 0013 8000")
    await next_message(standin, dai.id)  # hotel?

    assert await readable_in_redis(redis_url) == {}
