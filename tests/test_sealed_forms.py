"""Half-filled forms are personal data: sealed in Redis, forgotten when left too long.

A tourist's name, ID number, birth date and phone, a resident's words and location sit in a
form until it is sent. In Redis they are encrypted with the data key; in memory (no Redis)
a form untouched for STATE_TTL_SECONDS is forgotten; a form that cannot be read back (the key
changed) is gone. Either way the person is told, instead of the bot acting on a lost form.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import pytest
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from cryptography.fernet import Fernet
from redis.asyncio import Redis

from bot.forms import ExpiringMemoryStorage
from bot.localapi import BotAPIStandin
from tests.support.people import ENGLISH_MENU, inline_buttons, reply_keyboard
from tests.support.running import TOKEN
from tests.test_resident_requests import INSIDE_EAST_GATE, PNG, next_message
from tests.test_tourist_certificates import VERIFIERS, fill_in_form

ID_NUMBER = "11010519491231002X"
BIRTH_DATE = "1949-12-31"
PHONE = "+86 138 0013 8000"
NAME = "Dai Lingling"
WORDS = "The lamp outside number 17 Willow Lane is broken"
EXPIRED = "You left your form unfinished for too long, so I deleted what you had entered."
UNREADABLE = "I could not read back your unfinished form, so I deleted it."


class Clock:
    """Monotonic seconds the test moves on by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def up_to_the_phone(standin: BotAPIStandin, tourist: Any) -> None:
    """Consent, name, document, ID number and birth date given; the bot asks for the phone."""
    await fill_in_form(standin, tourist, ID_NUMBER, "✅ I agree")
    assert (await next_message(standin, tourist.id))["text"].startswith("Your date of birth")
    standin.send_message(tourist, BIRTH_DATE)
    assert (await next_message(standin, tourist.id))["text"].startswith("A phone number")


async def everything_in(redis_url: str) -> dict[bytes, list[bytes]]:
    """Every key's content, read as its type requires, plus its DUMP serialization."""
    found: dict[bytes, list[bytes]] = {}
    async with Redis.from_url(redis_url) as redis:
        async for key in redis.scan_iter(count=1000):
            kind = (await redis.type(key)).decode()
            values: list[Any]
            if kind == "none":
                continue  # gone since the scan saw it (a lock let go)
            if kind == "string":
                values = [await redis.get(key)]
            elif kind == "hash":
                values = [part for pair in (await redis.hgetall(key)).items() for part in pair]
            elif kind == "list":
                values = await redis.lrange(key, 0, -1)
            elif kind == "set":
                values = list(await redis.smembers(key))
            elif kind == "zset":
                values = [member for member, _ in await redis.zrange(key, 0, -1, withscores=True)]
            elif kind == "stream":
                values = [
                    part
                    for _id, fields in await redis.xrange(key)
                    for pair in fields.items()
                    for part in pair
                ]
            else:
                raise AssertionError(f"a key of a type this scan does not read: {kind}")
            dumped = await redis.dump(key)
            found[key] = [v if isinstance(v, bytes) else str(v).encode() for v in values]
            found[key].append(dumped or b"")
    return found


@pytest.mark.redis
async def test_half_filled_forms_in_redis_reveal_no_personal_data(
    standin: BotAPIStandin, run_bot, redis_url: str
) -> None:
    standin.group(VERIFIERS, title="Verifiers")  # where the finished application goes
    dai = standin.user(4101, "Dai", language_code="en")
    shen = standin.user(3101, "Lao Shen", language_code="en")
    await run_bot(redis_url=redis_url)

    await up_to_the_phone(standin, dai)
    standin.send_message(dai, PHONE)
    hotels = await next_message(standin, dai.id)
    assert hotels["text"].startswith("Which hotel are you staying at?")

    standin.send_message(shen, WORDS)
    question = await next_message(standin, shen.id)
    standin.press_button(shen, question, next(iter(inline_buttons(question).values())))
    assert (await next_message(standin, shen.id))["text"].startswith("Where is it?")
    standin.send_location(shen, *INSIDE_EAST_GATE)
    assert (await next_message(standin, shen.id))["text"].startswith("Add photos if they help")

    contents = await everything_in(redis_url)
    forms = [key for key in contents if key.startswith(b"linkage:fsm:") and key.endswith(b":data")]
    assert len(forms) == 2, "both forms are kept in Redis"
    secrets = [ID_NUMBER, BIRTH_DATE, PHONE, "13800138000", NAME, WORDS, "Willow", "120.755"]
    for key, values in contents.items():
        for value in values:
            for secret in secrets:
                assert secret.encode() not in value, f"{secret!r} readable in {key!r}"
    states = {contents[key][0] for key in contents if key.endswith(b":state")}
    assert states == {b"Apply:hotel", b"Report:adding_photos"}  # names only, kept readable

    # the sealed answers are read back whole: the tourist finishes, the summary shows them
    standin.press_button(dai, hotels, inline_buttons(hotels)["Xizha Waterside Inn"])
    await next_message(standin, dai.id)  # check-in?
    standin.press_reply_button(dai, "📅 Today")
    await next_message(standin, dai.id)  # nights?
    standin.send_message(dai, "2")
    await next_message(standin, dai.id)  # selfie?
    standin.send_photo(dai, PNG)
    await next_message(standin, dai.id)  # "Almost done."
    summary = await next_message(standin, dai.id)
    answers = (f"Name: {NAME}", f"ID card {ID_NUMBER}", f"birth: {BIRTH_DATE}", f"Phone: {PHONE}")
    for answer in answers:
        assert answer in summary["text"]
    standin.press_button(dai, summary, inline_buttons(summary)["📨 Submit"])
    assert (await next_message(standin, dai.id))["text"].startswith("Thank you. Your application")


async def write_a_plain_form(redis_url: str, person: Any) -> None:
    """A form as the bot wrote them before forms were sealed: JSON, readable by anyone."""
    async with Redis.from_url(redis_url) as redis:
        builder = DefaultKeyBuilder(prefix="linkage:fsm", with_destiny=True)
        plain = RedisStorage(redis, key_builder=builder, state_ttl=3600, data_ttl=3600)
        key = StorageKey(bot_id=int(TOKEN.split(":")[0]), chat_id=person.id, user_id=person.id)
        await plain.set_state(key, "Apply:phone")
        answers = {"name": NAME, "doc_type": "prc_id", "doc_number": ID_NUMBER}
        await plain.set_data(key, {**answers, "birth_date": BIRTH_DATE})


def nothing_plain(contents: dict[bytes, list[bytes]]) -> bool:
    return not any(
        ID_NUMBER.encode() in value or NAME.encode() in value
        for values in contents.values()
        for value in values
    )


@pytest.mark.redis
async def test_forms_left_in_plain_json_are_sealed_and_go_on(
    standin: BotAPIStandin, run_bot, redis_url: str
) -> None:
    """Forms written by the bot before this change go on; what stays of them is sealed."""
    away = standin.user(4106, "Away", language_code="en")
    await write_a_plain_form(redis_url, away)  # someone who does not come back
    await run_bot(redis_url=redis_url)
    assert nothing_plain(await everything_in(redis_url))
    async with Redis.from_url(redis_url) as redis:
        assert 3500 < await redis.ttl(f"linkage:fsm:{away.id}:{away.id}:default:data") <= 3600

    dai = standin.user(4102, "Dai", language_code="en")
    await write_a_plain_form(redis_url, dai)  # as an older process still running writes it
    standin.send_message(dai, PHONE)
    hotels = await next_message(standin, dai.id)
    assert hotels["text"].startswith("Which hotel are you staying at?")
    assert nothing_plain(await everything_in(redis_url))


@pytest.mark.redis
async def test_a_form_sealed_with_another_key_is_gone_and_the_person_is_told(
    standin: BotAPIStandin, run_bot, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    dai = standin.user(4103, "Dai", language_code="en")
    first = await run_bot(redis_url=redis_url, data_key=Fernet.generate_key().decode())
    await up_to_the_phone(standin, dai)
    await first.stop()

    caplog.set_level(logging.INFO)
    await run_bot(redis_url=redis_url, data_key=Fernet.generate_key().decode())
    standin.send_message(dai, PHONE)
    told = await next_message(standin, dai.id)
    assert told["text"].startswith(UNREADABLE)
    assert "Nothing was sent. Please start again from the menu." in told["text"]
    assert reply_keyboard(told) == ENGLISH_MENU
    assert "could not be read" in caplog.text
    for secret in (ID_NUMBER, NAME, BIRTH_DATE, PHONE):
        assert secret not in caplog.text
    async with Redis.from_url(redis_url) as redis:
        form = [key async for key in redis.scan_iter(match="linkage:fsm:*") if b":lock" not in key]
        assert not form

    standin.send_command(dai, "/certificate")  # and starting again works
    consent = await next_message(standin, dai.id)
    assert "✅ I agree" in inline_buttons(consent)


@pytest.mark.redis
async def test_a_replaced_key_kept_second_still_opens_forms(
    standin: BotAPIStandin, run_bot, redis_url: str
) -> None:
    """DATA_KEY="new,old" (a key being replaced): forms sealed with the old one go on."""
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    dai = standin.user(4104, "Dai", language_code="en")
    first = await run_bot(redis_url=redis_url, data_key=old)
    await up_to_the_phone(standin, dai)
    await first.stop()

    await run_bot(redis_url=redis_url, data_key=f"{new},{old}")
    standin.send_message(dai, PHONE)
    assert (await next_message(standin, dai.id))["text"].startswith("Which hotel")


async def test_an_embedded_form_untouched_for_the_ttl_is_forgotten(
    standin: BotAPIStandin, run_bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    monkeypatch.setattr(
        "bot.dispatching.ExpiringMemoryStorage",
        functools.partial(ExpiringMemoryStorage, clock=clock),
    )
    dai = standin.user(4105, "Dai", language_code="en")
    await run_bot(state_ttl_seconds=60)

    await up_to_the_phone(standin, dai)
    clock.now += 50
    standin.send_message(dai, PHONE)
    hotels = await next_message(standin, dai.id)
    assert hotels["text"].startswith("Which hotel are you staying at?")
    clock.now += 50  # 100 s since the form began, 50 s since its last step
    standin.press_button(dai, hotels, inline_buttons(hotels)["Xizha Waterside Inn"])
    assert (await next_message(standin, dai.id))["text"].startswith("Check-in date")

    clock.now += 61
    standin.press_reply_button(dai, "📅 Today")
    told = await next_message(standin, dai.id)
    assert told["text"].startswith(EXPIRED)
    assert "Nothing was sent. Please start again from the menu." in told["text"]
    assert reply_keyboard(told) == ENGLISH_MENU

    standin.send_command(dai, "/certificate")  # told once: the form is gone, a new one begins
    consent = await next_message(standin, dai.id)
    assert "✅ I agree" in inline_buttons(consent)


async def test_forms_of_people_who_never_come_back_are_swept_from_memory() -> None:
    clock = Clock()
    storage = ExpiringMemoryStorage(state_ttl=120, data_ttl=60, clock=clock)
    gone = [StorageKey(bot_id=1, chat_id=n, user_id=n) for n in range(1, 4)]
    for key in gone:
        await storage.set_state(key, "Apply:phone")
        await storage.set_data(key, {"doc_number": ID_NUMBER})
    clock.now += 61
    kept = StorageKey(bot_id=1, chat_id=9, user_id=9)
    await storage.set_data(kept, {"doc_number": ID_NUMBER})  # any write sweeps, now and then
    assert storage.forms_with_answers() == 1
    clock.now += 60
    await storage.set_state(kept, "Apply:phone")
    assert storage.forms_with_answers() == 0  # nobody read them: the sweep forgot them
    assert await storage.get_state(kept) == "Apply:phone"
