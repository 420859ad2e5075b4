"""What the application service (services/applications.py) takes and answers with: the
statuses and rejection reasons, its errors, a tourist's draft and personal data, the verifier,
the review figures, and the `ApplicationNotices` the bot renders.

Its own module so the handlers read this vocabulary without the service's database work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from services.certificates import Issued
from services.models import Application
from services.outbox import Outgoing, SentMessage

SUBMITTED, APPROVED, REJECTED, LAPSED = "submitted", "approved", "rejected", "lapsed"
WITHDRAWN = "withdrawn"  # by the tourist, before a decision (the Mini App)
REASONS = ("details_mismatch", "photo_unclear", "other")


class ApplicationError(Exception):
    pass


class StayOver(ApplicationError):
    """The stay's last day is past: a certificate would be dead on arrival."""


class AlreadyDecided(ApplicationError):
    def __init__(self, status: str, by: str) -> None:
        super().__init__(status)
        self.status = status
        self.by = by


@dataclass(frozen=True)
class ApplicationDraft:
    tourist_id: int
    locale: str
    full_name: str
    document_type: str
    document_number: str
    birth_date: date | None
    phone: str
    hotel_code: str
    check_in: date
    nights: int
    selfie_file_id: str
    intake_key: str | None = None  # the form's name: the same form is one application


@dataclass(frozen=True)
class PersonalData:
    """What identifies the tourist, as they gave it; empty once purged."""

    full_name: str
    document_number: str
    birth_date: date | None
    phone: str
    selfie_file_id: str


@dataclass(frozen=True)
class Verifier:
    user_id: int
    name: str


@dataclass(frozen=True)
class ReviewStats:
    submitted: int
    approved: int
    rejected: int
    waiting: int
    median_review: timedelta | None
    p90_review: timedelta | None


class ApplicationNotices(Protocol):
    def submitted(self, application: Application, personal: PersonalData) -> list[Outgoing]:
        """The card verifiers decide on: sealed, for it carries the personal data."""
        ...

    def approved(
        self, application: Application, issued: Issued, card_png: bytes
    ) -> list[Outgoing]: ...

    def rejected(self, application: Application) -> list[Outgoing]: ...

    def lapsed(self, application: Application) -> list[Outgoing]: ...

    def closed(
        self, application: Application, masked_name: str, cards: list[SentMessage]
    ) -> list[Outgoing]:
        """The cards, now decided or lapsed, edited down to a summary without personal data."""
        ...


def reference(application_id: int | None) -> str:
    return f"application:{application_id}"
