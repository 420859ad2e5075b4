"""`python -m bot import-grids`: a city's GIS export merged into the routing data."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import Transformer

from bot.__main__ import main
from services.grid_import import gcj02_to_wgs84, wgs84_to_gcj02
from services.routing import Routing, load_routing
from services.routing_file import SAMPLE_PATH
from tests.support.city import city, geojson
from tests.support.running import TOKEN

# Reference pairs published with the transform (eviltransform's tests):
# (WGS-84 latitude, longitude, GCJ-02 latitude, longitude)
REFERENCE = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]
FIELDS = [
    "--code-field",
    "WGBM",
    "--name-zh-field",
    "WGMC",
    "--name-en-field",
    "NAME_EN",
    "--community-field",
    "SQBM",
]
GRIDS = city(300)


@pytest.mark.parametrize(("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"), REFERENCE)
def test_gcj02_both_ways_matches_the_published_values(
    wgs_lat: float, wgs_lon: float, gcj_lat: float, gcj_lon: float
) -> None:
    assert wgs84_to_gcj02(wgs_lon, wgs_lat) == pytest.approx((gcj_lon, gcj_lat), abs=1e-9)
    assert gcj02_to_wgs84(gcj_lon, gcj_lat) == pytest.approx((wgs_lon, wgs_lat), abs=1e-8)


def test_gcj02_leaves_points_outside_china_alone() -> None:
    assert wgs84_to_gcj02(-0.1276, 51.5072) == (-0.1276, 51.5072)


def run_import(
    tmp_path: Path, data: dict[str, Any], *options: str, capsys: pytest.CaptureFixture[str]
) -> tuple[Routing, str]:
    source = tmp_path / "grids.geojson"
    source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    output = tmp_path / "routing.yaml"
    routing_option = ["--routing", str(output)] if output.exists() else []
    code = main(
        ["import-grids", str(source), *FIELDS, *routing_option, "--output", str(output), *options]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    return load_routing(output, None), printed


def moved(data: dict[str, Any], change: Any) -> dict[str, Any]:
    """The GeoJSON with every position changed by `change(longitude, latitude)`."""
    out = copy.deepcopy(data)
    for feature in out["features"]:
        feature["geometry"]["coordinates"] = [
            [list(change(x, y)) for x, y in ring] for ring in feature["geometry"]["coordinates"]
        ]
    return out


def test_a_city_of_a_few_hundred_grids_is_imported_and_routed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    routing, printed = run_import(tmp_path, geojson(GRIDS), capsys=capsys)
    assert "added 300 grids, changed 0, unchanged 0, refused 0" in printed
    assert "new communities (give them names in the routing data): C0001" in printed
    assert len(routing.grids) == 6 + 300  # the sample's six, kept
    grid = routing.grid("G00042")
    assert grid.name == {"zh": "第42网格", "en": "Grid 42"}
    assert grid.community_code == "C0002"
    assert grid.chat_id is None  # bound later, from Telegram
    community = routing.community("C0002")
    assert routing.staff_chat(routing.category("drainage"), grid) == routing.street_office_chat_id
    assert community.chat_id is None
    for generated in GRIDS:
        assert routing.grid_at(*generated.inside_point()) == routing.grid(generated.code)


def test_a_gcj02_export_lands_in_the_right_wgs84_grid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = moved(geojson(GRIDS), wgs84_to_gcj02)
    routing, printed = run_import(tmp_path, data, "--crs", "GCJ-02", capsys=capsys)
    assert "added 300 grids" in printed and "refused 0" in printed
    for generated in GRIDS[::7]:
        latitude, longitude = generated.inside_point()  # a Telegram location: WGS-84
        assert routing.grid_at(latitude, longitude) == routing.grid(generated.code)
    # read as if it were WGS-84, the same file puts a point in another grid (offset ~500 m)
    (tmp_path / "routing.yaml").unlink()
    wrong, _ = run_import(tmp_path, data, capsys=capsys)
    latitude, longitude = GRIDS[150].inside_point()
    assert wrong.grid_at(latitude, longitude) != wrong.grid(GRIDS[150].code)


def test_a_cgcs2000_projected_export_is_converted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    to_gauss_kruger = Transformer.from_crs("EPSG:4326", "EPSG:4549", always_xy=True)
    data = moved(geojson(GRIDS), to_gauss_kruger.transform)
    assert data["features"][0]["geometry"]["coordinates"][0][0][0] > 400_000  # metres
    routing, printed = run_import(tmp_path, data, "--crs", "EPSG:4549", capsys=capsys)
    assert "refused 0" in printed
    for generated in GRIDS[::5]:
        assert routing.grid_at(*generated.inside_point()) == routing.grid(generated.code)


def test_a_geopackage_is_read_with_its_own_coordinate_system(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = geojson(GRIDS[:50])
    path = tmp_path / "grids.gpkg"
    shapes = [shapely.geometry.shape(f["geometry"]) for f in data["features"]]
    pyogrio.raw.write(
        path,
        shapely.to_wkb(np.array(shapes, dtype=object)),
        [np.array([f["properties"][k] for f in data["features"]]) for k in ("WGBM", "SQBM")],
        fields=["WGBM", "SQBM"],
        geometry_type="Polygon",
        crs="EPSG:4490",  # CGCS2000, as a Chinese city's GIS writes it
        driver="GPKG",
    )
    output = tmp_path / "routing.yaml"
    code = main(["import-grids", str(path), "--code-field", "WGBM", "--output", str(output)])
    assert code == 0
    assert "added 50 grids" in capsys.readouterr().out
    routing = load_routing(output, None)
    assert routing.grid("G00007").community_code == "imported"
    assert routing.grid_at(*GRIDS[6].inside_point()) == routing.grid("G00007")


def test_what_cannot_be_used_is_refused_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_import(tmp_path, geojson(GRIDS[:20]), capsys=capsys)
    data = geojson(GRIDS[20:40])
    features = data["features"]
    features[0]["geometry"] = copy.deepcopy(geojson(GRIDS[3:4])["features"][0]["geometry"])
    features[1]["geometry"]["coordinates"][0][1], features[1]["geometry"]["coordinates"][0][5] = (
        features[1]["geometry"]["coordinates"][0][5],
        features[1]["geometry"]["coordinates"][0][1],
    )
    features[2]["properties"]["WGBM"] = ""
    features[3]["geometry"] = {"type": "Point", "coordinates": [120.6, 30.6]}
    routing, printed = run_import(tmp_path, data, capsys=capsys)
    assert "added 16 grids, changed 0, unchanged 0, refused 4" in printed
    assert "refused: grid G00021: overlaps grid G00004" in printed
    assert "refused: feature 2 (G00022): polygon's edges cross at [" in printed
    assert "refused: feature 3: no code in the field 'WGBM'" in printed
    assert "refused: feature 4 (G00024): a grid is one polygon, not a Point" in printed
    assert len(routing.grids) == 6 + 36


def test_a_second_import_says_what_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_import(tmp_path, geojson(GRIDS[:30]), capsys=capsys)
    data = geojson(GRIDS[:30])
    data["features"][4]["properties"]["WGMC"] = "南湖网格"
    routing, printed = run_import(tmp_path, data, capsys=capsys)
    assert "added 0 grids, changed 1, unchanged 29, refused 0" in printed
    assert "changed: G00005" in printed
    assert routing.grid("G00005").name["zh"] == "南湖网格"


def test_an_import_into_the_database_is_a_new_version_and_exports_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'linkage.db'}")
    source = tmp_path / "grids.geojson"
    source.write_text(json.dumps(geojson(GRIDS[:40])), encoding="utf-8")
    assert main(["import-grids", str(source), *FIELDS]) == 0
    printed = capsys.readouterr().out
    assert "added 40 grids, changed 0, unchanged 0, refused 0" in printed
    assert "routing data at version 2: running bots follow within 3 s" in printed

    exported = tmp_path / "exported.yaml"
    assert main(["export-routing", "--output", str(exported)]) == 0
    assert exported.read_text(encoding="utf-8").startswith(
        "# exported from the routing data at version 2\n"
    )
    routing = load_routing(exported, None)
    assert len(routing.grids) == 6 + 40
    assert routing.grid_at(*GRIDS[9].inside_point()) == routing.grid("G00010")
    assert main(["import-routing", str(SAMPLE_PATH)]) == 0
    assert "2 communities and 6 grids from" in capsys.readouterr().out
    assert main(["export-routing", "--output", str(exported)]) == 0
    assert len(load_routing(exported, None).grids) == 6
