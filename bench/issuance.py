"""Issuance: sign and store a certificate, then draw its card (QR code and PNG), p50 and p99.

Uses the real services (CertificateService.issue with a KeyRing and SQLite, CertificateCard,
render_card with the CJK font the bot would find), one issuance at a time, as an approval does.

    .venv/bin/python -m bench.issuance [N]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.report import load_average, machine, percentile, table
from services.certificate_card import CertificateCard, find_cjk_font, render_card
from services.certificates import CertificateService
from services.identity import DocumentType
from services.migrate import upgrade_to_head
from services.signing import KeyRing
from services.storage import Database

HOTEL = {"zh": "西栅水岸客栈", "en": "Xizha Waterside Inn"}
TARGET_P99_MS = 100.0


async def measure(count: int) -> dict[str, list[float]]:
    """Milliseconds per issuance: signing and storing, the card, and both (wall clock), and
    the card's CPU time in this thread (what the wall time would be with the cores to itself)."""
    timings: dict[str, list[float]] = {
        "sign + store": [],
        "QR + card PNG": [],
        "total": [],
        "QR + card PNG, CPU only": [],
    }
    with tempfile.TemporaryDirectory() as data:
        db = Database(f"sqlite+aiosqlite:///{Path(data) / 'linkage.sqlite3'}")
        await upgrade_to_head(db)
        service = CertificateService(db, KeyRing.open(Path(data)), "https://linkage.example")
        font = find_cjk_font()
        try:
            for n in range(count + 5):  # the first few warm caches up and are not counted
                started = time.perf_counter()
                issued = await service.issue(
                    holder_name="戴美玲",
                    document_type=DocumentType.PRC_ID,
                    document_number="11010519491231002X",
                    hotel_code="wuzhen-xizha",
                    check_in=date(2026, 12, 1),
                    nights=2,
                )
                signed, cpu = time.perf_counter(), time.thread_time()
                render_card(
                    CertificateCard.of(issued.certificate, issued.url, HOTEL), font_path=font
                )
                done, cpu_done = time.perf_counter(), time.thread_time()
                if n >= 5:
                    timings["sign + store"].append((signed - started) * 1000)
                    timings["QR + card PNG"].append((done - signed) * 1000)
                    timings["total"].append((done - started) * 1000)
                    timings["QR + card PNG, CPU only"].append((cpu_done - cpu) * 1000)
        finally:
            await db.close()
    return timings


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    load = load_average()
    timings = asyncio.run(measure(count))
    print(f"{machine()}; font {find_cjk_font()}")
    print(f"load average before: {load}; after: {load_average()}")
    print()
    rows = [
        [
            part,
            len(values),
            f"{percentile(values, 0.5):.1f}",
            f"{percentile(values, 0.99):.1f}",
            f"{statistics.mean(values):.1f}",
            f"{max(values):.1f}",
        ]
        for part, values in timings.items()
    ]
    print(table(["part", "issuances", "p50 ms", "p99 ms", "mean ms", "max ms"], rows))
    p99 = percentile(timings["total"], 0.99)
    verdict = "met" if p99 < TARGET_P99_MS else "not met"
    print(f"\nTarget: total p99 < {TARGET_P99_MS:.0f} ms: {verdict} ({p99:.1f} ms).")


if __name__ == "__main__":
    main()
