"""A hiccup at Telegram (429, 5xx, network) is retried; a refusal (other 4xx) is not."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates, SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.button_presses import NoteAnsweredPresses
from bot.factory import build_bot
from bot.limits import TelegramLimits
from bot.localapi import BotAPIStandin
from bot.retry import RetryOnTelegramHiccups
from bot.tuning import KeepResponseModels
from tests.support.running import TOKEN, bot_settings
from tests.support.servers import free_port


class FakeSleep:
    """Records each wait instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.waits.append(delay)


def retry_of(telegram: Bot) -> RetryOnTelegramHiccups:
    [retry] = [m for m in telegram.session.middleware if isinstance(m, RetryOnTelegramHiccups)]
    return retry


@pytest.fixture
async def bot(standin: BotAPIStandin, tmp_path):
    """The bot client as build_bot wires it, with the waits recorded instead of slept."""
    telegram = build_bot(bot_settings(standin, data_dir=tmp_path))
    retry_of(telegram).sleep = FakeSleep()
    retry_of(telegram).random = lambda: 1.0  # the top of the jitter range: predictable
    yield telegram
    await telegram.session.close()


def waits(telegram: Bot) -> list[float]:
    sleep = retry_of(telegram).sleep
    assert isinstance(sleep, FakeSleep)
    return sleep.waits


def sends(standin: BotAPIStandin) -> list[int | None]:
    return [call.error_code for call in standin.calls("sendMessage")]


def test_retries_sit_inside_the_limits_so_each_piece_is_retried_alone(standin, tmp_path):
    telegram = build_bot(bot_settings(standin, data_dir=tmp_path))
    assert [type(m) for m in telegram.session.middleware] == [
        NoteAnsweredPresses,
        TelegramLimits,
        RetryOnTelegramHiccups,
        KeepResponseModels,
    ]


async def test_a_press_answered_before_a_crash_does_not_stop_the_step(
    standin: BotAPIStandin, bot: Bot, caplog
) -> None:
    """A press taken over after a crash was answered by the dead process (or is too old).

    Telegram refuses the second answer; the handler must still go on and ask its question.
    """
    ann = standin.user(1001, "Ann", language_code="en")
    pick = InlineKeyboardButton(text="Drains", callback_data="pick:drains")
    await bot.send_message(
        ann.id, "Which kind?", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[pick]])
    )
    [question] = standin.messages(ann.id)
    query_id = standin.press_button(ann, question, "pick:drains")
    assert await bot.answer_callback_query(query_id, text="Drains")  # the process that died
    with caplog.at_level(logging.INFO, logger="bot.button_presses"):
        assert await bot.answer_callback_query(query_id, text="Drains") is True  # its successor
    assert standin.callback_answers(query_id) == [{"text": "Drains"}]
    assert f"press {query_id} not answered: " in caplog.text
    assert waits(bot) == []  # a refusal, not a hiccup: not retried


async def test_a_502_then_success_delivers_one_message(
    standin: BotAPIStandin, tmp_path, caplog
) -> None:
    telegram = build_bot(bot_settings(standin, data_dir=tmp_path))  # real sleep, real jitter
    ann = standin.user(1001, "Ann", language_code="en")
    standin.fail_next(502)
    try:
        with caplog.at_level(logging.WARNING, logger="bot.retry"):
            await telegram.send_message(ann.id, "Your report was received.")
    finally:
        await telegram.session.close()
    assert [m["text"] for m in standin.messages(ann.id)] == ["Your report was received."]
    assert sends(standin) == [502, None]
    assert retry_of(telegram).server_retries == 1
    assert "sendMessage failed (TelegramServerError" in caplog.text
    assert "Bad Gateway" in caplog.text


async def test_a_429_waits_retry_after_then_delivers_once(standin: BotAPIStandin, bot) -> None:
    ann = standin.user(1001, "Ann", language_code="en")
    standin.set_fault_rate(0.0, retry_after=7)
    standin.fail_next(429)
    await bot.send_message(ann.id, "Your report was received.")
    assert [m["text"] for m in standin.messages(ann.id)] == ["Your report was received."]
    assert waits(bot) == [7]
    assert sends(standin) == [429, None]
    assert (retry_of(bot).flood_waits, retry_of(bot).server_retries) == (1, 0)


async def test_a_429_asking_too_long_a_wait_surfaces(standin: BotAPIStandin, bot) -> None:
    ann = standin.user(1001, "Ann", language_code="en")
    standin.set_fault_rate(0.0, retry_after=31)
    standin.fail_next(429)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(ann.id, "hello")
    assert waits(bot) == []
    assert sends(standin) == [429]
    assert retry_of(bot).flood_waits == 1


async def test_only_three_flood_waits_per_call(standin: BotAPIStandin, bot) -> None:
    ann = standin.user(1001, "Ann", language_code="en")
    standin.fail_next(429, 429, 429, 429)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(ann.id, "hello")
    assert waits(bot) == [1, 1, 1]
    assert sends(standin) == [429] * 4
    assert retry_of(bot).flood_waits == 4
    assert standin.messages(ann.id) == []


async def test_four_502s_surface_after_four_attempts(standin: BotAPIStandin, bot) -> None:
    ann = standin.user(1001, "Ann", language_code="en")
    standin.fail_next(502, 502, 502, 502)
    with pytest.raises(TelegramServerError):
        await bot.send_message(ann.id, "hello")
    assert sends(standin) == [502] * 4
    assert waits(bot) == [0.5, 1.0, 2.0]  # exponential, jitter at its top
    assert retry_of(bot).server_retries == 3
    assert standin.messages(ann.id) == []


async def test_a_refusal_is_not_retried(standin: BotAPIStandin, bot) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "hello")  # a chat the stand-in doesn't know
    assert sends(standin) == [400]
    assert waits(bot) == []


async def test_only_the_failed_piece_of_a_long_text_is_sent_again(
    standin: BotAPIStandin, bot
) -> None:
    ann = standin.user(1001, "Ann", language_code="en")
    pieces_seen = 0

    async def fail_the_second_piece(make_request: Any, telegram: Bot, method: Any) -> Any:
        nonlocal pieces_seen
        pieces_seen += 1
        if pieces_seen == 2:
            standin.fail_next(502)
        return await make_request(telegram, method)

    bot.session.middleware(fail_the_second_piece)  # registered last: innermost
    text = "\n\n".join(f"Part {n}: " + "x" * 3000 for n in range(3))
    await bot.send_message(ann.id, text)
    assert [m["text"] for m in standin.messages(ann.id)] == text.split("\n\n")
    assert sends(standin) == [None, 502, None, None]
    assert waits(bot) == [0.5]


async def test_a_network_failure_is_retried_then_surfaces(standin: BotAPIStandin, tmp_path) -> None:
    nothing_listens = f"http://127.0.0.1:{free_port()}"
    telegram = build_bot(bot_settings(standin, telegram_api_url=nothing_listens, data_dir=tmp_path))
    retry_of(telegram).sleep = sleep = FakeSleep()
    try:
        with pytest.raises(TelegramNetworkError):
            await telegram.send_message(1001, "hello")
    finally:
        await telegram.session.close()
    assert len(sleep.waits) == 3
    assert retry_of(telegram).server_retries == 3


class Script:
    """A make_request that raises the scripted errors, then answers."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self, bot: Any, method: Any) -> Any:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "answered"


async def test_a_timeout_is_retried() -> None:
    sleep = FakeSleep()
    retry = RetryOnTelegramHiccups(sleep=sleep, random=lambda: 0.5)
    script = Script(TimeoutError(), TimeoutError())
    method = SendMessage(chat_id=1, text="hello")
    assert await retry(script, Bot(TOKEN), method) == "answered"
    assert script.calls == 3
    assert sleep.waits == [0.25, 0.5]


async def test_the_backoff_is_capped() -> None:
    sleep = FakeSleep()
    retry = RetryOnTelegramHiccups(max_attempts=6, backoff_cap=3.0, sleep=sleep, random=lambda: 1)
    method = SendMessage(chat_id=1, text="hello")
    script = Script(*[TelegramServerError(method, "Bad Gateway")] * 5)
    assert await retry(script, Bot(TOKEN), method) == "answered"
    assert sleep.waits == [0.5, 1.0, 2.0, 3.0, 3.0]


async def test_polling_and_too_large_requests_are_not_retried() -> None:
    retry = RetryOnTelegramHiccups(sleep=FakeSleep())
    polling = GetUpdates()
    script = Script(TelegramServerError(polling, "Bad Gateway"))
    with pytest.raises(TelegramServerError):
        await retry(script, Bot(TOKEN), polling)
    assert script.calls == 1
    upload = SendMessage(chat_id=1, text="hello")
    script = Script(TelegramEntityTooLarge(upload, "Request Entity Too Large"))
    with pytest.raises(TelegramEntityTooLarge):
        await retry(script, Bot(TOKEN), upload)
    assert script.calls == 1
