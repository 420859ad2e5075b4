"""`python -m bot` itself: the real entry point, as a deployment runs it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.localapi import BotAPIStandin
from bot.settings import SettingsError, load_settings
from tests.support.people import CHINESE_MENU, ENGLISH_MENU, inline_buttons, reply_keyboard
from tests.support.running import TOKEN, eventually, process_environment
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[1]


def test_a_missing_token_is_one_clear_line_and_exit_code_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        env=process_environment(DATA_DIR=str(tmp_path)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "linkage: BOT_TOKEN is not set: open Telegram, talk to @BotFather, send /newbot and put "
        "the token it gives you in BOT_TOKEN (environment or .env)."
    ]


def test_a_bad_setting_is_named(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        env=process_environment(BOT_TOKEN=TOKEN, WEB_PORT="eighty", DEFAULT_LOCALE="fr"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("linkage: ")
    assert "WEB_PORT is invalid" in line or "DEFAULT_LOCALE is invalid" in line
    assert "Traceback" not in result.stderr


async def test_the_bot_process_talks_serves_health_and_stops_cleanly(
    standin: BotAPIStandin, tmp_path: Path, database_url: str
) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=process_environment(
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=standin.base_url,
            DATA_DIR=str(tmp_path / "data"),
            DATABASE_URL=database_url,
            WEB_PORT=str(port),
            POLLING_TIMEOUT="1",
        ),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await eventually(lambda: standin.calls("getUpdates"), within=60)

        ann = standin.user(2001, "Ann", language_code="en")
        mei = standin.user(2002, "美玲", language_code="zh-hans")
        standin.send_command(ann, "/start")
        standin.send_command(mei, "/start")
        [hello] = await standin.wait_for_messages(ann.id)
        [nihao] = await standin.wait_for_messages(mei.id)
        assert hello["text"].startswith("Hello, Ann!")
        assert reply_keyboard(hello) == ENGLISH_MENU
        assert nihao["text"].startswith("美玲，您好！")
        assert reply_keyboard(nihao) == CHINESE_MENU

        standin.press_reply_button(ann, "🌐 Language")
        [question] = await standin.wait_for_messages(ann.id)
        standin.press_button(ann, question, inline_buttons(question)["中文"])
        [switched] = await standin.wait_for_messages(ann.id)
        assert switched["text"] == "从现在起我会用中文和您交流。"

        health_url = f"http://127.0.0.1:{port}/healthz"
        async with aiohttp.ClientSession() as http, http.get(health_url) as response:
            assert response.status == 200
            assert (await response.json())["database"] == "ok"

        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.stderr is not None
    log = (await process.stderr.read()).decode()
    assert "Traceback" not in log
    assert "stopped" in log


def test_rotate_keys_makes_a_new_signing_key_and_keeps_the_old(tmp_path: Path) -> None:
    def rotate() -> str:
        result = subprocess.run(
            [sys.executable, "-m", "bot", "rotate-keys"],
            env=process_environment(BOT_TOKEN=TOKEN, DATA_DIR=str(tmp_path)),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    first, second = rotate(), rotate()
    assert first.startswith("certificates are now signed with key ")
    assert first != second
    from services.keyring import KeyRing

    assert len(KeyRing.open(tmp_path).jwks()["keys"]) >= 2


def test_a_webhook_secret_telegram_would_refuse_is_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        env=process_environment(
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=f"http://127.0.0.1:{free_port()}",  # nothing there: fail, not hang
            WEBHOOK_URL="https://bot.example/telegram/webhook",
            WEBHOOK_SECRET="has spaces",
            DATA_DIR=str(tmp_path / "data"),
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [
        "linkage: WEBHOOK_SECRET is invalid: Telegram accepts only 1 to 256 of the characters "
        "A-Z, a-z, 0-9, _ and -, and it contains ' '."
    ]
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("secret", "what"),
    [
        ("x" * 257, "it is 257 characters long"),
        ("pässword", "it contains 'ä'"),
        ("  ", "it contains ' '"),
    ],
)
def test_a_webhook_secret_telegram_would_refuse_is_named(secret: str, what: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(_env_file=None, bot_token=TOKEN, webhook_secret=secret)
    assert str(refused.value) == (
        "WEBHOOK_SECRET is invalid: Telegram accepts only 1 to 256 of the characters "
        f"A-Z, a-z, 0-9, _ and -, and {what}."
    )


def test_a_blank_webhook_secret_is_unset() -> None:
    blank = load_settings(_env_file=None, bot_token=TOKEN, webhook_secret="")
    unset = load_settings(_env_file=None, bot_token=TOKEN)
    chosen = load_settings(_env_file=None, bot_token=TOKEN, webhook_secret="s3cret-Token_1")
    assert blank.webhook_secret is None
    assert blank.effective_webhook_secret == unset.effective_webhook_secret
    assert len(unset.effective_webhook_secret) == 64
    assert chosen.effective_webhook_secret == "s3cret-Token_1"


ARENAS_AFTER_THREADS = """
import sys, threading
from bot.__main__ import limit_malloc_arenas

def arenas() -> int:  # glibc maps a thread's arena at a 64 MB boundary
    starts = (line.split("-", 1)[0] for line in open("/proc/self/maps"))
    return sum(1 for start in starts if int(start, 16) % (64 << 20) == 0)

limited = limit_malloc_arenas(1) if sys.argv[1] == "limited" else False
before, held, ready = arenas(), [], threading.Barrier(5)

def work() -> None:
    held.append([bytes(20_000) for _ in range(50)])
    ready.wait()

threads = [threading.Thread(target=work) for _ in range(4)]
for thread in threads:
    thread.start()
ready.wait()
print(limited, arenas() - before)
"""


def test_the_bot_limits_the_malloc_arenas_its_threads_take() -> None:
    def run(mode: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", ARENAS_AFTER_THREADS, mode],
            capture_output=True,
            text=True,
            check=True,
            env={k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"},
        ).stdout.strip()

    assert run("limited") == "True 0"
    assert run("free") != "False 0"  # without the limit the threads took arenas of their own
