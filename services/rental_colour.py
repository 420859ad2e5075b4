"""A rental house's risk colour, worked out from the routing file's rules
(services/rental_routing.py): the last inspection's failed items (a critical one, another one),
overcrowding (more tenants than beds) and an overdue inspection, each a finding mapped to a
colour; the house takes the worst, and the findings are kept so the reason can be shown in words.

Pure functions, apart from the service (services/rental.py), which calls them on every change
and in the minute round; inspections (services/rental_inspections.py) call them too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from services.models import RentalInspection, as_utc
from services.rental_routing import RentalRules, worst


def assess(
    rules: RentalRules,
    *,
    failed: Sequence[str],
    tenants: int,
    beds: int,
    next_due: datetime,
    now: datetime,
) -> tuple[str, list[dict[str, Any]]]:
    """The colour and its findings (worst first) from the last inspection's failed items, the
    number of tenants now, and whether the next inspection is overdue."""
    findings: list[dict[str, Any]] = []
    critical = [code for code in failed if (item := rules.item(code)) and item.critical]
    other = [code for code in failed if code not in critical]
    if critical:
        findings.append({"code": "critical_failed", "items": critical})
    if other:
        findings.append({"code": "item_failed", "items": other})
    if tenants > beds:
        findings.append({"code": "overcrowded", "tenants": tenants, "beds": beds})
    if as_utc(next_due) < now:
        findings.append({"code": "overdue", "due": as_utc(next_due).isoformat()})
    kept = [f for f in findings if rules.colours.get(f["code"], "green") != "green"]
    colour = worst([rules.colours[f["code"]] for f in kept])
    kept.sort(key=lambda f: ("red", "yellow").index(rules.colours[f["code"]]))
    return colour, kept


def failed_items(inspection: RentalInspection | None) -> list[str]:
    if inspection is None:
        return []
    return [code for code, result in inspection.results.items() if result.get("ok") is False]
