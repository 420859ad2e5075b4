"""What only a card, a scan, a PDF, an export, a migration or the grids' areas need is not loaded
at start: the bot's memory at idle is what it keeps for the rest of its life (bench/memory.py)."""

from __future__ import annotations

import subprocess
import sys

LOADED_WHEN_USED = (
    "PIL",
    "zxingcpp",
    "qrcode",
    "fpdf",
    "fontTools",
    "xlsxwriter",
    "alembic",
    "shapely",
    "numpy",
)


def loaded_after(code: str) -> list[str]:
    """The modules of LOADED_WHEN_USED a fresh interpreter holds after running `code`."""
    code += f"\nimport sys; print(' '.join(m for m in {LOADED_WHEN_USED!r} if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return run.stdout.split()


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


# the sample routing without its areas: the grids are found by their address words only
WITHOUT_AREAS = """
import yaml
from services.routing_file import SAMPLE_PATH, routing_from_data
data = yaml.safe_load(SAMPLE_PATH.read_text())
for community in data["communities"]:
    for grid in community["grids"]:
        grid.pop("area", None)
routing = routing_from_data(data, "no areas", None)
assert routing.grid_at(30.7610, 120.7545) is None
assert routing.grid_for_address("east gate").code == "SJB-01"
"""


def test_a_routing_without_areas_is_used_without_shapely() -> None:
    assert loaded_after(WITHOUT_AREAS) == []


def test_a_routing_with_areas_loads_shapely_and_finds_the_grid_of_a_point() -> None:
    code = (
        "from services.routing_file import load_routing\n"
        "assert load_routing(None, None).grid_at(30.7610, 120.7545).code == 'SJB-01'"
    )
    assert loaded_after(code) == ["shapely", "numpy"]
