"""Routing at city scale: load time, memory and point look-ups for 4,379 and 50,000 grids.

Generates a city (tests/support/city.py: irregular grids on a jittered lattice, every fifth with
a hole) and loads it in a fresh process per size and source, checks included (shapes, overlaps,
holes): from the database (SQLite; how the bot loads it at start and after every change) and
from a routing file (YAML; how it is seeded the first time). Prints the load time, the process's
memory before and after, and the time of `Routing.grid_at` for random points of the map
(p50/p99), beside the targets.

    .venv/bin/python -m bench.routing [sizes...]        # default: 4379 50000
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench.report import load_average, machine, percentile, table
from services.routing import Routing
from tests.support.city import CELL, SOUTH, WEST, city, routing_data

SMALL = routing_data(city(1))  # the routing file beside the database: office and categories

TARGET_SECONDS = {4379: 5.0, 50000: 30.0}
TARGET_LOOKUP_MS = 0.1
LOOKUPS = 20_000


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def from_database(folder: Path, count: int) -> tuple[Routing, float, float, float]:
    """Store the city in a fresh SQLite database (not timed), then time loading it back."""
    from services.migrate import upgrade_to_head
    from services.routing_file import routing_from_data
    from services.routing_store import RoutingStore
    from services.storage import Database

    path = folder / "linkage.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade_to_head(db)
    await RoutingStore(db, routing_from_data(routing_data(city(count)), "city", None)).seed()
    await db.close()
    gc.collect()
    db = Database(f"sqlite+aiosqlite:///{path}")
    before = rss_mb()
    started = time.perf_counter()
    _, routing = await RoutingStore(db, routing_from_data(SMALL, "base", None)).load()
    seconds = time.perf_counter() - started
    await db.close()
    return routing, path.stat().st_size / 1e6, seconds, before


def measure(count: int, source: str) -> dict[str, float]:
    """In this process: store the city (file or database), then load it and look points up."""
    from services.routing import load_routing  # imported before the memory baseline

    with tempfile.TemporaryDirectory() as folder:
        if source == "database":
            routing, size_mb, seconds, before = asyncio.run(from_database(Path(folder), count))
        else:
            path = Path(folder) / "routing.yaml"
            dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
            data = routing_data(city(count))
            path.write_text(yaml.dump(data, Dumper=dumper, allow_unicode=True), encoding="utf-8")
            del data
            size_mb = path.stat().st_size / 1e6
            before = rss_mb()
            started = time.perf_counter()
            routing = load_routing(path, None)
            seconds = time.perf_counter() - started
        after = rss_mb()
    rng = random.Random(1)
    side = int(count**0.5) + 1
    points = [
        (SOUTH + rng.uniform(0, side * CELL), WEST + rng.uniform(0, side * CELL))
        for _ in range(LOOKUPS)
    ]
    times, found = [], 0
    for latitude, longitude in points:
        start = time.perf_counter_ns()
        grid = routing.grid_at(latitude, longitude)
        times.append((time.perf_counter_ns() - start) / 1e6)
        found += grid is not None
    return {
        "grids": len(routing.grids),
        "file_mb": size_mb,
        "seconds": seconds,
        "rss_before": before,
        "rss_after": after,
        "p50": percentile(times, 0.5),
        "p99": percentile(times, 0.99),
        "found": found / LOOKUPS,
    }


def main(sizes: list[int]) -> None:
    print(machine())
    print(f"load average before: {load_average()}")
    rows = []
    for count, source in itertools.product(sizes, ("database", "file")):
        child = subprocess.run(
            [sys.executable, "-m", "bench.routing", "--one", str(count), source],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        target = TARGET_SECONDS.get(count)
        met = (target is None or result["seconds"] < target) and result["p99"] < TARGET_LOOKUP_MS
        rows.append(
            [
                f"{count:,}",
                source,
                f"{result['file_mb']:.1f}",
                f"{result['seconds']:.2f}",
                f"< {target:g}" if target else "-",
                f"{result['rss_after'] - result['rss_before']:.0f}",
                f"{result['rss_after']:.0f}",
                f"{result['p50']:.4f}",
                f"{result['p99']:.4f}",
                f"< {TARGET_LOOKUP_MS}",
                f"{result['found']:.0%}",
                "yes" if met else "no",
            ]
        )
    print(f"load average after: {load_average()}")
    print(
        table(
            [
                "grids",
                "from",
                "stored MB",
                "load s",
                "target s",
                "memory MB (added)",
                "RSS MB",
                "lookup p50 ms",
                "lookup p99 ms",
                "target p99 ms",
                "points in a grid",
                "met?",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(measure(int(sys.argv[2]), sys.argv[3])))
    else:
        main([int(size) for size in sys.argv[1:]] or [4379, 50000])
