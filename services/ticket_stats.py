"""Figures staff ask for with /stats: how many came in, how fast they were answered and solved."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from statistics import median

from services.models import Ticket
from services.tickets import CLOSED, RESOLVED, UNFIXED


@dataclass(frozen=True)
class TicketStats:
    received: int
    taken: int
    resolved: int
    unfixed: int  # closed, not fixed
    median_first_response: timedelta | None
    median_resolution: timedelta | None
    average_rating: float | None
    ratings: int
    by_category: dict[str, int]
    by_grid: dict[str, int]  # "" for tickets outside every grid


def summarize(tickets: list[Ticket]) -> TicketStats:
    responded = [
        (t.first_response_at - t.created_at).total_seconds() for t in tickets if t.first_response_at
    ]
    solved = [(t.resolved_at - t.created_at).total_seconds() for t in tickets if t.resolved_at]
    ratings = [t.rating for t in tickets if t.rating is not None]
    return TicketStats(
        received=len(tickets),
        taken=sum(1 for t in tickets if t.assignee_id is not None),
        resolved=sum(1 for t in tickets if t.status in (RESOLVED, CLOSED)),
        unfixed=sum(1 for t in tickets if t.status == UNFIXED),
        median_first_response=timedelta(seconds=median(responded)) if responded else None,
        median_resolution=timedelta(seconds=median(solved)) if solved else None,
        average_rating=sum(ratings) / len(ratings) if ratings else None,
        ratings=len(ratings),
        by_category=dict(Counter(t.category for t in tickets).most_common()),
        by_grid=dict(Counter(t.grid or "" for t in tickets).most_common()),
    )
