"""Figures staff ask for with /stats: how many came in, how fast they were answered and solved."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from services.models import Ticket, as_utc
from services.tickets import CLOSED, LOW_RATING, NEW, RESOLVED, TAKEN, UNFIXED


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


@dataclass(frozen=True)
class Digest:
    """A staff chat's morning summary: what waits, what is late, what yesterday brought."""

    new: int  # waiting to be taken
    overdue: int  # waiting longer than it should (take or resolve)
    resolved_yesterday: int
    low_ratings_yesterday: int  # 1 or 2 stars
    oldest: tuple[str, ...]  # numbers of the longest-waiting open requests


def digest_of(
    open_tickets: list[Ticket],
    yesterdays: list[Ticket],
    start: datetime,
    end: datetime,
    now: datetime,
    take_within: timedelta,
    resolve_within: timedelta,
) -> Digest:
    """`yesterdays`: tickets changed in [start, end) (yesterday, local time)."""

    def late(ticket: Ticket) -> bool:
        if ticket.status == TAKEN:
            since = ticket.first_response_at or ticket.created_at
            return now - as_utc(since) > resolve_within
        since = ticket.reopened_at or ticket.created_at
        return now - as_utc(since) > take_within

    def within(moment: datetime | None) -> bool:
        return moment is not None and start <= as_utc(moment) < end

    return Digest(
        new=sum(1 for t in open_tickets if t.status == NEW),
        overdue=sum(1 for t in open_tickets if late(t)),
        resolved_yesterday=sum(1 for t in yesterdays if within(t.resolved_at)),
        low_ratings_yesterday=sum(
            1 for t in yesterdays if t.rating is not None and t.rating <= LOW_RATING
        ),
        oldest=tuple(t.number for t in sorted(open_tickets, key=lambda t: t.id or 0)[:5]),
    )
