"""The routing file's `legal:` section is checked with the rest of the file at load: a
mistake is one line naming the entry; a good section travels through the database copy."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from services.legal_routing import legal_point
from services.routing import load_routing
from services.routing_export import routing_document
from services.routing_file import RoutingError, routing_from_data
from tests.test_legal import legal_routing


def with_legal(tmp_path: Path, change: dict[str, object]) -> Path:
    path = legal_routing(tmp_path)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["legal"].update(change)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"lawyers": [{"id": 5001, "name": "Chen", "duty": ["monday"]}]},
            "routing.yaml: legal.lawyers[0].duty: 'monday' is not one of",
        ),
        ({"slots": {"mon": ["2pm"]}}, "routing.yaml: legal.slots.mon: a time is written HH:MM"),
        ({"chat": "lawyers"}, "routing.yaml: legal.chat: Input should be a valid integer"),
        ({"room": 3}, "routing.yaml: legal.room: Extra inputs are not permitted"),
    ],
)
def test_a_wrong_legal_section_is_named(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    with pytest.raises(RoutingError) as raised:
        load_routing(with_legal(tmp_path, change), None)
    assert str(raised.value).startswith(message)


def test_the_section_survives_the_database_copy_and_gives_the_week(tmp_path: Path) -> None:
    routing = load_routing(legal_routing(tmp_path), None)
    again = routing_from_data(routing_document(routing), "stored", None)
    point = legal_point(again.legal)
    assert point is not None and [lawyer.name for lawyer in point.lawyers] == [
        "Lawyer Chen",
        "Lawyer Lin",
    ]
    monday_noon = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
    slots = point.week_slots(monday_noon, ZoneInfo("Asia/Shanghai"))
    assert [slot.strftime("%a %H:%M") for slot in slots[:3]] == [
        "Mon 15:00",
        "Tue 10:00",
        "Tue 15:00",
    ]
    assert len(slots) == 14
