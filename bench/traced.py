"""`python -m bot` with tracemalloc on, for bench.memory: SIGUSR1 writes the biggest live
allocations (by line) to the file TRACE_OUT names, one a line: KiB, count, where.

Tracing costs memory and time of its own, so bench.memory reads RSS from untraced processes
and only the allocations from this one.

    TRACE_OUT=/tmp/top.tsv .venv/bin/python -m bench.traced   # then kill -USR1 <pid>
"""

from __future__ import annotations

import os
import signal
import sys
import tracemalloc
from pathlib import Path
from types import FrameType

TOP = 15


def write_top(path: Path, count: int = TOP) -> None:
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    lines = [
        f"{stat.size / 1024:.0f}\t{stat.count}\t{stat.traceback[0].filename}:"
        f"{stat.traceback[0].lineno}"
        for stat in snapshot.statistics("lineno")[:count]
    ]
    path.write_text("\n".join(lines) + "\n")


def main() -> int:
    out = Path(os.environ["TRACE_OUT"])
    tracemalloc.start()

    def on_signal(_number: int, _frame: FrameType | None) -> None:
        write_top(out)

    signal.signal(signal.SIGUSR1, on_signal)
    from bot.__main__ import main as run_bot

    return run_bot(["run"])


if __name__ == "__main__":
    sys.exit(main())
