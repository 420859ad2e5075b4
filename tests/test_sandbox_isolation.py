"""The sandbox stays a sandbox: the real bot's settings, data and other web pages cannot reach it.

Someone tries the sandbox on the server where the real bot runs: DATABASE_URL, REDIS_URL,
DATA_KEY, WEBHOOK_URL… are set and a .env sits in the folder. The sandbox must use none of them
and leave the real database byte for byte as it was. A web page on another site must not be able
to act in the sandbox through the person's browser, and the sandbox must not wipe a folder it did
not make. The sandbox runs as `python -m bot sandbox`, a subprocess, as a person starts it.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from bot.sandbox.world import RESIDENT_ID
from tests.support.running import TOKEN, process_environment
from tests.support.servers import free_port

WAIT = 30.0  # seconds; the bot answers in well under one, shared machines are slow

# Always SQLite, like the browser tests: the PostgreSQL run leaves these to the SQLite run.
pytestmark = pytest.mark.sandbox


@dataclass(frozen=True)
class Production:
    """The real bot's folder on the machine where someone tries the sandbox."""

    folder: Path  # the current directory, with a .env
    database: Path  # the real SQLite database: DATABASE_URL points here
    database_bytes: bytes

    def tables(self) -> list[str]:
        with sqlite3.connect(self.database) as connection:
            rows = connection.execute("SELECT name FROM sqlite_master ORDER BY name").fetchall()
        return [name for (name,) in rows]


@dataclass(frozen=True)
class Running:
    origin: str  # where the page is: http://127.0.0.1:port
    api_url: str  # its Bot API server (the bot's Telegram)
    production: Production
    process: subprocess.Popen[bytes]
    log: Path


def real_bots_folder(folder: Path) -> Production:
    data = folder / "data"
    data.mkdir()
    database = data / "linkage.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE residents_of_the_real_office (id INTEGER, name TEXT)")
        connection.execute("INSERT INTO residents_of_the_real_office VALUES (1, 'Lao Shen')")
    connection.close()
    (folder / ".env").write_text(
        f"DATABASE_URL=sqlite+aiosqlite:///{database}\n"
        "ROUTING_FILE=/nowhere/routing.yaml\n"
        "WEB_PORT=eighty\n"
    )
    return Production(folder, database, database.read_bytes())


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    production = real_bots_folder(tmp_path_factory.mktemp("real-bot"))
    environment = process_environment(
        BOT_TOKEN=TOKEN,
        DATA_DIR=str(production.folder / "data"),
        DATABASE_URL=f"sqlite+aiosqlite:///{production.database}",
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        DATA_KEY=Fernet.generate_key().decode(),
        WEBHOOK_URL="https://bot.example/telegram/webhook",
        STAFF_CHAT_ID="-100777",
        ADMIN_IDS="666",
    )
    port, api_port = free_port(), free_port()
    command = [sys.executable, "-m", "bot", "sandbox", "--port", str(port)]
    command += ["--api-port", str(api_port), "--web-port", str(free_port())]
    log = production.folder / "sandbox.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=production.folder, env=environment, stdout=output, stderr=output
        )
    deadline = time.monotonic() + 90
    while "Linkage sandbox: open" not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the sandbox did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    origin, api_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{api_port}"
    yield Running(origin, api_url, production, process, log)
    process.terminate()
    assert process.wait(30) == 0, log.read_text()[-3000:]


def request(
    sandbox: Running, path: str, body: dict[str, Any] | None = None, **headers: str
) -> tuple[int, str]:
    """GET (no body) or POST JSON to the sandbox page's server; (status, text)."""
    data = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **headers} if data is not None else headers
    call = urllib.request.Request(f"{sandbox.origin}{path}", data=data, headers=sent)
    try:
        with urllib.request.urlopen(call, timeout=WAIT) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def state(sandbox: Running) -> dict[str, Any]:
    status, text = request(sandbox, "/sandbox/api/state")
    assert status == 200, text
    return dict(json.loads(text))


def resident_texts(sandbox: Running) -> list[str]:
    [chat] = state(sandbox)["panes"]["resident"]["chats"]
    return [message.get("text", "") for message in chat["messages"]]


def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {WAIT}s: {what}")
        time.sleep(0.1)


def resident_says(text: str) -> dict[str, Any]:
    return {"pane": "resident", "chat": RESIDENT_ID, "text": text}


def test_the_sandbox_ignores_the_real_bots_settings_and_leaves_its_database_alone(
    sandbox: Running,
) -> None:
    until(lambda: "Hello, Lao Shen!" in "\n".join(resident_texts(sandbox)), "the greeting")
    status, text = request(
        sandbox,
        "/sandbox/api/send",
        resident_says("The street light is out"),
        Origin=sandbox.origin,
    )
    assert (status, text) == (200, '{"ok": true}')
    until(lambda: "Street lighting" in "\n".join(resident_texts(sandbox)), "the bot's answer")

    production = sandbox.production
    assert production.database.read_bytes() == production.database_bytes
    assert production.tables() == ["residents_of_the_real_office"]
    assert sorted(p.name for p in (production.folder / "data").iterdir()) == [
        "linkage.sqlite3",
        "sandbox",  # the sandbox's own folder, its default ./data/sandbox
    ]
    own = production.folder / "data" / "sandbox"
    assert (own / ".linkage-sandbox").is_file()
    with sqlite3.connect(own / "linkage.sqlite3") as connection:
        assert connection.execute("SELECT count(*) FROM ticket").fetchone() == (0,)
    connection.close()
    methods = {call["method"] for call in state(sandbox)["calls"]}
    assert "setWebhook" not in methods  # WEBHOOK_URL did not reach it either


def test_another_site_cannot_act_in_the_sandbox(sandbox: Running) -> None:
    until(lambda: "Hello, Lao Shen!" in "\n".join(resident_texts(sandbox)), "the greeting")
    before, generation = resident_texts(sandbox), state(sandbox)["generation"]
    evil = "http://evil.example"
    forged = resident_says("Forged by another site")
    rebound = sandbox.origin.replace("127.0.0.1", "evil.example")  # DNS rebinding: same port
    attempts: list[tuple[str, dict[str, Any], dict[str, str]]] = [
        ("/sandbox/api/send", forged, {"Origin": evil}),
        ("/sandbox/api/send", forged, {}),  # no Origin: not the page (browsers always send it)
        ("/sandbox/api/send", forged, {"Origin": "null"}),  # a sandboxed frame, a data: URL
        ("/sandbox/api/send", forged, {"Origin": f"{sandbox.origin}.evil.example"}),
        ("/sandbox/api/send", forged, {"Origin": rebound, "Host": rebound.split("//")[1]}),
        ("/sandbox/api/reset", {}, {"Origin": evil}),
        ("/sandbox/api/language", {"pane": "resident", "locale": "zh"}, {"Origin": evil}),
        ("/sandbox/api/sample-photo", {"pane": "resident", "chat": RESIDENT_ID}, {"Origin": evil}),
    ]
    for path, body, headers in attempts:
        status, text = request(sandbox, path, body, **headers)
        assert status == 403, (path, headers, status, text)
        assert text.startswith("refused: "), text

    time.sleep(1.0)  # what a forged request set going would have shown by now
    after = state(sandbox)
    assert after["generation"] == generation
    assert after["panes"]["resident"]["locale"] == "en"
    assert resident_texts(sandbox) == before

    with urllib.request.urlopen(f"{sandbox.origin}/sandbox", timeout=WAIT) as page:
        policy = page.headers["Content-Security-Policy"]  # nothing from elsewhere, no framing
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy

    local = sandbox.origin.replace("127.0.0.1", "localhost")  # the page opened as localhost
    status, _ = request(
        sandbox,
        "/sandbox/api/send",
        resident_says("/help"),
        Origin=local,
        Host=local.split("//")[1],
    )
    assert status == 200


def bot_api(
    sandbox: Running, token: str, method: str, form: dict[str, str] | None = None, **headers: str
) -> tuple[int, dict[str, Any]]:
    """Call the sandbox's Bot API as a browser form would (form-encoded POST, or GET)."""
    data = None if form is None else urllib.parse.urlencode(form).encode()
    call = urllib.request.Request(f"{sandbox.api_url}/bot{token}/{method}", data, headers)
    try:
        with urllib.request.urlopen(call, timeout=WAIT) as response:
            return response.status, dict(json.loads(response.read()))
    except urllib.error.HTTPError as error:
        return error.code, dict(json.loads(error.read()))


def test_another_site_cannot_steer_the_sandboxs_telegram(sandbox: Running) -> None:
    """A page that POSTs a form (or loads an image) at the sandbox's Bot API, with the token
    the sandbox once had or any other, cannot point its updates at a webhook of its own."""
    steal = {"url": "https://evil.example/read-along"}
    for token in ("123456789:SandboxTokenForLinkageTryIt", "1:AnyTokenAtAll_123"):
        status, answer = bot_api(sandbox, token, "setWebhook", steal, Origin="http://evil.example")
        assert (status, answer["description"]) == (401, "Unauthorized")
        query = urllib.parse.urlencode(steal)
        status, answer = bot_api(sandbox, token, f"setWebhook?{query}")  # an <img src=...>
        assert (status, answer["description"]) == (401, "Unauthorized")

    own = (sandbox.production.folder / "data" / "sandbox" / "bot-token").read_text().strip()
    assert own != "123456789:SandboxTokenForLinkageTryIt"
    status, answer = bot_api(sandbox, own, "getWebhookInfo")  # the bot's token still works
    assert status == 200
    assert answer["result"]["url"] == ""
    before = len(resident_texts(sandbox))
    status, _ = request(sandbox, "/sandbox/api/send", resident_says("/help"), Origin=sandbox.origin)
    assert status == 200
    until(lambda: len(resident_texts(sandbox)) >= before + 2, "the bot's answer to /help")


@pytest.mark.parametrize("contents", ["a real bot's data", "an empty folder"])
def test_the_sandbox_refuses_a_folder_it_did_not_make(tmp_path: Path, contents: str) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    if contents == "a real bot's data":
        (folder / "linkage.sqlite3").write_bytes(b"SQLite format 3\x00 the real office's tickets")
        (folder / "data.key").write_text("the real office's key\n")
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    command = [sys.executable, "-m", "bot", "sandbox", "--port", str(free_port())]
    result = subprocess.run(
        [*command, "--data-dir", str(folder)],
        cwd=tmp_path,
        env=process_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"linkage: the sandbox did not make {folder} (it has no .linkage-sandbox file) and "
        "would wipe it at every start: choose a folder that does not exist yet with --data-dir"
    ]
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()} == before
