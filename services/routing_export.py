"""The routing written back as the file's data and text: `python -m bot export-routing`, the
database's seed (services/routing_store.py) and grid imports write what `routing_from_data`
(services/routing_file.py) reads back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from services.mediation_routing import section_document
from services.routing import Grid, Routing


def routing_document(routing: Routing) -> dict[str, Any]:
    """The routing as the file's data: what `routing_from_data` reads back (export, seed)."""

    def keywords(words: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
        return {language: list(values) for language, values in words.items()}

    def grid(g: Grid) -> dict[str, Any]:
        entry: dict[str, Any] = {"code": g.code, "name": dict(g.name), "chat": g.chat_id}
        if g.forum:
            entry["forum"] = True
        if g.workers:
            entry["workers"] = list(g.workers)
        if g.area:
            rings = [[list(position) for position in ring] for ring in g.area]
            entry["area"] = {"type": "Polygon", "coordinates": rings}
        if g.address_keywords:
            entry["address_keywords"] = keywords(g.address_keywords)
        return entry

    office: dict[str, Any] = {"name": dict(routing.street_office_name)}
    if routing.street_office_chat_id is not None:
        office["chat"] = routing.street_office_chat_id
    document: dict[str, Any] = {
        "street_office": office,
        "communities": [
            {
                "code": c.code,
                "name": dict(c.name),
                "chat": c.chat_id,
                "grids": [grid(g) for g in c.grids],
            }
            for c in routing.communities
        ],
        "categories": [
            {
                "code": c.code,
                "name": dict(c.name),
                "keywords": keywords(c.keywords),
                "chat": c.chat_id,
            }
            for c in routing.categories
        ],
        "hotels": [
            {"code": h.code, "name": dict(h.name), "address": dict(h.address)}
            for h in routing.hotels
        ],
    }
    if routing.chat_locales:  # staff chats that read another language than STAFF_LOCALE
        document["chat_locales"] = dict(routing.chat_locales)
    document["rental"] = routing.rental.document()
    if routing.mediation is not None:
        document["mediation"] = section_document(routing.mediation)
    if routing.legal is not None:
        document["legal"] = routing.legal
    if routing.volunteers is not None:
        document["volunteers"] = routing.volunteers
    return document


class _FlowCoordinatesDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Writes a position as [longitude, latitude] on one line, the rest in block style."""

    def represent_sequence(self, tag: str, sequence: Any, flow_style: Any = None) -> Any:
        flat = bool(sequence) and all(isinstance(item, int | float) for item in sequence)
        return super().represent_sequence(tag, sequence, flow_style=True if flat else flow_style)


def dump_routing(document: Mapping[str, Any]) -> str:
    """A routing document as the text of a routing file."""
    return str(
        yaml.dump(
            dict(document),
            Dumper=_FlowCoordinatesDumper,
            allow_unicode=True,
            sort_keys=False,
            width=100,
        )
    )
