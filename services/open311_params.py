"""Open311 GeoReport v2 requests read and checked: a GET search's parameters and a POSTed
service request, each wrong one refused as an `Open311Error` (an HTTP status and words saying
what was wrong). Kept apart from the service (services/open311.py), which acts on what is
checked here; handlers/open311.py turns the errors into the spec's error list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from services.tickets import TEXT_LIMIT

MAX_SPAN = timedelta(days=90)  # the spec's default window and the longest one may ask for
MAX_RESULTS = 1000
CONTACT_FIELDS = ("email", "first_name", "last_name", "phone", "device_id", "account_id")
FIELD_LIMIT = 200
MEDIA_URL_LIMIT = 1000


class Open311Error(Exception):
    """An answer of the error list: an HTTP status and a description of what was wrong."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


@dataclass(frozen=True)
class Query:
    """A GET requests search: ids override everything else."""

    ids: tuple[str, ...] = ()
    service_code: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Submission:
    service_code: str
    latitude: float | None
    longitude: float | None
    address: str | None
    description: str
    contact: dict[str, str]
    media_url: str | None = None


def _text(value: str | None) -> str:
    """A field as stored: NUL characters (which PostgreSQL cannot store) left out, trimmed."""
    return (value or "").replace("\x00", "").strip()


def storable(value: str) -> bool:
    """Whether a looked-up value could be stored at all (no NUL: it can match nothing)."""
    return "\x00" not in value


def parse_moment(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Open311Error(400, f"{name} is not a date and time (ISO 8601)") from None
    if not 1900 <= moment.year <= 9000:  # and so far from the ends that 90 days fit around it
        raise Open311Error(400, f"{name} must be between the years 1900 and 9000")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_query(params: Mapping[str, str]) -> Query:
    """The GET requests parameters, checked; Open311Error(400) names the one that is wrong."""
    asked = params.get("service_request_id", "")
    if asked:
        ids = tuple(part.strip() for part in asked.split(",") if storable(part))
        return Query(ids=ids[:MAX_RESULTS] or ("",))
    statuses = tuple(s.strip() for s in params.get("status", "").split(",") if s.strip())
    if any(status not in ("open", "closed") for status in statuses):
        raise Open311Error(400, "status must be open, closed, or both separated by a comma")
    start = parse_moment(params["start_date"], "start_date") if params.get("start_date") else None
    end = parse_moment(params["end_date"], "end_date") if params.get("end_date") else None
    if start is not None and end is not None:
        if end < start:
            raise Open311Error(400, "end_date is before start_date")
        if end - start > MAX_SPAN:
            raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    return Query(
        service_code=params.get("service_code") or None, start=start, end=end, statuses=statuses
    )


def parse_submission(params: Mapping[str, str]) -> Submission:
    """A POSTed request, checked; Open311Error(400) says what is missing or wrong."""
    code = _text(params.get("service_code"))
    if not code:
        raise Open311Error(400, "service_code is required")
    latitude = _coordinate(params.get("lat"), "lat", 90)
    longitude = _coordinate(params.get("long"), "long", 180)
    if (latitude is None) != (longitude is None):
        raise Open311Error(400, "lat and long go together: give both or neither")
    address = _text(params.get("address_string") or params.get("address_id"))[:300]
    if latitude is None and not address:
        raise Open311Error(400, "a location is required: lat and long, or address_string")
    description = _text(params.get("description"))
    if len(description) > TEXT_LIMIT:
        raise Open311Error(400, f"description is longer than {TEXT_LIMIT} characters")
    contact = {}
    for name in CONTACT_FIELDS:
        value = _text(params.get(name))
        if len(value) > FIELD_LIMIT:
            raise Open311Error(400, f"{name} is longer than {FIELD_LIMIT} characters")
        if value:
            contact[name] = value
    media_url = _media_url(params.get("media_url"))
    return Submission(code, latitude, longitude, address or None, description, contact, media_url)


def _media_url(value: str | None) -> str | None:
    """The client's link to its media: an absolute http(s) URL with a host, or nothing.

    Shown to staff as a link and given back in GET answers, so nothing else (javascript:,
    data:, a relative path, spaces or control characters) is kept.
    """
    url = (value or "").strip()
    if not url:
        return None
    wrong = Open311Error(400, "media_url must be an http or https URL")
    if len(url) > MEDIA_URL_LIMIT:
        raise Open311Error(400, f"media_url is longer than {MEDIA_URL_LIMIT} characters")
    if any(character.isspace() or not character.isprintable() for character in url):
        raise wrong
    try:
        parts = urlsplit(url)
    except ValueError:
        raise wrong from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise wrong
    return url


def _coordinate(value: str | None, name: str, limit: float) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        number = float(value)
    except ValueError:
        raise Open311Error(400, f"{name} is not a number") from None
    if not math.isfinite(number) or abs(number) > limit:
        raise Open311Error(400, f"{name} must be between -{limit:g} and {limit:g}")
    return number
