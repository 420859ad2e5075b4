"""Property-based conformance with schemathesis against the GeoReport v2.1 spec file
(tests/open311/georeport_v2-1.yaml, see its PROVENANCE.md): every GET and the POST, with
generated parameters, never a server error, and every documented answer matching its schema.

Hypothesis drives blocking HTTP calls, so it runs in a worker thread while the bot serves on the
test's event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from bot.localapi import BotAPIStandin
from services.api_keys import ApiKeys
from services.storage import Database
from tests.support.running import RunningBot
from tests.test_open311 import register_routing_chats

SPEC = Path(__file__).parent / "open311" / "georeport_v2-1.yaml"
SCHEMA = schemathesis.openapi.from_path(SPEC)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
EXAMPLES = 40
JURISDICTION = "linkage"


def exercise(strategy: st.SearchStrategy[Any], base_url: str, examples: int = EXAMPLES) -> int:
    """Calls the API with `examples` generated cases; returns how many were answered 200."""
    answered = []

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, timeout=10)
        case.validate_response(response, checks=CHECKS)
        answered.append(response.status_code == 200)

    run()
    return sum(answered)


async def drive(strategy: st.SearchStrategy[Any], bot: RunningBot, examples: int = EXAMPLES) -> int:
    return await asyncio.to_thread(exercise, strategy, f"{bot.web_url}/open311/v2", examples)


@pytest.fixture
async def served(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> tuple[RunningBot, str]:
    register_routing_chats(standin)
    bot = await run_bot(open311_posts_per_minute=10_000, open311_reads_per_second=10_000)
    db = Database(bot.settings.effective_database_url)
    try:
        key = await ApiKeys(db).create("Conformance")
    finally:
        await db.close()
    return bot, key


def ours(fmt: str = "json", **path: str) -> dict[str, Any]:
    return {"path_parameters": {"response_format": fmt, **path}}


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_every_get_conforms(served: tuple[RunningBot, str], fmt: str) -> None:
    bot, key = served
    post = SCHEMA["/requests.{response_format}"]["POST"]
    filed = post.as_strategy(
        **ours(fmt),
        query={"api_key": key, "jurisdiction_id": JURISDICTION, "service_code": "drainage"},
    )
    assert await drive(filed, bot, examples=15) > 0  # requests to find

    jurisdiction = {"jurisdiction_id": JURISDICTION}
    services = SCHEMA["/services.{response_format}"]["GET"]
    assert await drive(services.as_strategy(**ours(fmt), query=jurisdiction), bot) > 0
    await drive(services.as_strategy(), bot)  # any jurisdiction, any format

    definition = SCHEMA["/services/{service_code}.{response_format}"]["GET"]
    await drive(definition.as_strategy(**ours(fmt), query=jurisdiction), bot)
    known = definition.as_strategy(**ours(fmt, service_code="noise"), query=jurisdiction)
    assert await drive(known, bot, examples=5) > 0

    search = SCHEMA["/requests.{response_format}"]["GET"]
    assert await drive(search.as_strategy(**ours(fmt), query=jurisdiction), bot) > 0
    await drive(search.as_strategy(**ours(fmt)), bot)

    one = SCHEMA["/request/{service_request_id}.{response_format}"]["GET"]
    await drive(one.as_strategy(**ours(fmt), query=jurisdiction), bot)
    number = f"{bot_year()}-000001"
    found = one.as_strategy(**ours(fmt, service_request_id=number), query=jurisdiction)
    assert await drive(found, bot, examples=5) > 0

    tokens = SCHEMA["/tokens/{token_id}.{response_format}"]["GET"]
    await drive(tokens.as_strategy(**ours(fmt), query=jurisdiction), bot)


async def test_the_post_conforms(served: tuple[RunningBot, str]) -> None:
    bot, key = served
    post = SCHEMA["/requests.{response_format}"]["POST"]
    anything = post.as_strategy(**ours(), query={"api_key": key, "jurisdiction_id": JURISDICTION})
    await drive(anything, bot)
    drains = post.as_strategy(
        **ours(),
        query={"api_key": key, "jurisdiction_id": JURISDICTION, "service_code": "drainage"},
    )
    assert await drive(drains, bot) > 0
    await drive(post.as_strategy(**ours(), query={"jurisdiction_id": JURISDICTION}), bot)  # no key


def bot_year() -> int:
    from services.models import utcnow

    return utcnow().year
