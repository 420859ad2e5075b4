"""Load helpers: wrk when installed, else a small aiohttp load generator in its own process.

.venv/bin/python -m bench.load URL [connections] [seconds]   # the fallback, on its own
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
import time
from dataclasses import dataclass

import aiohttp


@dataclass(frozen=True)
class LoadResult:
    tool: str
    requests_per_second: float
    p50_ms: float | None
    p99_ms: float | None
    errors: int


WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk_ms(output: str, percent: str) -> float | None:
    match = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    return float(match.group(1)) * WRK_UNITS[match.group(2)] if match else None


async def run_wrk(url: str, threads: int, connections: int, seconds: int) -> LoadResult:
    """One wrk run (--latency) as a child process, so this event loop keeps serving."""
    process = await asyncio.create_subprocess_exec(
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    output = out.decode()
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if process.returncode != 0 or rate is None:
        raise RuntimeError(f"wrk failed: {output}{err.decode()}")
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    failed = int(errors.group(1)) if errors else 0
    failed += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return LoadResult(
        "wrk", float(rate.group(1)), _wrk_ms(output, "50"), _wrk_ms(output, "99"), failed
    )


async def run_fallback(url: str, connections: int, seconds: int) -> LoadResult:
    """The same load from `python -m bench.load` in a child process (wrk is absent)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.load",
        url,
        str(connections),
        str(seconds),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _err = await process.communicate()
    rate, p50, p99, errors = out.decode().split()
    return LoadResult("aiohttp (no wrk)", float(rate), float(p50), float(p99), int(errors))


async def run_load(url: str, threads: int, connections: int, seconds: int) -> LoadResult:
    if shutil.which("wrk"):
        return await run_wrk(url, threads, connections, seconds)
    return await run_fallback(url, connections, seconds)


async def _generate(url: str, connections: int, seconds: float) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            async with http.get(url) as response:
                await response.read()
                if response.status >= 400:
                    errors += 1
            latencies.append((time.perf_counter() - started) * 1000)

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(connections)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, sorted(latencies), errors


def main() -> None:
    url = sys.argv[1]
    connections = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 10
    rate, latencies, errors = asyncio.run(_generate(url, connections, seconds))
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
    print(f"{rate:.1f} {p50:.3f} {p99:.3f} {errors}")


if __name__ == "__main__":
    main()
