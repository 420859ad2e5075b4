"""Exports of the dashboard: the filtered tickets and the figures, as CSV or Excel (xlsx).

What a ticket row holds depends on what was asked, and by whom:

- **anonymised**: no names, no contacts, no free text (the resident's words, the address and
  the point they shared are left out): numbers, dates, category, grid, status, rating;
- **plain** (the default): also the words, the address and the point;
- **with names and contacts**: also the resident's name and Telegram id, a neighbour's name and
  phone and an Open311 requester's contact, decrypted (services.privacy.FieldCipher) for this
  export only. Only for an administrator who asks (the caller checks the role); a report filed
  anonymously keeps its reporter's name out even then.

The tickets are read in one query (no per-ticket look-ups); the workbook is written in
XlsxWriter's constant-memory mode.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from services.dashboard_figures import OFFICE_OFFSET, DashboardFigures, Figures, Filters
from services.models import Open311Request, Ticket, as_utc
from services.privacy import DecryptionError, FieldCipher
from services.storage import Database

__all__ = ["Detail", "TicketExport", "csv_bytes", "figure_tables", "xlsx_bytes"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Detail(StrEnum):
    ANONYMISED = "anonymised"
    PLAIN = "plain"
    PERSONAL = "personal"  # names and contacts: administrators who ask, only


BASE = [
    "number",
    "status",
    "category",
    "category_name",
    "grid",
    "grid_name",
    "created_at",
    "first_response_at",
    "resolved_at",
    "hours_to_first_response",
    "hours_to_resolve",
    "rating",
    "escalation_level",
]
FREE_TEXT = ["text", "address", "latitude", "longitude"]
PERSONAL = ["resident_id", "resident_name", "neighbour_name", "neighbour_phone", "open311_contact"]


READ = [  # what a row is made from
    "id",
    "number",
    "status",
    "category",
    "grid",
    "created_at",
    "first_response_at",
    "resolved_at",
    "rating",
    "escalation_level",
    "text",
    "address",
    "latitude",
    "longitude",
    "anonymous",
    "resident_id",
    "resident_name",
    "neighbour_name_encrypted",
    "neighbour_phone_encrypted",
]


def columns(detail: Detail) -> list[str]:
    if detail is Detail.ANONYMISED:
        return list(BASE)
    if detail is Detail.PLAIN:
        return BASE + FREE_TEXT
    return BASE + FREE_TEXT + PERSONAL


@dataclass
class TicketExport:
    db: Database
    cipher: FieldCipher
    figures: DashboardFigures
    offset: timedelta = OFFICE_OFFSET

    async def rows(
        self,
        filters: Filters,
        detail: Detail,
        category_name: Callable[[str], str] = str,
        grid_name: Callable[[str], str] = str,
    ) -> tuple[list[str], list[list[Any]]]:
        """The header and one row per ticket received in the filters' period, oldest first."""
        wanted = [getattr(Ticket, name) for name in READ]
        query: Any = (
            select(*wanted, col(Open311Request.contact_encrypted).label("contact"))
            .outerjoin(Open311Request, col(Open311Request.ticket_id) == col(Ticket.id))
            .where(*self.figures.received_in(filters))
            .order_by(col(Ticket.created_at), col(Ticket.id))
        )
        header = columns(detail)
        out: list[list[Any]] = []
        async with self.db.engine.connect() as connection:  # rows, not ORM objects: faster
            for ticket in await connection.execute(query):
                out.append(self._row(ticket, ticket.contact, detail, category_name, grid_name))
        return header, out

    def _row(
        self,
        ticket: Any,  # a row with READ's columns
        contact: str | None,
        detail: Detail,
        category_name: Callable[[str], str],
        grid_name: Callable[[str], str],
    ) -> list[Any]:
        created = as_utc(ticket.created_at)

        def hours(moment: datetime | None) -> float | None:
            if moment is None:
                return None
            return round((as_utc(moment) - created).total_seconds() / 3600, 2)

        row: list[Any] = [
            ticket.number,
            ticket.status,
            ticket.category,
            category_name(ticket.category),
            ticket.grid or "",
            grid_name(ticket.grid) if ticket.grid else "",
            self._local(ticket.created_at),
            self._local(ticket.first_response_at),
            self._local(ticket.resolved_at),
            hours(ticket.first_response_at),
            hours(ticket.resolved_at),
            ticket.rating,
            ticket.escalation_level,
        ]
        if detail is Detail.ANONYMISED:
            return row
        row += [ticket.text, ticket.address or "", ticket.latitude, ticket.longitude]
        if detail is Detail.PLAIN:
            return row
        named = not ticket.anonymous
        return [
            *row,
            ticket.resident_id if named else "",
            ticket.resident_name if named else "",
            self._open(ticket.neighbour_name_encrypted),
            self._open(ticket.neighbour_phone_encrypted),
            _contact(self._open(contact)),
        ]

    def _local(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        return (as_utc(moment) + self.offset).strftime("%Y-%m-%d %H:%M")

    def _open(self, sealed: str | None) -> str:
        if not sealed:
            return ""
        try:
            return self.cipher.decrypt(sealed)
        except DecryptionError:
            return ""


def _contact(opened: str) -> str:
    """An Open311 requester's contact fields as one line: email, names, phone."""
    if not opened:
        return ""
    try:
        fields = json.loads(opened)
    except ValueError:
        return opened
    if not isinstance(fields, dict):
        return opened
    return "; ".join(f"{key}: {value}" for key, value in fields.items() if value)


# --- the figures as tables -----------------------------------------------------------------------


def figure_tables(figures: Figures) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Every figure as a table (name → header, rows): a sheet each in Excel, one CSV with the
    figure's name in the first column."""

    def spread(s: Any) -> list[Any]:
        return [s.count, _round(s.median), _round(s.p90)]

    tables: dict[str, tuple[list[str], list[list[Any]]]] = {
        "per_day": (
            ["day", "received", "resolved"],
            [[d.isoformat(), r, s] for d, r, s in figures.per_day],
        ),
        "by_category": (
            ["category", "received", "resolved", "open"],
            [[t.key, t.received, t.resolved, t.open] for t in figures.by_category],
        ),
        "by_grid": (
            ["grid", "received", "resolved", "open"],
            [[t.key, t.received, t.resolved, t.open] for t in figures.by_grid],
        ),
        "weeks": (
            [
                "week_from",
                "responded",
                "response_median_hours",
                "response_p90_hours",
                "resolved",
                "resolution_median_hours",
                "resolution_p90_hours",
            ],
            [
                [w.start.isoformat(), *spread(w.response), *spread(w.resolution)]
                for w in figures.weeks
            ],
        ),
        "ratings": (["stars", "ratings"], [[n, figures.ratings.get(n, 0)] for n in range(1, 6)]),
        "open_now": (
            ["escalation_level", "open", "overdue"],
            [[lv.level, lv.open, lv.overdue] for lv in figures.levels],
        ),
    }
    certificates = figures.certificates
    if certificates is not None:
        tables["applications"] = (
            ["day", "applications", "approved"],
            [[d.isoformat(), n, a] for d, n, a in certificates.per_day],
        )
        tables["review_minutes"] = (
            ["week_from", "decisions", "median_minutes", "p90_minutes"],
            [["all", *spread(certificates.review)]]
            + [[w.isoformat(), *spread(s)] for w, s in certificates.review_weeks],
        )
        tables["checkins"] = (["hotel", "checkins"], [list(row) for row in certificates.checkins])
    return tables


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# --- the formats ---------------------------------------------------------------------------------


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens Chinese text as Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if cell is None else _safe(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _safe(cell: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula (=, +, -, @) is quoted with '."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def xlsx_bytes(sheets: dict[str, tuple[Sequence[str], Sequence[Sequence[Any]]]]) -> bytes:
    """A workbook with a sheet per table; text is written as text (never as a formula)."""
    import xlsxwriter  # loaded with the first export, not at start

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    bold = book.add_format({"bold": True})
    for name, (header, rows) in sheets.items():
        sheet = book.add_worksheet(name[:31])
        sheet.write_row(0, 0, list(header), bold)
        sheet.freeze_panes(1, 0)
        for index, row in enumerate(rows, start=1):
            sheet.write_row(index, 0, ["" if cell is None else cell for cell in row])
    book.close()
    return buffer.getvalue()
