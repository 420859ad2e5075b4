"""A year of work leaves Redis and the database at a steady size, and loses nothing on the way.

Real parts: a redis-server, the Bot API stand-in, the sender and relay, SQLite or PostgreSQL.
Time is compressed: rows are dated back to the month they stand for, and the retention round is
run with that month's clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy import update
from sqlmodel import col, func, select

from bot.factory import build
from bot.localapi import BotAPIStandin
from services.models import Notification, ProcessedUpdate, utcnow
from services.outbox import Outgoing
from services.outbox_files import FILE_REF, FOLDER
from services.queue import GROUP, Entry, RedisStreamQueue
from services.retention import OutboxRetention
from services.updates import UpdateLog
from tests import test_delivery
from tests.support.people import inline_buttons
from tests.test_delivery import Delivery, residents, run_until_delivered
from tests.test_resident_requests import next_message
from tests.test_tourist_certificates import VERIFIERS, submit_application

pytestmark = pytest.mark.redis
delivery = test_delivery.delivery  # the fixture: a stand-in, Redis, the outbox and a relay


async def test_trimming_keeps_what_a_sender_has_not_acknowledged(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    queue = RedisStreamQueue(redis)
    try:
        await queue.publish([Entry(n, 100 + n, 1) for n in range(10)])
        taken = await queue.receive("sender-a", 10, 100)
        for entry in taken[:3] + taken[5:8]:  # 3, 4, 8 and 9 are still being sent
            await queue.ack(entry)
        await queue.publish([Entry(n, 100 + n, 1) for n in range(10, 13)])  # not read yet

        assert await queue.trim() == 3  # only the acknowledged ones before the first pending
        assert (await queue.length())[1] == 10
        claimed = await queue.claim_abandoned("sender-b", 0, 10)  # sender-a died
        assert [entry.notification_id for entry in claimed] == [3, 4, 8, 9]
        unread = await queue.receive("sender-b", 10, 100)
        assert [entry.notification_id for entry in unread] == [10, 11, 12]
        for entry in claimed + unread:
            await queue.ack(entry)
        assert await queue.trim() == 10
        assert await queue.length() == {0: 0, 1: 0, 2: 0}
        summary = await redis.xpending(queue._stream(1), GROUP)
        assert summary["pending"] == 0
    finally:
        await redis.aclose()


async def test_a_year_of_notifications_stays_under_its_caps(delivery: Delivery) -> None:
    """Each month 40 notifications (half about tickets) and 50 updates; retention 30 days."""
    chats = residents(delivery.standin, 4)
    retention = OutboxRetention(delivery.outbox)
    queue = RedisStreamQueue(delivery.redis)
    updates = UpdateLog(delivery.db)
    start = utcnow() - timedelta(days=365)
    sizes = []
    for month in range(12):
        now = start + timedelta(days=30 * (month + 1))
        ids = await delivery.outbox.send(
            *(
                Outgoing.text(
                    chat, f"month {month} note {n}", reference=f"ticket:{n}" if n % 2 else None
                )
                for n in range(10)
                for chat in chats
            )
        )
        await delivery.relay.run_once()
        await run_until_delivered(delivery, delivery.sender(f"s{month}"), 40 * (month + 1))
        for n in range(50):
            await updates.claim(month * 1000 + n)
        await _date_back(delivery, ids, [month * 1000 + n for n in range(50)], now)

        await retention.prune(now - timedelta(days=30), now - timedelta(days=90))
        await updates.prune(keep_for=utcnow() - (now - timedelta(hours=48)))
        await queue.trim()
        sizes.append(await _sizes(delivery))

    rows, ticket_rows, texts_kept, claims, stream = sizes[-1]
    assert rows - ticket_rows <= 2 * 20  # this month's and last month's untied ones at most
    assert texts_kept <= 2 * 40  # only recent rows still say anything
    assert claims <= 2 * 50
    assert stream == 0
    assert [size[1] for size in sizes] == [20 * (month + 1) for month in range(12)]
    # the slimmed ticket rows are the only thing that grows, with the tickets themselves


async def _date_back(delivery: Delivery, ids: list[int], claims: list[int], to: datetime) -> None:
    async with delivery.db.session() as session:
        await session.exec(
            update(Notification).where(col(Notification.id).in_(ids)).values(created_at=to)
        )
        await session.exec(
            update(ProcessedUpdate)
            .where(col(ProcessedUpdate.update_id).in_(claims))
            .values(received_at=to)
        )
        await session.commit()


async def _sizes(delivery: Delivery) -> tuple[int, int, int, int, int]:
    async with delivery.db.session() as session:
        rows = (await session.exec(select(func.count()).select_from(Notification))).one()
        ticket_rows = (
            await session.exec(
                select(func.count())
                .select_from(Notification)
                .where(col(Notification.reference).like("ticket:%"))
            )
        ).one()
        all_rows = list(await session.exec(select(Notification)))
        claims = (await session.exec(select(func.count()).select_from(ProcessedUpdate))).one()
    texts_kept = sum(1 for row in all_rows if row.params)
    stream = sum((await RedisStreamQueue(delivery.redis).length()).values())
    return rows, ticket_rows, texts_kept, claims, stream


async def test_a_certificate_card_waits_in_data_dir_encrypted_and_goes_once_sent(
    standin: BotAPIStandin, run_bot
) -> None:
    verifiers = standin.group(VERIFIERS, title="Verifiers")
    officer = standin.user(9001, "Officer Zhou", language_code="en")
    standin.add_member(verifiers.id, officer.id)
    dai = standin.user(4001, "Dai", language_code="en")
    bot = await run_bot()
    await submit_application(standin, dai)
    card = await next_message(standin, verifiers.id)
    standin.press_button(officer, card, inline_buttons(card)["✅ Approve"])
    certificate, _link = await standin.wait_for_messages(dai.id, count=2, timeout=15)
    sent = standin.file(certificate["photo"][-1]["file_id"])
    assert sent is not None and sent.data.startswith(b"\x89PNG")

    linkage = build(bot.settings)
    try:
        async with linkage.db.session() as session:
            rows = list(await session.exec(select(Notification)))
        assert all("base64" not in str(linkage.outbox.opened(row)) for row in rows)
        [photo] = [row for row in rows if row.method == "sendPhoto" and row.chat_id == dai.id]
        reference = linkage.outbox.opened(photo)["photo"]
        assert reference.startswith(FILE_REF)
        stored = bot.settings.data_dir / FOLDER / reference.removeprefix(FILE_REF)
        assert stored.read_bytes().startswith(b"gAAAAA")  # a Fernet token: the data key's
        assert sent.data[:64] not in stored.read_bytes()
        assert linkage.outbox.load_file(reference) == sent.data

        await OutboxRetention(linkage.outbox, file_grace_seconds=3600).prune(
            utcnow() - timedelta(days=30), utcnow() - timedelta(days=90)
        )
        assert stored.exists()  # young: its row might not have committed yet
        pruned = await OutboxRetention(linkage.outbox, file_grace_seconds=0).prune(
            utcnow() - timedelta(days=30), utcnow() - timedelta(days=90)
        )
        assert pruned.files >= 1 and not stored.exists()
    finally:
        await linkage.close()


async def test_a_card_not_yet_sent_keeps_its_file(
    standin: BotAPIStandin, tmp_path, database_url
) -> None:
    from tests.support.running import bot_settings

    linkage = build(bot_settings(standin, data_dir=tmp_path / "data", database_url=database_url))
    try:
        from services.migrate import upgrade_to_head
        from services.outbox import inline_file

        await upgrade_to_head(linkage.db, lambda: linkage.cipher)
        [waiting] = await linkage.outbox.send(
            Outgoing(4001, "sendPhoto", {"photo": inline_file(b"\x89PNG card")}, sealed=True)
        )
        pruned = await OutboxRetention(linkage.outbox, file_grace_seconds=0).prune(
            utcnow(), utcnow()
        )
        assert pruned.files == 0
        [row] = await linkage.outbox.pending()
        assert linkage.outbox.load_file(linkage.outbox.opened(row)["photo"]) == b"\x89PNG card"
        assert waiting == row.id
    finally:
        await linkage.close()
