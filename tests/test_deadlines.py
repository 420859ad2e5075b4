"""The deadline forms staff type, read in the office's time zone (services/deadlines.py)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from services.deadlines import parse_deadline

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("2026-12-10 18:00", "2026-12-10 18:00"),
        ("2026/12/10 18:00", "2026-12-10 18:00"),
        ("12-10 18:00", "2026-12-10 18:00"),
        ("12/10 18:00", "2026-12-10 18:00"),
        ("10 Dec 18:00", "2026-12-10 18:00"),
        ("Dec 10 18:00", "2026-12-10 18:00"),
        ("10 December 6pm", "2026-12-10 18:00"),
        ("december 10, 6:30 pm", "2026-12-10 18:30"),
        ("tomorrow 18:00", "2026-12-03 18:00"),
        ("Tomorrow 9:05", "2026-12-03 09:05"),
        ("day after tomorrow 12am", "2026-12-04 00:00"),
        ("明天 18:00", "2026-12-03 18:00"),
        ("明天18点", "2026-12-03 18:00"),
        ("后天下午3点", "2026-12-04 15:00"),
        ("12月10日18点", "2026-12-10 18:00"),
        ("12月10日 18：30", "2026-12-10 18:30"),
        ("12月10号 下午6点半", "2026-12-10 18:30"),
        ("2027年1月5日 9点15分", "2027-01-05 09:15"),
        ("1-5 09:00", "2027-01-05 09:00"),  # a date past this year is next year's
        ("12-02 09:00", "2026-12-02 09:00"),  # today, already past: the caller refuses it
    ],
)
def test_the_forms_people_type_are_read(typed: str, meant: str) -> None:
    found = parse_deadline(typed, NOW, SHANGHAI)
    assert found is not None, typed
    assert f"{found:%Y-%m-%d %H:%M}" == meant
    assert found.tzinfo is SHANGHAI


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "soon",
        "next week",
        "2026-12-10",
        "18:00",
        "2026-13-01 18:00",
        "2026-02-30 18:00",
        "10 Foo 18:00",
        "明天",
        "12月10日",
        "tomorrow 25:00",
        "tomorrow 13pm",
        "12-10 18:75",
    ],
)
def test_anything_else_is_refused_not_guessed(typed: str) -> None:
    assert parse_deadline(typed, NOW, SHANGHAI) is None
