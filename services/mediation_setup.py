"""The mediation services built together (the composition root calls `build_mediation`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from services.certificates import china_today
from services.keyring import KeyRing
from services.mediation import MediationNotices, MediationService
from services.mediation_appointments import AppointmentNotices, MediationAppointments
from services.mediation_outcomes import MediationOutcomes, OutcomeNotices
from services.mediation_routing import directory_of
from services.outbox import Outbox
from services.privacy import FieldCipher
from services.routing import Routing
from services.storage import Database


class AllNotices(MediationNotices, AppointmentNotices, OutcomeNotices, Protocol):
    pass


@dataclass
class Mediation:
    cases: MediationService
    appointments: MediationAppointments
    outcomes: MediationOutcomes

    def follow(self, routing: Routing) -> None:
        """The routing data changed: the organisations are read again."""
        self.cases.directory = directory_of(routing.mediation)


def build_mediation(
    db: Database,
    outbox: Outbox,
    cipher: FieldCipher,
    routing: Routing,
    notices: AllNotices,
    keys: KeyRing,
    base_url: str,
    meeting_url: str | None,
) -> Mediation:
    cases = MediationService(
        db, outbox, cipher, directory_of(routing.mediation), notices, routing.street_office_chat_id
    )
    return Mediation(
        cases,
        MediationAppointments(cases, notices, meeting_url),
        MediationOutcomes(cases, keys, base_url, notices, china_today),
    )
