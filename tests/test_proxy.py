"""nginx in front of the bot, as compose.scale.yaml runs it, with the repository's own config.

Its access log is the first place a token and a client address would land; it must hold
neither, as the bot's own access log does not.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import free_port
from tests.test_certificate_trust import ROOT, Site, site  # noqa: F401 - the fixture

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # scripts/test installs Debian's nginx-light


def our_config(tmp_path: Path, listen: int, bot_port: int) -> Path:
    """deploy/nginx.conf with only what Docker provides replaced: the bot's address and DNS."""
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    changes = {
        "pid /tmp/nginx.pid;": f"pid {tmp_path / 'nginx.pid'};",
        "resolver 127.0.0.11 valid=10s ipv6=off;": "",
        "listen 8080;": f"listen 127.0.0.1:{listen};",
        "set $bot http://bot:8080;": f"set $bot http://127.0.0.1:{bot_port};",
        "access_log /dev/stdout redacted;": f"access_log {tmp_path / 'access.log'} redacted;",
    }
    for old, new in changes.items():
        assert old in config, f"deploy/nginx.conf no longer has {old!r}"
        config = config.replace(old, new)
    path = tmp_path / "nginx.conf"
    path.write_text(config)
    return path


@pytest.fixture
def nginx(site: Site, tmp_path: Path) -> Iterator[str]:  # noqa: F811 - the imported fixture
    assert Path(NGINX).exists(), "nginx is missing: scripts/test installs it"
    listen = free_port()
    config = our_config(tmp_path, listen, site.bot.settings.web_port)
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(config)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(config), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    yield f"http://127.0.0.1:{listen}"
    process.terminate()
    process.wait(10)


async def test_nginx_logs_neither_the_token_nor_the_address(
    site: Site,  # noqa: F811 - the imported fixture
    nginx: str,
    tmp_path: Path,
) -> None:
    issued = await site.issue()
    for _ in range(100):  # nginx starts in a moment
        try:
            async with site.http.get(f"{nginx}/healthz") as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        await asyncio.sleep(0.05)
    asks = [
        f"/v/{issued.token}?lang=en",
        f"/api/v1/certificates/verify?token={issued.token}",
        f"/api/v1/certificates/verify?lang=zh&token={issued.token}",
    ]
    for path in asks:
        async with site.http.get(f"{nginx}{path}") as response:
            assert response.status == 200
            assert "valid" in await response.text()

    log = (tmp_path / "access.log").read_text()
    assert log.count("\n") == len(asks) + 1, log  # /healthz, then the three checks
    assert issued.token not in log and issued.token[:12] not in log
    assert "127.0.0.1" not in log
    assert '"GET /v/... HTTP/1.1" 200' in log
    assert '"GET /api/v1/certificates/verify?token=... HTTP/1.1" 200' in log
