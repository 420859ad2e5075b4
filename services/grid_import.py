"""Grids from a city's GIS export: GeoJSON, Shapefile or GeoPackage, in any coordinate system.

Telegram locations are WGS-84; Chinese city data is often in CGCS2000 (EPSG:4490, or a projected
CGCS2000 zone such as EPSG:4549) or in GCJ-02, the offset of Chinese web maps. EPSG codes are
converted with pyproj; GCJ-02 has no EPSG code and is undone with its published transform (the
offset is a closed formula from WGS-84 to GCJ-02; the way back is found by iterating it).

The import merges the features into a routing document (the routing file's data): a new code is
added, a known code whose shape, names or community differ is changed (its chat, workers and
address words are kept), and a feature is refused, with the reason, when it has no code, its
shape is not a polygon or not a valid one, or it overlaps another grid.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely

from services.routing_geometry import find_overlaps, shape_problem

__all__ = [
    "GCJ02",
    "Feature",
    "Fields",
    "GridImportError",
    "ImportReport",
    "gcj02_to_wgs84",
    "merge_grids",
    "read_features",
    "to_wgs84",
    "wgs84_to_gcj02",
]

GCJ02 = "GCJ-02"
Transform = Callable[[float, float], tuple[float, float]]  # (x, y) → (longitude, latitude)


class GridImportError(Exception):
    """The file or an option cannot be used at all; the message says which and why."""


@dataclass(frozen=True)
class Fields:
    """Which attribute of a feature holds what."""

    code: str
    name_zh: str | None = None
    name_en: str | None = None
    community: str | None = None
    default_community: str = "imported"


@dataclass(frozen=True)
class Feature:
    """One feature of the file: its attributes and its geometry as GeoJSON."""

    properties: dict[str, Any]
    geometry: dict[str, Any] | None


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (which feature, why)
    new_communities: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"added {len(self.added)} grids, changed {len(self.changed)}, "
            f"unchanged {len(self.unchanged)}, refused {len(self.refused)}"
        ]
        if self.new_communities:
            named = ", ".join(self.new_communities)
            out.append(f"new communities (give them names in the routing data): {named}")
        out += [f"added: {code}" for code in self.added]
        out += [f"changed: {code}" for code in self.changed]
        out += [f"refused: {which}: {why}" for which, why in self.refused]
        return out


# --- reading ---------------------------------------------------------------------------------


def read_features(path: Path, layer: str | None = None) -> tuple[list[Feature], str | None]:
    """The features of a GeoJSON file (read directly), or of anything GDAL reads (Shapefile,
    GeoPackage ...) through pyogrio; and the coordinate system the file names, if any."""
    if path.suffix.lower() in (".geojson", ".json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as error:
            raise GridImportError(f"{path}: cannot read the GeoJSON: {error}") from None
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
            raise GridImportError(f"{path}: not a GeoJSON FeatureCollection")
        named = (data.get("crs") or {}).get("properties", {}).get("name")  # pre-RFC 7946
        features = [
            Feature(dict(item.get("properties") or {}), item.get("geometry"))
            for item in data.get("features", [])
            if isinstance(item, dict)
        ]
        return features, named if isinstance(named, str) else None
    import pyogrio  # GDAL, bundled in pyogrio's wheels; imported only for these formats

    try:
        meta, _, geometries, values = pyogrio.raw.read(path, layer=layer)
    except Exception as error:  # pyogrio raises DataSourceError, DataLayerError ...
        raise GridImportError(f"{path}: cannot read it: {error}") from None
    names = list(meta["fields"])
    features = []
    for n, wkb in enumerate(geometries):
        geometry = None if wkb is None else shapely.geometry.mapping(shapely.from_wkb(wkb))
        properties = {name: _plain(column[n]) for name, column in zip(names, values, strict=True)}
        features.append(Feature(properties, geometry))
    return features, meta.get("crs")


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


# --- coordinate systems ------------------------------------------------------------------------

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 formula uses it
_EE = 0.00669342162296594323  # its eccentricity squared


def _out_of_china(longitude: float, latitude: float) -> bool:
    return not (72.004 <= longitude <= 137.8347 and 0.8293 <= latitude <= 55.8271)


def _offset(longitude: float, latitude: float) -> tuple[float, float]:
    x, y = longitude - 105.0, latitude - 35.0
    common = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d_lat += common + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2 / 3
    d_lat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2 / 3
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d_lon += common + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2 / 3
    d_lon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3
    radians = latitude / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radians) ** 2
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * math.sqrt(magic)) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / math.sqrt(magic) * math.cos(radians) * math.pi)
    return d_lon, d_lat


def wgs84_to_gcj02(longitude: float, latitude: float) -> tuple[float, float]:
    """The GCJ-02 position Chinese web maps show for a WGS-84 one (unchanged outside China)."""
    if _out_of_china(longitude, latitude):
        return longitude, latitude
    d_lon, d_lat = _offset(longitude, latitude)
    return longitude + d_lon, latitude + d_lat


def gcj02_to_wgs84(longitude: float, latitude: float) -> tuple[float, float]:
    """The WGS-84 position of a GCJ-02 one: the forward formula iterated to under 1 mm."""
    x, y = longitude, latitude
    for _ in range(30):
        gx, gy = wgs84_to_gcj02(x, y)
        dx, dy = gx - longitude, gy - latitude
        x, y = x - dx, y - dy
        if abs(dx) < 1e-9 and abs(dy) < 1e-9:
            break
    return x, y


def to_wgs84(crs: str) -> Transform:
    """(x, y) in `crs` → (longitude, latitude) in WGS-84. `crs`: "GCJ-02", "EPSG:4490" (CGCS2000),
    "EPSG:4326" (already WGS-84), a projected system such as "EPSG:4549" ..."""
    if crs.strip().upper().replace("_", "-") in (GCJ02, "GCJ02"):
        return gcj02_to_wgs84
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        source = CRS.from_user_input(crs)
    except CRSError as error:
        raise GridImportError(f"unknown coordinate system {crs!r}: {error}") from None
    if source.equals(CRS.from_epsg(4326)):
        return lambda x, y: (x, y)
    transformer = Transformer.from_crs(source, "EPSG:4326", always_xy=True)
    return lambda x, y: transformer.transform(x, y)


# --- merging ---------------------------------------------------------------------------------


def _rings(geometry: dict[str, Any] | None, transform: Transform) -> list[list[list[float]]]:
    """The polygon's rings in WGS-84 (6 decimals, about 10 cm); ValueError with the reason."""
    if geometry is None:
        raise ValueError("it has no geometry")
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "MultiPolygon" and isinstance(coordinates, list | tuple) and len(coordinates) == 1:
        kind, coordinates = "Polygon", coordinates[0]  # what many exports write for one part
    if kind != "Polygon" or not isinstance(coordinates, list | tuple) or not coordinates:
        raise ValueError(f"a grid is one polygon, not a {kind}")
    rings = []
    for ring in coordinates:
        points = []
        for position in ring:
            longitude, latitude = transform(float(position[0]), float(position[1]))
            if not (math.isfinite(longitude) and math.isfinite(latitude)):
                raise ValueError(f"{position} is outside the coordinate system")
            points.append([round(longitude, 6), round(latitude, 6)])
        if len(points) < 4 or points[0] != points[-1]:
            raise ValueError("a ring needs at least 4 points and must be closed")
        rings.append(points)
    return rings


def _text(properties: dict[str, Any], name: str | None) -> str | None:
    if name is None:
        return None
    value = properties.get(name)
    return None if value is None or str(value).strip() == "" else str(value).strip()


def merge_grids(
    document: dict[str, Any], features: Iterable[Feature], fields: Fields, transform: Transform
) -> tuple[dict[str, Any], ImportReport]:
    """The routing document with the features merged in (a copy), and what happened."""
    result = copy.deepcopy(document)
    report = ImportReport()
    communities: dict[str, dict[str, Any]] = {c["code"]: c for c in result["communities"]}
    where: dict[str, dict[str, Any]] = {}  # grid code → its community entry
    for community in result["communities"]:
        for grid in community.get("grids", []):
            where[grid["code"]] = community
    incoming: dict[str, tuple[dict[str, Any], str]] = {}  # code → (grid entry, community)
    for n, feature in enumerate(features):
        code = _text(feature.properties, fields.code)
        which = f"feature {n + 1}" + (f" ({code})" if code else "")
        if code is None:
            report.refused.append((which, f"no code in the field {fields.code!r}"))
            continue
        if code in incoming:
            report.refused.append((which, "the code appears twice in the file"))
            continue
        try:
            rings = _rings(feature.geometry, transform)
        except (ValueError, TypeError, IndexError) as error:
            report.refused.append((which, str(error)))
            continue
        problem = shape_problem(shapely.Polygon(rings[0], rings[1:]))
        if problem is not None:
            report.refused.append((which, problem))
            continue
        old = where.get(code, {}).get("grids", [])
        existing = next((g for g in old if g["code"] == code), None)
        zh = _text(feature.properties, fields.name_zh)
        en = _text(feature.properties, fields.name_en)
        name = dict(existing["name"]) if existing else {}
        name["zh"] = zh or name.get("zh") or en or code
        name["en"] = en or name.get("en") or code
        entry = {
            **(existing or {"code": code, "chat": None}),
            "name": name,
            "area": {"type": "Polygon", "coordinates": rings},
        }
        community = _text(feature.properties, fields.community) or (
            where[code]["code"] if code in where else fields.default_community
        )
        incoming[code] = (entry, community)

    # overlaps: the kept grids against the incoming ones, through the spatial index
    kept = [
        (grid["code"], grid["area"]["coordinates"])
        for community in result["communities"]
        for grid in community.get("grids", [])
        if grid["code"] not in incoming and grid.get("area")
    ]
    candidates = kept + [(code, e["area"]["coordinates"]) for code, (e, _) in incoming.items()]
    shapes = [shapely.Polygon(rings[0], rings[1:]) for _, rings in candidates]
    refused: set[str] = set()
    for later, earlier in find_overlaps(shapes):
        later_code, earlier_code = candidates[later][0], candidates[earlier][0]
        if later_code in refused or earlier_code in refused:
            continue
        refused.add(later_code)  # later is always an incoming one: kept grids come first
        report.refused.append((f"grid {later_code}", f"overlaps grid {earlier_code}"))

    for code, (entry, community_code) in incoming.items():
        if code in refused:
            continue
        before = where.get(code)
        if before is not None:
            old = next(g for g in before["grids"] if g["code"] == code)
            if old == entry and before["code"] == community_code:
                report.unchanged.append(code)
                continue
            before["grids"] = [g for g in before["grids"] if g["code"] != code]
            report.changed.append(code)
        else:
            report.added.append(code)
        if community_code not in communities:
            communities[community_code] = {
                "code": community_code,
                "name": {"en": community_code, "zh": community_code},
                "grids": [],
            }
            result["communities"].append(communities[community_code])
            report.new_communities.append(community_code)
        communities[community_code].setdefault("grids", []).append(entry)
    return result, report
