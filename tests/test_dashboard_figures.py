"""The dashboard's SQL figures on known tickets and applications (SQLite here; the same file on
PostgreSQL with LINKAGE_TEST_DATABASE=postgresql): days and weeks in China time, medians and
90th percentiles, the viewer's grids and the filters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.dashboard_figures import DashboardFigures, Filters, Level, Tally, period_of
from services.models import Application, CheckIn, Ticket
from services.storage import Database

# a Monday in China: 2026-11-02 00:30 China time is 2026-11-01 16:30 UTC
MONDAY = datetime(2026, 11, 1, 16, 30, tzinfo=UTC)
NOW = MONDAY + timedelta(days=10)


def ticket(
    n: int,
    grid: str | None,
    created: datetime,
    *,
    category: str = "drainage",
    respond_h: float | None = None,
    resolve_h: float | None = None,
    rating: int | None = None,
    status: str | None = None,
    level: int = 0,
) -> Ticket:
    return Ticket(
        number=f"2026-{n:06d}",
        resident_id=5000 + n,
        resident_name="Someone",
        category=category,
        grid=grid,
        staff_chat_id=-1001000000011,
        text="words",
        status=status or ("closed" if resolve_h is not None else "new"),
        created_at=created,
        first_response_at=None if respond_h is None else created + timedelta(hours=respond_h),
        resolved_at=None if resolve_h is None else created + timedelta(hours=resolve_h),
        rating=rating,
        escalation_level=level,
    )


@pytest.fixture
async def db(database_url: str) -> Database:
    database = Database(database_url)
    rows: list[object] = [
        # week of Monday 2026-11-02 (China time), grid 1: resolution 1..10 hours
        *(
            ticket(i, "SJB-01", MONDAY + timedelta(hours=i), respond_h=i / 2, resolve_h=float(i))
            for i in range(1, 11)
        ),
        ticket(11, "SJB-02", MONDAY + timedelta(days=7), category="noise", resolve_h=4, rating=5),
        ticket(12, "SJB-02", MONDAY + timedelta(days=7), category="noise", rating=None),
        ticket(13, "SJB-01", NOW - timedelta(hours=2), status="new"),  # overdue to take
        ticket(14, "SJB-01", NOW - timedelta(minutes=10), status="new"),  # not yet
        ticket(15, "SJB-02", NOW - timedelta(days=4), status="taken", level=2),  # overdue
        ticket(16, None, MONDAY + timedelta(days=1), category="other", resolve_h=2, rating=1),
        # 00:10 China time on Tuesday 3 Nov is still Monday 2 Nov in UTC
        ticket(17, "SJB-01", datetime(2026, 11, 2, 16, 10, tzinfo=UTC), rating=4),
        ticket(18, "SJB-01", MONDAY - timedelta(days=40), resolve_h=1),  # before the period
    ]
    for minutes in (30, 60, 93, 120, 300):
        submitted = MONDAY + timedelta(days=2)
        rows.append(
            Application(
                tourist_id=4000 + minutes,
                full_name_encrypted="",
                document_type="prc_id",
                document_number_encrypted="",
                phone_encrypted="",
                hotel_code="wuzhen-xizha",
                check_in=date(2026, 11, 4),
                nights=1,
                selfie_file_id_encrypted="",
                status="approved",
                submitted_at=submitted,
                decided_at=submitted + timedelta(minutes=minutes),
            )
        )
    rows += [
        CheckIn(serial="C2026-000001", hotel_code="wuzhen-xizha", user_id=1, at=MONDAY),
        CheckIn(serial="C2026-000002", hotel_code="wuzhen-xizha", user_id=1, at=MONDAY),
        CheckIn(serial="C2026-000003", hotel_code="dongzha", user_id=1, at=MONDAY),
        CheckIn(
            serial="C2026-000004", hotel_code="dongzha", user_id=1, at=MONDAY, undone_at=MONDAY
        ),
    ]
    async with database.session() as session:
        session.add_all(rows)
        await session.commit()
    yield database
    await database.close()


def everything(**filters: object) -> Filters:
    since, until = period_of(date(2026, 11, 1), date(2026, 11, 30), date(2026, 11, 30))
    return Filters(since=since, until=until, **filters)  # type: ignore[arg-type]


async def test_the_whole_street_in_figures(db: Database) -> None:
    figures = await DashboardFigures(db).figures(everything(), now=NOW)

    days = {day: (received, resolved) for day, received, resolved in figures.per_day}
    assert days[date(2026, 11, 2)] == (10, 10)  # received and resolved the same day
    assert days[date(2026, 11, 3)] == (2, 1)  # ticket 16 and ticket 17 (China time)
    assert days[date(2026, 11, 9)] == (2, 1)
    assert sum(received for received, _ in days.values()) == 17

    assert figures.by_category[0] == Tally("drainage", 14, 10, 4)
    assert Tally("noise", 2, 1, 1) in figures.by_category
    grids = {tally.key: tally for tally in figures.by_grid}
    assert grids["SJB-01"] == Tally("SJB-01", 13, 10, 3)
    assert grids[""].received == 1  # a ticket without a grid

    first = figures.weeks[0]
    assert first.start == date(2026, 11, 2)
    assert first.resolution.count == 11  # 1..10 hours and ticket 16's 2 hours
    assert first.resolution.median == pytest.approx(5.0, abs=0.01)  # 1,2,2,3,..,10: 6th is 5
    assert first.resolution.p90 == pytest.approx(9.0, abs=0.01)  # rank ceil(9.9) = 10
    assert first.response.count == 10
    assert first.response.median == pytest.approx(2.75, abs=0.01)  # (2.5 + 3) / 2
    assert first.response.p90 == pytest.approx(4.5, abs=0.01)

    assert figures.ratings == {1: 1, 4: 1, 5: 1}
    assert figures.satisfaction == pytest.approx(10 / 3)
    assert figures.levels == [Level(0, 4, 3), Level(2, 1, 1)]  # 12, 13, 17 late; 14 not

    certificates = figures.certificates
    assert certificates is not None
    assert certificates.per_day == [(date(2026, 11, 4), 5, 5)]
    assert certificates.review.count == 5
    assert certificates.review.median == pytest.approx(93.0, abs=0.01)
    assert certificates.review.p90 == pytest.approx(300.0, abs=0.01)
    assert certificates.checkins == [("wuzhen-xizha", 2), ("dongzha", 1)]


async def test_a_viewer_of_one_grid_sees_only_it_and_no_certificates(db: Database) -> None:
    figures = await DashboardFigures(db).figures(everything(grids=frozenset({"SJB-02"})), now=NOW)
    assert [tally.key for tally in figures.by_grid] == ["SJB-02"]
    assert sum(received for _, received, _ in figures.per_day) == 3
    assert figures.levels == [Level(0, 1, 1), Level(2, 1, 1)]
    assert figures.certificates is None
    asked_other = await DashboardFigures(db).figures(
        everything(grids=frozenset({"SJB-02"}), grid="SJB-01"), now=NOW
    )
    assert asked_other.by_grid == [] and asked_other.per_day == []


async def test_filters_by_grid_category_and_period(db: Database) -> None:
    service = DashboardFigures(db)
    noise = await service.figures(everything(category="noise"), now=NOW)
    assert [tally.key for tally in noise.by_category] == ["noise"]
    assert noise.ratings == {5: 1}
    one = await service.figures(everything(grid="SJB-01"), now=NOW)
    assert [tally.key for tally in one.by_grid] == ["SJB-01"]
    since, until = period_of(date(2026, 11, 9), date(2026, 11, 9), date(2026, 11, 30))
    assert since == datetime(2026, 11, 8, 16, 0, tzinfo=UTC)
    assert until == datetime(2026, 11, 9, 16, 0, tzinfo=UTC)
    day = await service.figures(Filters(since, until), now=NOW)
    assert [(d, r) for d, r, _ in day.per_day] == [(date(2026, 11, 9), 2)]
