"""A year of a street office, compressed: does the database and Redis stay at a steady size?

Each simulated day, residents file tickets (through TicketService, as the conversation does),
staff take and answer each, a resident's dozen updates are claimed (UpdateLog); tourists apply
for accommodation certificates (through ApplicationService, as the form does), a verifier
approves most (the certificate signed, its card drawn and queued as an encrypted file in
DATA_DIR/outbox-files), declines some and leaves a few undecided, and each certificate is
verified a few times (CertificateService.verify: the verification log). Everything the outbox
holds is delivered by a real Sender through Redis Streams to the Bot API stand-in.

The clock: CertificateService takes one (issue times, the verification log, key ages) and runs
on the simulated day; ApplicationService stamps submissions and decisions with the real clock
and a rejection's purge day from it, so those, like notifications and update claims, are dated
back to their simulated day. At each month's end the rounds the bot runs (bot.runner:
purge_personal_data, lapse_undecided, tidy_certificates' parts, tidy_delivery's parts) run with
that month's clock. Prints, per month: rows, the SQLite file's used size, Redis memory and
stream entries, the card files waiting, and their growth over the month before. Tickets, their
events and the (masked) certificates grow, as the office's records should; the rest should stay
flat.

    .venv/bin/python -m bench.year [tickets_per_day] [months] [--applications-per-day N]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import sys
import tempfile
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import update
from sqlmodel import col, func, select

from bench.report import load_average, machine
from bot.factory import Linkage, build
from bot.localapi import BotAPIStandin, Limits
from bot.sender import Sender
from services.applications import REJECTED, ApplicationDraft, ApplicationService, Verifier
from services.certificates import CertificateService, Channel, china_today
from services.models import (
    Application,
    Certificate,
    Notification,
    ProcessedUpdate,
    Ticket,
    TicketEvent,
    VerificationLog,
    utcnow,
)
from services.outbox_files import FOLDER
from services.queue import RedisStreamQueue
from services.ratelimit import FloodLimits, RedisRateLimiter, Window
from services.retention import OutboxRetention
from services.ticket_contract import Draft, Staff
from services.updates import UpdateLog
from tests.support.running import bot_settings
from tests.support.servers import RedisServer

GRID_CHAT = -1001000000011  # grid 1 in the sample routing file
VERIFIER_CHAT = -1001000000099
RESIDENTS = 500  # the street's people who report, some of them often
UPDATES_PER_TICKET = 12  # words, category, place, photos, submit, rating…
UNLIMITED = FloodLimits(Window(10_000, 1.0), Window(10_000, 1.0), Window(10_000, 1.0))
TOURISTS = 1_000_000  # tourist ids start here; each application is a new tourist
HOTELS = ("wuzhen-xizha",)  # in the sample routing file
# of every 20 applications: 1 left undecided (it lapses), 2 declined, the rest approved
UNDECIDED_EVERY, DECLINED = 20, (7, 14)
VERIFICATIONS = (Channel.BOT, Channel.WEB, Channel.API)  # check-in desk, the QR page, a check
VERIFIER = Verifier(222222, "Li Na")


class Clock:
    """The simulated moment, for the services that take a clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Office:
    linkage: Linkage
    clock: Clock
    certificates: CertificateService
    applications: ApplicationService
    rotate_every: int  # months; 0: never
    applied: int = 0
    claims: list[int] = field(default_factory=list)


def office(linkage: Linkage, clock: Clock, rotate_every: int) -> Office:
    """The bot's certificate and application services, built as bot.factory does, on `clock`."""
    settings, built = linkage.settings, linkage.applications
    certificates = CertificateService(
        linkage.db,
        linkage.certificates.keys,
        settings.effective_public_base_url,
        max_nights=settings.certificate_max_nights,
        clock=clock,
    )
    applications = ApplicationService(
        linkage.db,
        linkage.outbox,
        linkage.cipher,
        certificates,
        built.notices,
        built.hotel_names,
        retention_days=built.retention_days,
        undecided_days=built.undecided_days,
        card_font=built.card_font,
    )
    return Office(linkage, clock, certificates, applications, rotate_every)


async def simulate(
    tickets_per_day: int,
    applications_per_day: int,
    months: int,
    rotate_every: int,
    directory: Path,
) -> list[dict[str, Any]]:
    standin = BotAPIStandin(limits=Limits(private_burst=10_000, group_messages=10_000))
    await standin.start()
    standin.group(GRID_CHAT, title="Grid 1 staff")
    standin.group(VERIFIER_CHAT, title="Verifiers")
    for n in range(RESIDENTS):
        standin.user(100_000 + n, f"Resident {n}", language_code="en")
    redis_server = RedisServer(directory / "redis")
    (directory / "redis").mkdir()
    redis_server.start()
    settings = bot_settings(
        standin,
        data_dir=directory / "data",
        redis_url=redis_server.url,
        staff_chat_id=GRID_CHAT,
        verifier_chat_id=VERIFIER_CHAT,
    )
    linkage = build(settings)
    redis = Redis.from_url(redis_server.url)
    try:
        from services.migrate import upgrade_to_head

        await upgrade_to_head(linkage.db, lambda: linkage.cipher)
        queue = RedisStreamQueue(redis)
        sender = Sender(
            linkage.bot,
            linkage.outbox,
            queue,
            RedisRateLimiter(redis, UNLIMITED),
            consumer="year",
            concurrency=32,
        )
        retention = OutboxRetention(linkage.outbox, file_grace_seconds=0)
        updates = UpdateLog(linkage.db)
        worker = Staff(111111, "Wang Fang")
        start = utcnow() - timedelta(days=30 * months)
        street = office(linkage, Clock(start), rotate_every)
        update_id, resident, report = 0, 0, []
        stop = asyncio.Event()
        sending = asyncio.create_task(sender.run(stop))
        for month in range(months):
            for day in range(30):
                today = start + timedelta(days=30 * month + day)
                street.clock.now = today
                first_row, first_application = await _last_ids(linkage)
                claims = []
                for _ in range(tickets_per_day):
                    resident += 1
                    ticket = await linkage.tickets.create(
                        Draft(
                            resident_id=100_000 + resident % RESIDENTS,
                            resident_name=f"Resident {resident % RESIDENTS}",
                            resident_locale="en",
                            text=f"The drain by house {resident} is blocked",
                            category="drainage",
                            grid=None,
                            staff_chat_id=GRID_CHAT,
                        )
                    )
                    assert ticket.id is not None
                    await linkage.tickets.take(ticket.id, worker)
                    await linkage.tickets.reply_from_staff(
                        ticket.id, worker, "We clear it tomorrow morning."
                    )
                    for _ in range(UPDATES_PER_TICKET):
                        update_id += 1
                        await updates.claim(update_id)
                        await updates.finish(update_id)
                        claims.append(update_id)
                waiting = [
                    await _apply(street, standin, today) for _ in range(applications_per_day)
                ]
                await linkage.relay.run_once()  # the verifiers see the cards, then decide
                await _until_delivered(linkage)
                for application_id in waiting:
                    await _decide(street, application_id)
                await linkage.relay.run_once()
                await _until_delivered(linkage)
                await _date_back(linkage, first_row, claims, today)
                await _date_back_applications(street, first_application, today)
            now = start + timedelta(days=30 * (month + 1))
            street.clock.now = now
            first_row, _ = await _last_ids(linkage)
            await _certificate_rounds(street, month + 1)
            await linkage.relay.run_once()  # what lapsing told tourists and verifiers
            await _until_delivered(linkage)
            await _date_back(linkage, first_row, [], now)
            s = linkage.settings
            swept_kb = _card_files(linkage)[1]  # a month of cards and edits, sent, not swept
            pruned = await retention.prune(
                now - timedelta(days=s.notification_retention_days),
                now - timedelta(days=s.dead_letter_retention_days),
            )
            await updates.prune(
                keep_for=utcnow() - (now - timedelta(hours=s.processed_update_retention_hours))
            )
            await queue.trim()
            row = await _measure(linkage, redis, queue, month + 1)
            report.append({**row, "cards_swept": pruned.files, "swept_kb": swept_kb})
        stop.set()
        await sending
        return report
    finally:
        await redis.aclose()
        await linkage.close()
        redis_server.stop()
        await standin.stop()


async def _apply(street: Office, standin: BotAPIStandin, today: datetime) -> int:
    """A new tourist's application, as the form submits it (a selfie, a passport)."""
    street.applied += 1
    n = street.applied
    tourist = TOURISTS + n
    standin.user(tourist, f"Tourist {n}", language_code="en")
    selfie = standin.state.files.add_photo(f"selfie {n}".encode())[-1]["file_id"]
    application = await street.applications.submit(
        ApplicationDraft(
            tourist_id=tourist,
            locale="en",
            full_name=f"Tourist Number {n}",
            document_type="passport",
            document_number=f"E{n:08d}",
            birth_date=date(1990, 1, 1) + timedelta(days=n % 9000),
            phone=f"+86 138 {n:08d}",
            hotel_code=HOTELS[n % len(HOTELS)],
            check_in=china_today(today),
            nights=1 + n % 4,
            selfie_file_id=selfie,
            intake_key=f"year-{n}",
        )
    )
    assert application.id is not None
    return application.id


async def _decide(street: Office, application_id: int) -> None:
    """Approved, declined or left to lapse; each certificate verified at the front desk, from
    its QR page and by an API check."""
    turn = application_id % UNDECIDED_EVERY
    if turn == 0:
        return
    if turn in DECLINED:
        await street.applications.reject(application_id, VERIFIER, "photo_unclear")
        return
    issued = await street.applications.approve(application_id, VERIFIER)
    for channel in VERIFICATIONS:
        await street.certificates.verify(issued.token, channel)


async def _certificate_rounds(street: Office, month: int) -> None:
    """bot.runner's purge rounds and tidy_certificates, at the simulated month's end; the
    operator rotates the signing key every `rotate_every` months (`python -m bot rotate-keys`)."""
    now, settings = street.clock.now, street.linkage.settings
    if street.rotate_every and month % street.rotate_every == 0:
        street.certificates.rotate_keys()
    await street.applications.purge_personal_data(china_today(now))
    await street.applications.lapse_undecided(now)
    await street.certificates.prune_keys()
    await street.certificates.purge_verification_log(
        now - timedelta(days=settings.verification_log_retention_days)
    )


async def _last_ids(linkage: Linkage) -> tuple[int, int]:
    async with linkage.db.session() as session:
        notification = (await session.exec(select(func.max(Notification.id)))).one()
        application = (await session.exec(select(func.max(Application.id)))).one()
    return int(notification or 0), int(application or 0)


async def _until_delivered(linkage: Linkage) -> None:
    for _ in range(600):
        counts = await linkage.outbox.counts()
        if not counts.get("pending") and not counts.get("queued"):
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"notifications stuck: {await linkage.outbox.counts()}")


async def _date_back(linkage: Linkage, after_id: int, claims: list[int], day: datetime) -> None:
    async with linkage.db.session() as session:
        await session.exec(
            update(Notification).where(col(Notification.id) > after_id).values(created_at=day)
        )
        await session.exec(
            update(ProcessedUpdate)
            .where(col(ProcessedUpdate.update_id).in_(claims))
            .values(received_at=day)
        )
        await session.commit()


async def _date_back_applications(street: Office, after_id: int, day: datetime) -> None:
    """ApplicationService takes no clock: submissions and decisions are dated back, and a
    rejection's purge day set from the simulated day as `reject` sets it from today."""
    keep = timedelta(days=street.applications.retention_days)
    async with street.linkage.db.session() as session:
        newer = col(Application.id) > after_id
        await session.exec(update(Application).where(newer).values(submitted_at=day))
        decided = col(Application.decided_at).is_not(None)
        await session.exec(update(Application).where(newer, decided).values(decided_at=day))
        await session.exec(
            update(Application)
            .where(newer, col(Application.status) == REJECTED)
            .values(purge_after=day.date() + keep)
        )
        await session.commit()


async def _measure(
    linkage: Linkage, redis: Redis, queue: RedisStreamQueue, month: int
) -> dict[str, Any]:
    async with linkage.db.session() as session:

        async def count(model: Any, *where: Any) -> int:
            query = select(func.count()).select_from(model)
            return int((await session.exec(query.where(*where))).one())

        rows = {
            "tickets": await count(Ticket),
            "events": await count(TicketEvent),
            "notifications": await count(Notification),
            # rows that still say something (not yet slimmed to "message → ticket")
            "with_text": sum(
                1 for params in await session.exec(select(Notification.params)) if params
            ),
            "claims": await count(ProcessedUpdate),
            "applications": await count(Application),
            "certificates": await count(Certificate),
            "personal_data": await count(Application, col(Application.full_name_encrypted) != ""),
            "verify_log": await count(VerificationLog),
        }
    path = Path(linkage.settings.effective_database_url.split("///", 1)[1])
    with closing(sqlite3.connect(path)) as db:
        pages, free, size = (
            db.execute(f"PRAGMA {pragma}").fetchone()[0]
            for pragma in ("page_count", "freelist_count", "page_size")
        )
    card_files, card_kb = _card_files(linkage)
    memory: Any = await redis.info("memory")
    return {
        "month": month,
        **rows,
        "keys": len(linkage.certificates.keys.list_keys()),
        "db_used_kb": (pages - free) * size // 1024,
        "redis_kb": int(memory["used_memory"]) // 1024,
        "stream_entries": sum((await queue.length()).values()),
        "card_files": card_files,
        "card_kb": card_kb,
    }


def _card_files(linkage: Linkage) -> tuple[int, int]:
    """How many files DATA_DIR/outbox-files holds, and their kB (encrypted cards, pictures)."""
    folder = linkage.settings.data_dir / FOLDER
    files = list(folder.iterdir()) if folder.is_dir() else []
    return len(files), sum(file.stat().st_size for file in files) // 1024


def print_report(report: list[dict[str, Any]]) -> None:
    columns = list(report[0])
    width = max(len(c) for c in columns) + 1
    print(" ".join(f"{c:>{width}}" for c in columns))
    previous: dict[str, Any] | None = None
    for row in report:
        print(" ".join(f"{row[c]:>{width}}" for c in columns))
        if previous is not None:
            growth = {c: row[c] - previous[c] for c in columns if c != "month"}
            print(" ".join(f"{f'{growth[c]:+}' if c != 'month' else '':>{width}}" for c in columns))
        previous = row


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench.year", description=__doc__.split("\n")[0])
    parser.add_argument("tickets_per_day", nargs="?", type=int, default=3)
    parser.add_argument("months", nargs="?", type=int, default=12)
    parser.add_argument("--applications-per-day", type=int, default=2, metavar="N")
    parser.add_argument(
        "--rotate-keys-every", type=int, default=3, metavar="MONTHS", help="0: never"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    load = load_average()
    with tempfile.TemporaryDirectory() as folder:
        report = asyncio.run(
            simulate(
                args.tickets_per_day,
                args.applications_per_day,
                args.months,
                args.rotate_keys_every,
                Path(folder),
            )
        )
    print(
        f"a street office, {args.tickets_per_day} tickets and {args.applications_per_day} "
        f"certificate applications a day for {args.months} months of 30 days; the signing key "
        f"rotated every {args.rotate_keys_every} months"
    )
    print(f"{machine()}\nload average before: {load}; after: {load_average()}")
    print_report(report)


if __name__ == "__main__":
    main(sys.argv[1:])
