"""Mediation figures for an organisation's `/stats` (and the dashboard when there is one).

Counted by the database (COUNT with CASE, grouped by kind): cases received, accepted, settled,
referred, withdrawn; the median days from filing to settlement; and the diversion share, settled
of all closed, beside the figures of the Zhuji platform the feature is modelled on.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from sqlalchemy import Integer, case, func
from sqlmodel import col, select

from services.mediation import ACCEPTED, CLOSED_STATES, REFERRED, SETTLED, WITHDRAWN
from services.mediation_models import MediationCase
from services.models import as_utc
from services.storage import Database

# The seed (issue 15): Zhuji's online dispute resolution platform in ten months.
SEED = {
    "organisations": 127,
    "mediators": 648,
    "diverted": 11_591,
    "diverted_share": 0.8548,
    "settled": 3_470,
    "judicially_confirmed": 2_948,
}


@dataclass(frozen=True)
class Counts:
    received: int = 0
    accepted: int = 0
    settled: int = 0
    referred: int = 0
    withdrawn: int = 0

    @property
    def closed(self) -> int:
        return self.settled + self.referred + self.withdrawn

    @property
    def diversion_share(self) -> float | None:
        """Settled of all closed; None before any case closed."""
        return self.settled / self.closed if self.closed else None


@dataclass(frozen=True)
class MediationStats:
    total: Counts
    by_kind: dict[str, Counts] = field(default_factory=dict)
    median_days_to_settle: float | None = None
    judicially_confirmed: int = 0


def _flag(condition: object) -> object:
    return func.sum(case((condition, 1), else_=0)).cast(Integer)  # type: ignore[arg-type]


async def organisation_stats(db: Database, org_code: str | None) -> MediationStats:
    """The figures of one organisation's cases (None: every case)."""
    c = MediationCase
    columns = (
        col(c.kind),
        func.count(col(c.id)),
        _flag(col(c.accepted_at).is_not(None)),
        _flag(col(c.status) == SETTLED),
        _flag(col(c.status) == REFERRED),
        _flag(col(c.status) == WITHDRAWN),
        _flag(col(c.judicial_requested_on).is_not(None)),
    )
    query = select(*columns).group_by(col(c.kind))  # type: ignore[call-overload]
    durations = select(col(c.created_at), col(c.closed_at)).where(col(c.status) == SETTLED)
    if org_code is not None:
        query = query.where(col(c.org_code) == org_code)
        durations = durations.where(col(c.org_code) == org_code)
    async with db.session() as session:
        rows = (await session.exec(query)).all()
        spans = (await session.exec(durations)).all()
    by_kind = {
        kind: Counts(int(n), int(a or 0), int(s or 0), int(r or 0), int(w or 0))
        for kind, n, a, s, r, w, _j in rows
    }
    total = Counts(
        *(sum(getattr(k, f) for k in by_kind.values()) for f in Counts.__dataclass_fields__)
    )
    days = [
        (as_utc(closed) - as_utc(created)).total_seconds() / 86400
        for created, closed in spans
        if closed is not None
    ]
    return MediationStats(
        total=total,
        by_kind=by_kind,
        median_days_to_settle=statistics.median(days) if days else None,
        judicially_confirmed=sum(int(j or 0) for *_rest, j in rows),
    )


async def by_organisation(db: Database) -> dict[str | None, Counts]:
    """Every case's counts per organisation (None: the street office's), for the whole area."""
    c = MediationCase
    query = select(  # type: ignore[call-overload]
        col(c.org_code),
        func.count(col(c.id)),
        _flag(col(c.accepted_at).is_not(None)),
        _flag(col(c.status) == SETTLED),
        _flag(col(c.status) == REFERRED),
        _flag(col(c.status) == WITHDRAWN),
    ).group_by(col(c.org_code))
    async with db.session() as session:
        rows = (await session.exec(query)).all()
    return {
        code: Counts(int(n), int(a or 0), int(s or 0), int(r or 0), int(w or 0))
        for code, n, a, s, r, w in rows
    }


__all__ = [
    "ACCEPTED",
    "CLOSED_STATES",
    "SEED",
    "Counts",
    "MediationStats",
    "by_organisation",
    "organisation_stats",
]
