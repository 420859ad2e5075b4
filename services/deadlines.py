"""A deadline as people type it, in the office's time zone: a few explicit forms, no guessing.

    2026-12-10 18:00   2026/12/10 18:00   12-10 18:00   12/10 18:00
    10 Dec 18:00       Dec 10 18:00       10 December 6pm
    tomorrow 18:00     today 9:30         明天 18:00    后天下午3点
    12月10日18点       2026年12月10日 18:00             12月10号 下午6点半

A date without a year is the next one to come (a date already past this year is next year's);
a time is 24-hour unless it says am/pm or 上午/下午/晚上. Anything else is None, and the caller
lists these forms. (dateparser reads more, but is large and guesses: a deadline is better
refused than misread.)
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
RELATIVE = {
    "today": 0,
    "tomorrow": 1,
    "day after tomorrow": 2,
    "今天": 0,
    "今日": 0,
    "明天": 1,
    "明日": 1,
    "后天": 2,
}
AFTERNOON = ("下午", "晚上", "傍晚", "pm")

TIME = re.compile(
    r"(?P<part>上午|早上|中午|下午|傍晚|晚上)?\s*(?P<h>\d{1,2})"
    r"(?:(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm)|:(?P<m2>\d{2})|[点時时](?:(?P<half>半)|(?P<m3>\d{1,2})分?)?)$"
)
ISO = re.compile(r"(?:(?P<y>\d{4})[-/.])?(?P<mo>\d{1,2})[-/.](?P<d>\d{1,2})")
CHINESE = re.compile(r"(?:(?P<y>\d{4})年)?(?P<mo>\d{1,2})月(?P<d>\d{1,2})[日号]?")
DAY_MONTH = re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?P<mon>[a-z]+)\.?,?(?:\s+(?P<y>\d{4}))?")
MONTH_DAY = re.compile(r"(?P<mon>[a-z]+)\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(?P<y>\d{4}))?")


def parse_deadline(words: str, now: datetime, zone: tzinfo) -> datetime | None:
    """The moment the words name, aware in `zone`; None when they are not one of the forms."""
    text = " ".join(words.replace("：", ":").replace("，", " ").lower().split())
    found = TIME.search(text)
    if found is None:
        return None
    at = _time(found)
    day_words = text[: found.start()].strip().rstrip(",")
    today = now.astimezone(zone).date()
    day = _day(day_words, today) if at is not None else None
    if day is None or at is None:
        return None
    return datetime.combine(day, at, tzinfo=zone)


def _time(found: re.Match[str]) -> time | None:
    hour = int(found["h"])
    minute = int(found["m"] or found["m2"] or found["m3"] or (30 if found["half"] else 0))
    afternoon = (found["part"] or found["ampm"] or "") in AFTERNOON
    if found["ampm"] or found["part"]:
        if not 1 <= hour <= 12 and not (found["part"] and hour <= 23):
            return None
        if afternoon and hour < 12:
            hour += 12
        elif found["ampm"] == "am" and hour == 12:
            hour = 0
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _day(words: str, today: date) -> date | None:
    if words in RELATIVE:
        return today + timedelta(days=RELATIVE[words])
    for pattern in (ISO, CHINESE):
        if found := pattern.fullmatch(words):
            return _dated(found["y"], int(found["mo"]), int(found["d"]), today)
    for pattern in (DAY_MONTH, MONTH_DAY):
        if (found := pattern.fullmatch(words)) and found["mon"] in MONTHS:
            return _dated(found["y"], MONTHS[found["mon"]], int(found["d"]), today)
    return None


def _dated(year: str | None, month: int, day: int, today: date) -> date | None:
    try:
        if year is not None:
            return date(int(year), month, day)
        this_year = date(today.year, month, day)
    except ValueError:
        return None
    if this_year >= today:
        return this_year
    try:
        return date(today.year + 1, month, day)
    except ValueError:  # 29 February
        return None
