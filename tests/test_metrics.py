"""An operator scrapes /metrics as Prometheus does and reads the figures a year of work needs.

Real parts: the bot against the Bot API stand-in, its web server over HTTP, prometheus_client's
own parser for the text format.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import aiohttp
import yaml
from prometheus_client.parser import text_string_to_metric_families

from bot.localapi import BotAPIStandin
from tests.support.running import eventually
from tests.support.walks import Walker, report_problem


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(url: str, **headers: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics", headers=headers) as r:
        return r.status, await r.text()


async def test_metrics_count_updates_deliveries_429s_and_tickets(
    standin: BotAPIStandin, run_bot
) -> None:
    standin.group(-1001, title="Grid staff")
    resident = Walker(standin, standin.user(7001, "Wu", language_code="en"))
    bot = await run_bot()
    standin.fail_next(429)  # Telegram paces the first message: waited out, counted
    number = await report_problem(resident, "The street lamp is broken", (30.741, 120.489))
    assert number
    await eventually(lambda: standin.messages(-1001), within=15)  # the staff card went out

    status, text = await scrape(bot.web_url)
    assert status == 200
    figures = samples(text)
    handled = "linkage_updates_handled_total"
    assert (
        figures[(handled, (("kind", "message"), ("outcome", "handled")))] == 3
    )  # words, place, skip
    assert figures[(handled, (("kind", "callback_query"), ("outcome", "handled")))] >= 2
    assert figures[("linkage_update_duration_seconds_count", ())] >= 5
    assert figures[("linkage_telegram_errors_total", (("status", "429"),))] == 1
    assert figures[("linkage_delivery_latency_seconds_count", ())] >= 1
    assert figures[("linkage_tickets", (("state", "new"),))] == 1
    assert figures[("linkage_tickets_overdue", ())] == 0
    assert figures[("linkage_dependency_up", (("dependency", "database"),))] == 1
    for priority in ("0", "1", "2"):
        assert (("linkage_queue_depth", (("priority", priority),))) in figures
    assert figures[("linkage_dead_letters_total", ())] == 0
    assert "Wu" not in text and "street lamp" not in text  # volumes, never personal data

    deploy = Path(__file__).parent.parent / "deploy"
    rules = yaml.safe_load((deploy / "alerts.yml").read_text())["groups"][0]["rules"]
    panels = json.loads((deploy / "grafana-dashboard.json").read_text())["panels"]
    expressions = [rule["expr"] for rule in rules] + [
        target["expr"] for panel in panels for target in panel["targets"]
    ]
    exposed = {name for name, _labels in figures}
    used = {name for expr in expressions for name in re.findall(r"linkage_[a-z_]+", expr)}
    assert used and used <= exposed, (
        f"alerts or dashboard read what is not exposed: {used - exposed}"
    )
    alerts = {rule["alert"] for rule in rules}
    assert {
        "LinkageQueueStuck",
        "LinkageDeadLetters",
        "Linkage429Storm",
        "LinkageDatabaseDown",
    } <= alerts


async def test_metrics_are_refused_through_a_proxy_and_without_the_token(
    standin: BotAPIStandin, run_bot
) -> None:
    open_bot = await run_bot()
    assert (await scrape(open_bot.web_url))[0] == 200  # loopback, no proxy
    assert (await scrape(open_bot.web_url, **{"X-Forwarded-For": "203.0.113.9"}))[0] == 404
    await open_bot.stop()

    guarded = await run_bot(metrics_token="s3cret-scraper")
    assert (await scrape(guarded.web_url))[0] == 404
    assert (await scrape(guarded.web_url, Authorization="Bearer wrong"))[0] == 404
    status, text = await scrape(guarded.web_url, Authorization="Bearer s3cret-scraper")
    assert status == 200 and "linkage_queue_depth" in text
