"""The routing file's `rental:` section: the inspection checklist and the colour rules.

A street office marks every rental house red, yellow or green by its safety risk (the
Changqing practice). What grid workers check, which findings make which colour, and how soon a
house of each colour is inspected again are the office's choice, so they live in the routing
file:

    rental:
      checklist:                  # the items of an inspection, in order
        - code: extinguisher
          name: {en: Fire extinguisher in date, zh: 灭火器在有效期内}
          critical: true          # failing it is a `critical_failed` finding
      colours:                    # finding → colour; a house takes the worst of its findings
        critical_failed: red
        item_failed: yellow
        overcrowded: yellow       # more tenants than beds
        overdue: yellow           # the next inspection's date has passed
      cadence_days: {red: 30, yellow: 90, green: 365}   # the next inspection after one
      first_inspection_days: 14   # a new house's first inspection is due this long after

Everything has a default (the section may be left out); this module knows nothing of the rest
of the routing file, which calls `parse_rental` with the section's data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

__all__ = [
    "COLOURS",
    "FINDINGS",
    "ChecklistItem",
    "RentalRules",
    "parse_rental",
    "worst",
]

Colour = Literal["red", "yellow", "green"]
COLOURS: tuple[str, ...] = ("red", "yellow", "green")  # worst first
FINDINGS = ("critical_failed", "item_failed", "overcrowded", "overdue")


def worst(colours: list[str]) -> str:
    """The worst of the colours (green when there is none)."""
    return min(colours, key=COLOURS.index, default="green")


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    name: dict[str, str] = field(hash=False)
    critical: bool


DEFAULT_CHECKLIST = (
    ChecklistItem(
        "extinguisher", {"en": "Fire extinguisher in date", "zh": "灭火器在有效期内"}, True
    ),
    ChecklistItem("escape", {"en": "Escape route clear", "zh": "逃生通道畅通"}, True),
    ChecklistItem("wiring", {"en": "Wiring safe", "zh": "电线规范"}, True),
    ChecklistItem("registration", {"en": "Every tenant registered", "zh": "租客登记齐全"}, False),
)


@dataclass(frozen=True)
class RentalRules:
    """The checklist and the colour rules, as the routing file gives them."""

    checklist: tuple[ChecklistItem, ...] = DEFAULT_CHECKLIST
    colours: Mapping[str, str] = field(
        default_factory=lambda: {
            "critical_failed": "red",
            "item_failed": "yellow",
            "overcrowded": "yellow",
            "overdue": "yellow",
        },
        hash=False,
    )
    cadence_days: Mapping[str, int] = field(
        default_factory=lambda: {"red": 30, "yellow": 90, "green": 365}, hash=False
    )
    first_inspection_days: int = 14

    def item(self, code: str) -> ChecklistItem | None:
        return next((item for item in self.checklist if item.code == code), None)

    def document(self) -> dict[str, Any]:
        """The section as the file's data (what `parse_rental` reads back)."""
        return {
            "checklist": [
                {"code": i.code, "name": dict(i.name), "critical": i.critical}
                for i in self.checklist
            ],
            "colours": dict(self.colours),
            "cadence_days": dict(self.cadence_days),
            "first_inspection_days": self.first_inspection_days,
        }


_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
_Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,23}$")]
_Days = Annotated[int, Field(ge=1, le=3650)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Item(_Model):
    code: _Code
    name: dict[Literal["en", "zh"], _Text]
    critical: bool = False


class _Cadence(_Model):
    red: _Days = 30
    yellow: _Days = 90
    green: _Days = 365


class _Colours(_Model):
    critical_failed: Colour = "red"
    item_failed: Colour = "yellow"
    overcrowded: Colour = "yellow"
    overdue: Colour = "yellow"


class _Section(_Model):
    checklist: Annotated[list[_Item], Field(min_length=1, max_length=40)] | None = None
    colours: _Colours = _Colours()
    cadence_days: _Cadence = _Cadence()
    first_inspection_days: _Days = 14


def parse_rental(data: object) -> RentalRules:
    """The rules from the section's data (None: the defaults). ValueError names the entry."""
    if data is None:
        return RentalRules()
    try:
        section = _Section.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in ("rental", *first["loc"]))
        raise ValueError(f"{where}: {first['msg']}") from None
    checklist: tuple[ChecklistItem, ...] = DEFAULT_CHECKLIST
    if section.checklist is not None:
        codes = [item.code for item in section.checklist]
        for n, code in enumerate(codes):
            if code in codes[:n]:
                raise ValueError(f"rental.checklist[{n}].code: duplicate item code {code!r}")
        for n, item in enumerate(section.checklist):
            if set(item.name) != {"en", "zh"}:
                raise ValueError(f"rental.checklist[{n}].name: needs a text in en and zh")
        checklist = tuple(
            ChecklistItem(item.code, {str(k): v for k, v in item.name.items()}, item.critical)
            for item in section.checklist
        )
    return RentalRules(
        checklist=checklist,
        colours=section.colours.model_dump(),
        cadence_days=section.cadence_days.model_dump(),
        first_inspection_days=section.first_inspection_days,
    )
