"""What only a card, a scan, a PDF, an export or a migration needs is not loaded at start: the
bot's memory at idle is what it keeps for the rest of its life (bench/memory.py)."""

from __future__ import annotations

import subprocess
import sys

LOADED_WHEN_USED = ("PIL", "zxingcpp", "qrcode", "fpdf", "fontTools", "xlsxwriter", "alembic")


def test_the_bot_starts_without_the_heavy_libraries_of_single_features() -> None:
    code = (
        "import sys, bot.factory, bot.runner, bot.__main__\n"
        f"print(' '.join(m for m in {LOADED_WHEN_USED!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == []


def test_a_card_loads_them_when_it_is_drawn() -> None:
    code = (
        "import sys, bot.factory\n"
        "from services.certificate_card import qr_matrix\n"
        "qr_matrix('https://linkage.example/v/ABC')\n"
        "print(' '.join(m for m in ('PIL', 'zxingcpp') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == ["PIL", "zxingcpp"]
