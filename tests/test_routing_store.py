"""Routing data in the database: seeded from the file, versioned, followed without a restart."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.localapi import BotAPIStandin
from services.migrate import upgrade_to_head
from services.routing import load_routing
from services.routing_export import dump_routing, routing_document
from services.routing_store import LiveRouting, RoutingStore
from services.storage import Database
from tests.support.people import inline_buttons
from tests.support.processes import fleet
from tests.support.running import eventually
from tests.support.walks import Walker, report_problem
from tests.test_resident_requests import INSIDE_EAST_GATE, next_message, report

SANJIABANG_CHAT = -1001000000010  # the east gate grid's community in the sample
NEW_EAST_GATE_CHAT = -1001000000077  # the group made for the grid today
POLL = "0.2"


def unbound_east_gate(tmp_path: Path) -> Path:
    """The sample routing file with grid SJB-01 not bound to any chat yet."""
    document = routing_document(load_routing(None, None))
    document["communities"][0]["grids"][0]["chat"] = None
    path = tmp_path / "routing.yaml"
    path.write_text(dump_routing(document), encoding="utf-8")
    return path


async def test_the_store_is_seeded_once_and_counts_every_change(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(database_url)
    try:
        await upgrade_to_head(db)
        sample = load_routing(None, -5)
        store = RoutingStore(db, sample)
        assert await store.version() == 0
        assert await store.seed() is True
        assert await store.seed() is False
        version, routing = await store.load()
        assert version == 1
        assert routing.grids == sample.grids  # areas, workers, keywords: all kept
        assert routing.communities == sample.communities
        assert routing.fallback_chat_id == -5
        assert await store.unbound_grids() == []

        assert await store.bind("grid", "QD-02", -1009, forum=True) == 2
        assert await store.bind("community", "qiaodong", -1008, forum=False) == 3
        _, routing = await store.load()
        assert routing.grid("QD-02").chat_id == -1009 and routing.grid("QD-02").forum
        assert routing.community("qiaodong").chat_id == -1008
        with pytest.raises(KeyError):
            await store.bind("grid", "QD-99", -1, forum=False)

        live = LiveRouting(store, 0.05)
        seen: list[int] = []
        live.on_change(lambda current: seen.append(len(current.grids)))
        await live.start()
        assert live.version == 3 and seen == [6]
        assert await live.refresh() is False  # nothing moved: nothing read again
        _, document = await store.document()
        document["communities"][1]["grids"].pop()
        assert await store.save(document, "QD-02 removed") == 4
        stop = asyncio.Event()
        follower = asyncio.create_task(live.run(stop))
        await eventually(lambda: live.version == 4)
        stop.set()
        await follower
        assert seen == [6, 5]
        restarted = LiveRouting(store, 0.05)
        with caplog.at_level(logging.WARNING, logger="services.routing_store"):
            await restarted.start()  # the file still has QD-02: the database's routing is used
        assert len(restarted.current.grids) == 5
        assert "differ from those in the database, which are used" in caplog.text
        assert "python -m bot import-routing" in caplog.text
        assert [code for code, _ in await store.unbound_grids()] == []
    finally:
        await db.close()


async def test_a_grid_bound_a_moment_ago_gets_its_reports_and_its_staff_work(
    standin: BotAPIStandin, run_bot, tmp_path: Path
) -> None:
    community = standin.group(SANJIABANG_CHAT, title="Sanjiabang community")
    new_group = standin.group(NEW_EAST_GATE_CHAT, title="East gate grid")
    worker = standin.user(111111, "Wang Fang", language_code="en")  # a worker of SJB-01
    standin.add_member(new_group.id, worker.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    bot = await run_bot(routing_file=unbound_east_gate(tmp_path), routing_poll_seconds=float(POLL))

    # not bound yet: the report goes to the community's chat
    await report(standin, shen, "The drain is blocked", INSIDE_EAST_GATE)
    first = (await standin.wait_for_messages(community.id, count=2, timeout=10))[0]
    assert first["text"].startswith("🆕 Request 2026-000001")
    assert (
        "ℹ️ Grid 1: east gate has no chat of its own yet, so its requests come here. An "
        "administrator binds one by sending /bind grid SJB-01 in the grid's group."
    ) in first["text"]
    standin.send_command(worker, "/open", chat=new_group.id)
    refusal = await next_message(standin, new_group.id)
    assert refusal["text"].startswith("This is not a staff chat")

    db = Database(bot.settings.effective_database_url)
    try:
        store = RoutingStore(db, load_routing(bot.settings.routing_file, None))
        await store.bind("grid", "SJB-01", NEW_EAST_GATE_CHAT, forum=False)
    finally:
        await db.close()
    await asyncio.sleep(3 * float(POLL))  # the bot polls the version; no restart

    await report(standin, shen, "The street light is out", INSIDE_EAST_GATE)
    card = (await standin.wait_for_messages(new_group.id, count=2, timeout=10))[0]
    assert card["text"].startswith("🆕 Request 2026-000002")
    assert "no chat of its own" not in card["text"]
    standin.send_command(worker, "/open", chat=new_group.id)
    listing = await next_message(standin, new_group.id)
    assert listing["text"].startswith("Open requests, oldest first:\n2026-000002")
    standin.press_button(worker, card, inline_buttons(card)["🙋 Take"])
    await eventually(
        lambda: any(
            "Taken by Wang Fang" in m.get("text", "") for m in standin.messages(new_group.id)
        )
    )


@pytest.mark.redis
@pytest.mark.processes
async def test_two_processes_both_follow_a_binding(
    fast_standin: BotAPIStandin, postgres_server, redis_url: str, tmp_path: Path
) -> None:
    standin = fast_standin
    database_url = await postgres_server.create_database()
    new_group = standin.group(NEW_EAST_GATE_CHAT, title="East gate grid")
    residents = [standin.user(7100 + n, f"Resident {n}", language_code="en") for n in range(4)]
    routing_file = unbound_east_gate(tmp_path)
    async with fleet(
        standin,
        tmp_path,
        database_url=database_url,
        redis_url=redis_url,
        ROUTING_FILE=str(routing_file),
        ROUTING_POLL_SECONDS=POLL,
    ) as bots:
        db = Database(database_url)
        try:
            store = RoutingStore(db, load_routing(routing_file, None))
            await store.bind("grid", "SJB-01", NEW_EAST_GATE_CHAT, forum=False)
        finally:
            await db.close()
        for bot in bots.bots:
            await eventually(lambda bot=bot: "routing version 2:" in bot.log(), within=10)
        await asyncio.gather(
            *(
                report_problem(Walker(standin, resident), f"Drain {n} blocked", INSIDE_EAST_GATE)
                for n, resident in enumerate(residents)
            )
        )
        await eventually(
            lambda: (
                sum("🆕 Request" in m.get("text", "") for m in standin.messages(new_group.id)) == 4
            ),
            within=30,
        )
