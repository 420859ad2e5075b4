"""The web server: /healthz always, and webhook mode with Telegram's secret header checked."""

from __future__ import annotations

import aiohttp

from bot.localapi import BotAPIStandin
from tests.support.servers import free_port


async def test_healthz_reports_database_and_absent_redis(standin: BotAPIStandin, run_bot) -> None:
    bot = await run_bot()
    async with aiohttp.ClientSession() as http, http.get(f"{bot.web_url}/healthz") as response:
        assert response.status == 200
        body = await response.json()
    assert body["database"] == "ok"
    assert body["redis"] == "absent"
    assert body["version"]


async def test_webhook_mode_answers_through_the_webhook(standin: BotAPIStandin, run_bot) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    await run_bot(web_port=port, webhook_url=url, webhook_secret="s3cret-Token_1")
    assert standin.webhook is not None
    assert standin.webhook.url == url
    assert standin.calls("getUpdates") == []

    mei = standin.user(1002, "美玲", language_code="zh")
    standin.send_command(mei, "/start")
    [greeting] = await standin.wait_for_messages(mei.id)
    assert greeting["text"].startswith("美玲，您好！")


async def test_webhook_refuses_a_wrong_secret(standin: BotAPIStandin, run_bot) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    await run_bot(web_port=port, webhook_url=url, webhook_secret="s3cret-Token_1")
    forged = {
        "update_id": 999,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 66, "type": "private"},
            "from": {"id": 66, "is_bot": False, "first_name": "Mallory"},
            "text": "/start",
        },
    }
    async with aiohttp.ClientSession() as http:
        headers = {"X-Telegram-Bot-Api-Secret-Token": "guessed"}
        async with http.post(url, json=forged, headers=headers) as response:
            assert response.status == 401
    assert standin.messages(66) == []


def forged_update(user_id: int) -> dict[str, object]:
    """An update as someone other than Telegram would POST it to the webhook."""
    return {
        "update_id": 1000 + user_id,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Mallory"},
            "text": "/start",
        },
    }


async def test_a_blank_webhook_secret_still_checks_telegrams_secret(
    standin: BotAPIStandin, run_bot
) -> None:
    """`WEBHOOK_SECRET=` as a copied .env template leaves it: the secret from the token is used."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    bot = await run_bot(web_port=port, webhook_url=url, webhook_secret="")
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=forged_update(66)) as response:
            assert response.status == 401
        headers = {"X-Telegram-Bot-Api-Secret-Token": "guessed"}
        async with http.post(url, json=forged_update(67), headers=headers) as response:
            assert response.status == 401
        empty = {"X-Telegram-Bot-Api-Secret-Token": ""}
        async with http.post(url, json=forged_update(68), headers=empty) as response:
            assert response.status == 401

    assert standin.webhook is not None
    assert standin.webhook.secret_token == bot.settings.effective_webhook_secret
    assert len(bot.settings.effective_webhook_secret) == 64
    mei = standin.user(1002, "美玲", language_code="zh")
    standin.send_command(mei, "/start")  # Telegram, with the secret it was given
    [greeting] = await standin.wait_for_messages(mei.id)
    assert greeting["text"].startswith("美玲，您好！")
    assert standin.messages(66) == standin.messages(67) == standin.messages(68) == []
