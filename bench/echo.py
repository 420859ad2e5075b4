"""A bare aiogram echo bot: the reference the intake and memory benchmarks compare against.

Polling, or webhook through aiogram's SimpleRequestHandler (as the real bot), on aiohttp,
against any Bot API server. As a process it reads BOT_TOKEN, TELEGRAM_API_URL and optionally
WEBHOOK_URL and WEB_PORT from the environment:

    BOT_TOKEN=… TELEGRAM_API_URL=http://127.0.0.1:8081 .venv/bin/python -m bench.echo
"""

from __future__ import annotations

import asyncio
import os
import signal
from urllib.parse import urlparse

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

SECRET = "echo-secret"


def echo_dispatcher() -> Dispatcher:
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "…")

    return dispatcher


async def run_echo(
    token: str, api_url: str, stop: asyncio.Event, webhook_url: str | None = None, port: int = 0
) -> None:
    """Answer every message with its text until `stop`."""
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    dispatcher = echo_dispatcher()
    try:
        if webhook_url is None:
            polling = asyncio.create_task(
                dispatcher.start_polling(bot, polling_timeout=1, handle_signals=False)
            )
            await stop.wait()
            await dispatcher.stop_polling()
            await polling
            return
        app = web.Application()
        handler = SimpleRequestHandler(dispatcher=dispatcher, bot=bot, secret_token=SECRET)
        handler.register(app, path=urlparse(webhook_url).path or "/")
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await bot.set_webhook(webhook_url, secret_token=SECRET)
        await stop.wait()
        await runner.cleanup()
    finally:
        await bot.session.close()


def main() -> None:
    async def run() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await run_echo(
            os.environ["BOT_TOKEN"],
            os.environ["TELEGRAM_API_URL"],
            stop,
            os.environ.get("WEBHOOK_URL"),
            int(os.environ.get("WEB_PORT", "0")),
        )

    asyncio.run(run())


if __name__ == "__main__":
    main()
