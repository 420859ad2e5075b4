"""Open311 GeoReport v2 as a city system uses it: services, a POSTed request that reaches the
grid's staff chat and follows the ticket, searches, errors, keys and the requester's privacy.

Uses the bundled sample routing file: grid SJB-01 ("Grid 1: east gate").
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ElementTree
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.localapi import BotAPIStandin
from services.api_keys import ApiKeys
from services.models import Ticket, utcnow
from services.open311 import Open311
from services.privacy import FieldCipher
from services.routing import load_routing
from services.storage import Database
from tests.support.people import inline_buttons
from tests.support.running import RunningBot, eventually

EAST_GATE_CHAT = -1001000000011
INSIDE_EAST_GATE = ("30.7610", "120.7550")
CONTACT = {
    "email": "lin.hua@example.cn",
    "first_name": "Hua",
    "last_name": "Lin",
    "phone": "+86 138 0013 8000",
    "device_id": "device-7f3a",
    "account_id": "account-42",
}


@dataclass
class City:
    """A city back office talking to Linkage's Open311 endpoints."""

    bot: RunningBot
    db: Database
    http: aiohttp.ClientSession
    key: str

    @property
    def base(self) -> str:
        return f"{self.bot.web_url}/open311/v2"

    async def get(self, path: str, **params: str) -> tuple[int, Any]:
        async with self.http.get(self.base + path, params=params) as response:
            if path.endswith(".xml"):
                return response.status, ElementTree.fromstring(await response.text())
            return response.status, await response.json()

    async def post(self, fmt: str = "json", **form: str) -> tuple[int, Any, Any]:
        form.setdefault("api_key", self.key)
        async with self.http.post(f"{self.base}/requests.{fmt}", data=form) as response:
            body = await response.text()
            parsed = ElementTree.fromstring(body) if fmt == "xml" else await response.json()
            return response.status, parsed, response.headers

    async def raw(self, path: str, **params: str) -> str:
        async with self.http.get(self.base + path, params=params) as response:
            return await response.text()


def register_routing_chats(standin: BotAPIStandin) -> None:
    """Every chat the sample routing file names, and STAFF_CHAT_ID (-1001), as Telegram has them."""
    routing = load_routing(None, None)
    forums = {grid.chat_id for grid in routing.grids if grid.forum}
    chats = {grid.chat_id for grid in routing.grids} | {-1001}
    chats |= {c.chat_id for c in routing.communities if c.chat_id is not None}
    chats |= {c.chat_id for c in routing.categories if c.chat_id is not None}
    if routing.street_office_chat_id is not None:
        chats.add(routing.street_office_chat_id)
    for chat in chats:
        standin.group(chat, title=f"Staff {chat}", forum=chat in forums)


@pytest.fixture
async def city(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> AsyncIterator[City]:
    register_routing_chats(standin)
    bot = await run_bot(open311_posts_per_minute=5, open311_reads_per_second=1000)
    db = Database(bot.settings.effective_database_url)
    key = await ApiKeys(db).create("City hotline 12345")
    async with aiohttp.ClientSession() as http:
        yield City(bot, db, http, key)
    await db.close()


async def test_services_are_the_routing_files_categories_in_json_and_xml(city: City) -> None:
    status, services = await city.get("/services.json")
    assert status == 200
    codes = [service["service_code"] for service in services]
    routing = load_routing(None, None)
    assert codes == [category.code for category in routing.categories]
    drains = services[0]
    assert drains["service_name"] == "Drains and sewers"
    assert drains["type"] == "realtime" and drains["metadata"] is False

    async with city.http.get(
        city.base + "/services.json", headers={"Accept-Language": "zh-CN"}
    ) as response:
        assert (await response.json())[0]["service_name"] == "下水道与排水"

    status, tree = await city.get("/services.xml")
    assert status == 200 and tree.tag == "services"
    assert [s.findtext("service_code") for s in tree.findall("service")] == codes

    status, definition = await city.get("/services/drainage.json")
    assert status == 200 and definition == {"service_code": "drainage", "attributes": []}
    status, errors = await city.get("/services/volcanoes.json")
    assert status == 404
    assert errors == [
        {"code": 404, "description": "service_code 'volcanoes' is not a service here"}
    ]

    status, discovery = await city.get("/discovery.json")
    assert status == 200
    assert discovery["endpoints"][0]["url"] == city.base
    assert "application/json" in discovery["endpoints"][0]["formats"]


async def test_a_posted_request_reaches_the_grid_and_its_status_follows_the_ticket(
    standin: BotAPIStandin, city: City
) -> None:
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(EAST_GATE_CHAT, worker.id)

    status, answer, _ = await city.post(
        service_code="drainage",
        lat=INSIDE_EAST_GATE[0],
        long=INSIDE_EAST_GATE[1],
        description="Sewage is overflowing from the cellar well by the east gate",
        jurisdiction_id="linkage",
        **CONTACT,
    )
    assert status == 200
    [created] = answer
    number, token = created["service_request_id"], created["token"]
    assert number.endswith("-000001")

    card, location = await standin.wait_for_messages(EAST_GATE_CHAT, count=2, timeout=10)
    assert card["text"].startswith(f"🆕 Request {number} · Drains and sewers")
    assert "From: Open311 · City hotline 12345" in card["text"]
    assert "Team: Grid 1: east gate" in card["text"]
    assert location["location"]["latitude"] == pytest.approx(30.7610, abs=1e-5)
    for value in CONTACT.values():
        assert value not in card["text"]

    async def request() -> dict[str, Any]:
        status, [record] = await city.get(f"/requests/{number}.json")
        assert status == 200
        return record

    record = await request()
    assert record["status"] == "open"
    assert record["agency_responsible"] == "Grid 1: east gate"
    assert record["service_code"] == "drainage"
    assert record["description"].startswith("Sewage is overflowing")
    assert "status_notes" not in record
    status, tokened = await city.get(f"/tokens/{token}.json")
    assert status == 200 and tokened == {"service_request_id": number, "token": token}

    standin.press_button(worker, card, inline_buttons(card)["🙋 Take"])
    await eventually(lambda: "🙋 Taken by Wang Fang" in standin.messages(EAST_GATE_CHAT)[0]["text"])
    assert (await request())["status"] == "open"

    standin.send_message(
        worker, "We will dredge it tomorrow morning.", chat=EAST_GATE_CHAT, reply_to=card
    )
    await standin.wait_for_messages(EAST_GATE_CHAT, timeout=10)  # the acknowledgement
    assert (await request())["status_notes"] == "We will dredge it tomorrow morning."

    standin.press_button(worker, card, inline_buttons(card)["✅ Resolved"])
    await eventually(
        lambda: "✅ Resolved by Wang Fang" in standin.messages(EAST_GATE_CHAT)[0]["text"]
    )
    record = await request()
    assert record["status"] == "closed"
    assert record["updated_datetime"] >= record["requested_datetime"]

    status, tree = await city.get(f"/requests/{number}.xml")
    assert status == 200 and tree.tag == "service_requests"
    assert tree.findtext("request/status") == "closed"
    assert tree.findtext("request/status_notes") == "We will dredge it tomorrow morning."
    status, single = await city.get(f"/request/{number}.json")
    assert status == 200 and single["service_request_id"] == number

    everything = await city.raw("/requests.json") + await city.raw("/requests.xml")
    everything += await city.raw(f"/requests/{number}.json")
    for value in CONTACT.values():
        assert value not in everything
    # nobody in Telegram was told: only the staff chat heard of this request
    private = [call for call in standin.calls("sendMessage") if call.params["chat_id"] > 0]
    assert not private


async def test_media_url_is_kept_linked_on_the_card_and_given_back(
    standin: BotAPIStandin, city: City
) -> None:
    photo = "https://city.example.cn/requests/media/638344.jpg"
    for wrong in ("javascript:alert(1)", "ftp://city.example.cn/a.jpg", "/media/1.jpg", "http://"):
        status, errors, _ = await city.post(
            service_code="drainage", address_string="East gate", media_url=wrong
        )
        assert status == 400
        assert errors == [{"code": 400, "description": "media_url must be an http or https URL"}]
    status, [created], _ = await city.post(
        service_code="drainage",
        lat=INSIDE_EAST_GATE[0],
        long=INSIDE_EAST_GATE[1],
        description="Blocked drain",
        media_url=photo,
        attribute="ignored: our services define no attributes",
    )
    assert status == 200
    number = created["service_request_id"]
    card, _location = await standin.wait_for_messages(EAST_GATE_CHAT, count=2, timeout=10)
    assert f"📎 Media: {photo}" in card["text"]
    status, [record] = await city.get(f"/requests/{number}.json")
    assert record["media_url"] == photo
    status, tree = await city.get(f"/requests/{number}.xml")
    assert tree.findtext("request/media_url") == photo


@pytest.mark.parametrize(
    ("locale", "said_words"),
    [
        (
            "en",
            "📝 Recorded on {number} as a status note for the Open311 client that filed it; "
            "there is no resident in Telegram to send it to.",
        ),
        (
            "zh",
            "📝 已作为状态说明记录在 {number} 上，供提交它的 Open311 客户端查看；"
            + "没有可转达的 Telegram 居民。",
        ),
    ],
)
async def test_a_staff_reply_to_an_open311_request_is_said_to_be_a_status_note(
    standin: BotAPIStandin,
    run_bot: Callable[..., Awaitable[RunningBot]],
    locale: str,
    said_words: str,
) -> None:
    register_routing_chats(standin)
    bot = await run_bot(staff_locale=locale)
    db = Database(bot.settings.effective_database_url)
    key = await ApiKeys(db).create("City hotline 12345")
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(EAST_GATE_CHAT, worker.id)
    async with aiohttp.ClientSession() as http:
        city = City(bot, db, http, key)
        _status, [created], _ = await city.post(
            service_code="drainage", lat=INSIDE_EAST_GATE[0], long=INSIDE_EAST_GATE[1]
        )
        number = created["service_request_id"]
        card, _location = await standin.wait_for_messages(EAST_GATE_CHAT, count=2, timeout=10)
        standin.send_message(worker, "Crew on the way.", chat=EAST_GATE_CHAT, reply_to=card)
        [said] = await standin.wait_for_messages(EAST_GATE_CHAT, timeout=10)
        assert said["text"] == said_words.format(number=number)
        _, [record] = await city.get(f"/requests/{number}.json")
        assert record["status_notes"] == "Crew on the way."
    await db.close()


async def test_an_address_places_the_request_and_a_forum_grid_gives_it_a_topic(
    standin: BotAPIStandin, city: City
) -> None:
    status, answer, _ = await city.post(
        fmt="xml", service_code="waste", address_string="Rubbish at building 1, east gate \x01"
    )
    assert status == 200 and answer.tag == "service_requests"
    number = answer.findtext("request/service_request_id")
    [card] = await standin.wait_for_messages(EAST_GATE_CHAT, timeout=10)
    status, tree = await city.get(f"/requests/{number}.xml")  # parses: no raw control bytes
    assert tree.findtext("request/address") == "Rubbish at building 1, east gate \ufffd"
    assert card["text"].startswith(f"🆕 Request {number} · Rubbish and cleanliness")
    assert "Place: Rubbish at building 1, east gate" in card["text"]

    north_gate = -1001000000013  # a forum: one topic per ticket, as for a chat report
    status, [created], _ = await city.post(
        service_code="lighting", description="Lamp out", lat="30.7640", long="120.7510"
    )
    assert status == 200
    [card] = await standin.wait_for_messages(north_gate, timeout=10)
    [topic] = standin.topics(north_gate)
    assert card["message_thread_id"] == topic.message_thread_id
    assert card["text"].startswith(f"🆕 Request {created['service_request_id']} · Street lighting")
    assert topic.name.startswith(created["service_request_id"])


async def test_contacts_are_encrypted_at_rest_and_purged_after_resolution(
    standin: BotAPIStandin, city: City
) -> None:
    status, _created, _ = await city.post(
        service_code="roads", address_string="school road", **CONTACT
    )
    assert status == 200
    async with city.db.engine.connect() as connection:
        stored = (await connection.execute(text("SELECT * FROM open311_request"))).all()
        tickets = (await connection.execute(text("SELECT * FROM ticket"))).all()
    dump = repr(stored) + repr(tickets)
    for value in CONTACT.values():
        assert value not in dump
    cipher = FieldCipher.from_setting(None, city.bot.settings.data_dir)
    routing = load_routing(None, None)
    service = Open311(
        city.db,
        routing,
        tickets=None,
        cipher=cipher,
        contact_retention_days=30,  # type: ignore[arg-type]
    )
    async with city.db.session() as session:
        ticket_id = (await session.exec(select(Ticket.id))).one()
    assert ticket_id is not None
    assert await service.contact(ticket_id) == CONTACT

    assert await service.purge_contacts(utcnow()) == 0  # not resolved yet
    async with city.db.session() as session:
        row = await session.get(Ticket, ticket_id)
        assert row is not None
        row.resolved_at, row.status = utcnow() - timedelta(days=31), "resolved"
        session.add(row)
        await session.commit()
    assert await service.purge_contacts(utcnow()) == 1
    assert await service.contact(ticket_id) == {}


async def test_keys_are_required_checked_revocable_and_rate_limited(city: City) -> None:
    place = {"service_code": "drainage", "lat": INSIDE_EAST_GATE[0], "long": INSIDE_EAST_GATE[1]}
    status, errors, _ = await city.post(api_key="", **place)
    assert status == 403 and errors == [{"code": 403, "description": "api_key is required"}]
    status, errors, _ = await city.post(api_key="guessed-key", **place)
    assert status == 403 and errors == [{"code": 403, "description": "api_key is not valid"}]

    for _ in range(5):
        status, _answer, _ = await city.post(**place)
        assert status == 200
    status, errors, headers = await city.post(**place)
    assert status == 429 and int(headers["Retry-After"]) >= 1
    assert errors[0]["code"] == 429

    await ApiKeys(city.db).revoke("City hotline 12345")
    status, errors, _ = await city.post(fmt="xml", **place)
    assert status == 403
    assert errors.tag == "errors" and errors.findtext("error/code") == "403"


async def test_bad_submissions_and_searches_are_answered_with_what_was_wrong(city: City) -> None:
    async def post_error(**form: str) -> tuple[int, str]:
        status, [error], _ = await city.post(**form)
        return status, error["description"]

    assert await post_error(service_code="volcanoes", address_string="east gate") == (
        400,
        "service_code 'volcanoes' is not a service here",
    )
    assert await post_error(service_code="drainage") == (
        400,
        "a location is required: lat and long, or address_string",
    )
    assert await post_error(service_code="drainage", lat="91", long="120") == (
        400,
        "lat must be between -90 and 90",
    )
    assert await post_error(service_code="drainage", lat="30.7") == (
        400,
        "lat and long go together: give both or neither",
    )
    assert (await post_error(service_code="drainage", address_string="x", jurisdiction_id="x"))[
        0
    ] == 400

    status, errors = await city.get("/requests.json", jurisdiction_id="elsewhere")
    assert status == 401 and errors[0]["code"] == 401
    status, errors = await city.get("/services.json", jurisdiction_id="elsewhere")
    assert status == 404
    status, errors = await city.get("/requests.json", status="pending")
    assert status == 400 and "status must be open, closed" in errors[0]["description"]
    status, errors = await city.get(
        "/requests.json", start_date="2026-01-01T00:00:00Z", end_date="2026-06-01T00:00:00Z"
    )
    assert status == 400
    assert errors[0]["description"] == "start_date and end_date may not span more than 90 days"
    status, errors = await city.get("/requests.json", start_date="yesterday")
    assert status == 400 and errors[0]["description"] == (
        "start_date is not a date and time (ISO 8601)"
    )
    for edge in ("0001-01-02T00:00:00", "9999-12-31T23:00:00+00:00"):
        status, errors = await city.get("/requests.json", start_date=edge)
        assert status == 400
        assert errors[0]["description"] == "start_date must be between the years 1900 and 9000"
        status, errors = await city.get("/requests.json", end_date=edge)
        assert status == 400
    status, errors = await city.get("/requests/2026-999999.json")
    assert status == 404
    status, errors = await city.get("/tokens/nothing.json")
    assert status == 404
    async with city.http.get(city.base + "/services.html") as response:
        assert response.status == 404
        assert await response.json() == [
            {"code": 404, "description": "the format must be json or xml"}
        ]


async def test_chat_tickets_show_no_residents_words_and_old_ones_wait_for_dates(
    city: City,
) -> None:
    now = utcnow()
    async with city.db.session() as session:
        for number, days_ago, status in (("2026-000501", 3, "new"), ("2026-000502", 100, "closed")):
            session.add(
                Ticket(
                    number=number,
                    resident_id=3001,
                    resident_name="Lao Shen",
                    category="noise",
                    grid="SJB-01",
                    staff_chat_id=EAST_GATE_CHAT,
                    text="Karaoke at my neighbour Zhang's flat, call me on 13900001111",
                    address="Building 2, flat 301",
                    latitude=30.761234,
                    longitude=120.755678,
                    status=status,
                    created_at=now - timedelta(days=days_ago),
                )
            )
        await session.commit()

    status, records = await city.get("/requests.json")
    assert status == 200
    assert [r["service_request_id"] for r in records] == ["2026-000501"]
    [record] = records
    assert record["service_name"] == "Noise" and record["status"] == "open"
    assert (record["lat"], record["long"]) == (30.761, 120.756)  # about 100 m
    page = await city.raw("/requests.json") + await city.raw("/requests.xml")
    for private in ("Lao Shen", "Karaoke", "13900001111", "flat 301", "30.761234"):
        assert private not in page

    start = (now - timedelta(days=110)).isoformat()
    end = (now - timedelta(days=30)).isoformat()
    status, records = await city.get("/requests.json", start_date=start, end_date=end)
    assert [r["service_request_id"] for r in records] == ["2026-000502"]
    assert records[0]["status"] == "closed"
    status, records = await city.get("/requests.json", status="closed")
    assert records == []  # within the last 90 days, none is closed
    status, records = await city.get(
        "/requests.json", service_request_id="2026-000502,2026-000501", status="open"
    )
    assert sorted(r["service_request_id"] for r in records) == ["2026-000501", "2026-000502"]
    status, records = await city.get("/requests.json", service_code="roads")
    assert records == []


async def test_no_log_line_holds_the_key_or_the_requesters_contacts(
    city: City, caplog: pytest.LogCaptureFixture
) -> None:
    query = {"service_code": "drainage", "address_string": "east gate", **CONTACT}
    with caplog.at_level(logging.DEBUG):
        async with city.http.post(
            f"{city.base}/requests.json", params={**query, "api_key": city.key}
        ) as response:
            assert response.status == 200
        await eventually(lambda: any(r.name == "aiohttp.access" for r in caplog.records))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "POST /open311/v2/requests.json?" in logged
    for secret in (city.key, *CONTACT.values(), "lin.hua%40example.cn", "%2B86"):
        assert secret not in logged


async def test_a_nul_character_is_an_unknown_value_not_a_server_error(city: City) -> None:
    """PostgreSQL refuses NUL in text: it must never reach a query."""
    status, records = await city.get("/requests.json", service_request_id="2026-\x00")
    assert (status, records) == (200, [])
    status, records = await city.get("/requests.json", service_code="drain\x00age")
    assert (status, records) == (200, [])
    status, _ = await city.get("/requests/2026\x00.json")
    assert status == 404
    status, _ = await city.get("/tokens/abc\x00.json")
    assert status == 404
    status, [created], _ = await city.post(
        service_code="drainage", address_string="east\x00 gate", description="over\x00flow"
    )
    assert status == 200
    status, [record] = await city.get(f"/requests/{created['service_request_id']}.json")
    assert (record["address"], record["description"]) == ("east gate", "overflow")


async def test_a_department_with_a_chat_of_its_own_is_the_agency_responsible(
    standin: BotAPIStandin, city: City
) -> None:
    status, [created], _ = await city.post(
        service_code="disputes", lat=INSIDE_EAST_GATE[0], long=INSIDE_EAST_GATE[1]
    )
    assert status == 200
    mediation = -1001000000090  # the category's own chat, whatever the grid
    [card] = await standin.wait_for_messages(mediation, timeout=10)
    assert card["text"].startswith(f"🆕 Request {created['service_request_id']} · Neighbour")
    status, [record] = await city.get(f"/requests/{created['service_request_id']}.json")
    assert record["agency_responsible"] == "Neighbour disputes"
    assert record["description"] == "Neighbour disputes"  # no description: the service's name


async def test_one_address_reading_too_fast_is_told_to_wait(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> None:
    bot = await run_bot(open311_reads_per_second=3)
    statuses = []
    async with aiohttp.ClientSession() as http:
        for _ in range(4):
            async with http.get(f"{bot.web_url}/open311/v2/services.xml") as response:
                statuses.append(response.status)
                body, headers = await response.text(), response.headers
    assert statuses == [200, 200, 200, 429]
    assert int(headers["Retry-After"]) >= 1
    assert ElementTree.fromstring(body).findtext("error/code") == "429"
