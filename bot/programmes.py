"""The programmes beside tickets and certificates, each wired from Settings and the routing
file's section: the legal service point and rental housing."""

from __future__ import annotations

from aiogram import Dispatcher
from aiogram.utils.i18n import I18n

from bot.dispatcher import TrackedDispatcher
from bot.settings import Settings
from handlers.lawyer_booking_notices import TelegramBookingNotices
from handlers.lawyer_notices import TelegramLegalNotices
from handlers.notices import TelegramTicketNotices
from handlers.rental_notices import TelegramRentalNotices
from services.authorization import Authorization
from services.legal import LegalDesk
from services.legal_bookings import Bookings
from services.legal_duty import DutyRoster
from services.legal_hours import ServiceHours
from services.legal_routing import CurrentPoint
from services.outbox import Outbox
from services.privacy import FieldCipher
from services.rental import RentalService
from services.rental_inspections import InspectionService
from services.rental_queries import RentalFigures
from services.rental_removal import HouseRemoval
from services.routing import Routing
from services.routing_store import LiveRouting
from services.storage import Database


def build_legal(
    settings: Settings,
    db: Database,
    outbox: Outbox,
    cipher: FieldCipher,
    notices: TelegramTicketNotices,
    authorization: Authorization,
    dispatcher: Dispatcher,
) -> tuple[LegalDesk, Bookings]:
    """The legal service point (the routing file's `legal:` section): questions, duty,
    consultations and service hours."""
    current = CurrentPoint(notices.routing.legal)
    legal_notices = TelegramLegalNotices(notices, current)
    legal = LegalDesk(db, outbox, cipher, legal_notices)
    booking_notices = TelegramBookingNotices(legal_notices)
    bookings = Bookings(db, outbox, current, booking_notices, settings.zone)
    dispatcher.workflow_data.update(
        current=current,
        legal=legal,
        legal_notices=legal_notices,
        booking_notices=booking_notices,
        bookings=bookings,
        duty=DutyRoster(db, current, authorization),
        hours=ServiceHours(db),
    )
    return legal, bookings


def build_rental(
    settings: Settings,
    db: Database,
    outbox: Outbox,
    cipher: FieldCipher,
    i18n: I18n,
    routing: Routing,
    dispatcher: TrackedDispatcher,
    live: LiveRouting,
) -> RentalService:
    """Rental houses (services/rental*.py): their notices follow the routing in use."""
    notices = TelegramRentalNotices(
        i18n, routing, settings.effective_staff_locale, cipher, settings.zone
    )
    rental = RentalService(
        db,
        outbox,
        cipher,
        notices,
        routing.rental,
        retention_days=settings.personal_data_retention_days,
    )
    dispatcher.workflow_data.update(
        rental=rental,
        inspections=InspectionService(rental),
        rental_figures=RentalFigures(db),
        house_removal=HouseRemoval(rental),
    )
    live.on_change(lambda current: setattr(notices, "routing", current))
    live.on_change(lambda current: setattr(rental, "rules", current.rental))
    return rental
