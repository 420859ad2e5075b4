"""The Bot API stand-in behaves like Telegram towards a real aiogram client."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyParameters,
)
from aiohttp import web

from bot.localapi import DEFAULT_TOKEN, BotAPIStandin, Limits, parse_text
from bot.localapi.spec import DEFAULT_SPEC_PATH

SPEC_PROVENANCE_PATH = DEFAULT_SPEC_PATH.with_suffix(".provenance")

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
QUIET = Limits(flood_control=False, webhook_retry_delay=0.05, webhook_retry_max_delay=0.2)


async def _start(limits: Limits = QUIET) -> BotAPIStandin:
    standin = BotAPIStandin(limits=limits)
    await standin.start()
    return standin


def _bot(standin: BotAPIStandin) -> Bot:
    api = TelegramAPIServer.from_base(standin.base_url)
    return Bot(DEFAULT_TOKEN, session=AiohttpSession(api=api))


@pytest_asyncio.fixture
async def api() -> AsyncIterator[BotAPIStandin]:
    standin = await _start()
    yield standin
    await standin.stop()


@pytest_asyncio.fixture
async def bot(api: BotAPIStandin) -> AsyncIterator[Bot]:
    client = _bot(api)
    yield client
    await client.session.close()


async def _raw(
    standin: BotAPIStandin, method: str, payload: dict[str, Any], token: str = DEFAULT_TOKEN
) -> tuple[int, dict[str, Any]]:
    url = f"{standin.base_url}/bot{token}/{method}"
    async with aiohttp.ClientSession() as http, http.post(url, json=payload) as response:
        return response.status, await response.json()


# ----------------------------------------------------------------- basics


@pytest.mark.asyncio
async def test_get_me_describes_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username, me.first_name) == (
        123456789,
        True,
        "linkage_test_bot",
        "Linkage",
    )


@pytest.mark.asyncio
async def test_send_message_round_trip_is_recorded(api: BotAPIStandin, bot: Bot) -> None:
    ann = api.user(1001, "Ann")
    sent = await bot.send_message(ann.id, "<b>Hello</b> &amp; welcome", parse_mode="HTML")
    assert sent.text == "Hello & welcome"
    assert sent.chat.id == ann.id and sent.from_user and sent.from_user.is_bot
    assert [(e.type, e.offset, e.length) for e in sent.entities or []] == [("bold", 0, 5)]

    [message] = await api.wait_for_messages(ann.id)
    assert message["message_id"] == sent.message_id
    assert api.messages(ann.id)[0]["text"] == "Hello & welcome"
    [call] = api.calls("sendMessage")
    assert call.response_ok and call.error_code is None
    assert call.params["chat_id"] == ann.id and call.params["parse_mode"] == "HTML"


@pytest.mark.asyncio
async def test_replies_and_reply_keyboards_are_visible_to_the_test(
    api: BotAPIStandin, bot: Bot
) -> None:
    ann = api.user(1001, "Ann")
    first = await bot.send_message(ann.id, "first")
    menu = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="❓ Help")]], resize_keyboard=True)
    second = await bot.send_message(
        ann.id,
        "second",
        reply_markup=menu,
        reply_parameters=ReplyParameters(message_id=first.message_id),
    )
    assert second.reply_to_message and second.reply_to_message.message_id == first.message_id
    assert second.reply_markup is None  # Telegram's Message only carries inline keyboards
    _, shown = await api.wait_for_messages(ann.id, count=2)
    assert shown["reply_markup"]["keyboard"] == [[{"text": "❓ Help"}]]
    assert api.reply_keyboard(ann.id) == [["❓ Help"]]
    with pytest.raises(AssertionError, match="got 0"):
        await api.wait_for_messages(ann.id, timeout=0.05)


# ------------------------------------------------------------------ limits


@pytest.mark.asyncio
async def test_text_over_4096_characters_is_refused(api: BotAPIStandin, bot: Bot) -> None:
    ann = api.user(1001)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(ann.id, "a" * 4097)
    # counted after entity parsing: the tags do not count
    await bot.send_message(ann.id, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(ann.id, "   \n ")
    assert [c.error_code for c in api.calls("sendMessage")] == [400, None, 400]


@pytest.mark.asyncio
async def test_4096_chinese_characters_fit_because_utf16_is_counted(
    api: BotAPIStandin, bot: Bot
) -> None:
    mei = api.user(1002, "美玲", language_code="zh")
    sent = await bot.send_message(mei.id, "好" * 4096)  # 12288 bytes of UTF-8
    assert len(sent.text or "") == 4096
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(mei.id, "😀" * 2049)  # 2049 characters, 4098 UTF-16 units


@pytest.mark.asyncio
async def test_caption_over_1024_is_refused(api: BotAPIStandin, bot: Bot) -> None:
    ann = api.user(1001)
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(ann.id, BufferedInputFile(PNG, "a.png"), caption="x" * 1025)
    sent = await bot.send_photo(ann.id, BufferedInputFile(PNG, "a.png"), caption="x" * 1024)
    assert sent.caption == "x" * 1024


@pytest.mark.asyncio
async def test_callback_data_is_limited_to_64_bytes(api: BotAPIStandin, bot: Bot) -> None:
    ann = api.user(1001)

    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="pick", callback_data=data)]]
        )

    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(ann.id, "pick", reply_markup=keyboard("选" * 22))  # 66 bytes
    sent = await bot.send_message(ann.id, "pick", reply_markup=keyboard("选" * 21))  # 63 bytes
    assert sent.reply_markup is not None
    assert api.last_keyboard(ann.id) == [("pick", "选" * 21)]


@pytest.mark.asyncio
async def test_unknown_fields_methods_and_tokens_are_refused(api: BotAPIStandin) -> None:
    api.user(1001)
    status, body = await _raw(api, "sendMessage", {"chat_id": 1001, "text": "hi", "colour": 1})
    assert status == 400
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": 'Bad Request: unknown field "colour" for method sendMessage',
    }
    status, body = await _raw(api, "sendMessage", {"chat_id": 1001})
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")
    status, body = await _raw(api, "sendMessage", {"chat_id": 999, "text": "hi"})
    assert (status, body["description"]) == (400, "Bad Request: chat not found")

    status, body = await _raw(api, "frobnicate", {})
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    status, body = await _raw(api, "SENDMESSAGE", {"chat_id": "1001", "text": "case-insensitive"})
    assert status == 200 and body["result"]["text"] == "case-insensitive"

    status, body = await _raw(api, "getMe", {}, token="not-a-token")
    assert (status, body["description"]) == (401, "Unauthorized")


# ---------------------------------------------------------------- updates


@pytest.mark.asyncio
async def test_get_updates_long_polls_and_the_offset_confirms(api: BotAPIStandin, bot: Bot) -> None:
    ann = api.user(1001, "Ann")
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    injected = api.send_command(ann, "/start")
    [update] = await asyncio.wait_for(poll, 2)
    assert update.update_id == injected["update_id"]
    assert update.message and update.message.text == "/start"
    assert update.message.entities and update.message.entities[0].type == "bot_command"

    # not confirmed yet: delivered again; the offset confirms and drops it
    assert [u.update_id for u in await bot.get_updates()] == [update.update_id]
    assert await bot.get_updates(offset=update.update_id + 1) == []

    # a redelivered update keeps its id and arrives once more
    api.redeliver(injected)
    [again] = await bot.get_updates(offset=update.update_id + 1)
    assert again.update_id == update.update_id

    # a second poller terminates the first, as Telegram does
    older = asyncio.create_task(bot.get_updates(offset=update.update_id + 1, timeout=5))
    await asyncio.sleep(0.05)
    newer = asyncio.create_task(bot.get_updates(offset=update.update_id + 1, timeout=1))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await asyncio.wait_for(older, 2)
    newer.cancel()


@pytest.mark.asyncio
async def test_form_encoded_and_get_requests_are_understood(api: BotAPIStandin) -> None:
    api.user(1001)
    base = f"{api.base_url}/bot{DEFAULT_TOKEN}"
    form = {"chat_id": "1001", "text": "hi", "disable_notification": "true"}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/sendMessage", data=form) as response:
            assert response.status == 200
            assert (await response.json())["result"]["text"] == "hi"
        async with http.get(f"{base}/getMe") as response:
            assert (await response.json())["result"]["username"] == "linkage_test_bot"
        async with http.post(f"{base}/sendMessage", data={"chat_id": "x1", "text": "1"}) as bad:
            assert bad.status == 400
    assert api.calls("sendMessage")[0].params["disable_notification"] is True


@pytest.mark.asyncio
async def test_button_presses_arrive_and_answers_are_recorded(api: BotAPIStandin, bot: Bot) -> None:
    ann = api.user(1001)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Yes", callback_data="answer:yes")]]
    )
    await bot.send_message(ann.id, "Sure?", reply_markup=markup)
    [question] = await api.wait_for_messages(ann.id)
    query_id = api.press_button(ann, question, "answer:yes")
    [update] = await bot.get_updates()
    assert update.callback_query and update.callback_query.data == "answer:yes"
    assert (
        update.callback_query.message
        and update.callback_query.message.message_id == (question["message_id"])
    )
    await bot.answer_callback_query(query_id, text="Done")
    assert api.callback_answers(query_id) == [{"text": "Done"}]
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query("12345")

    edited = await bot.edit_message_text("Sure!", chat_id=ann.id, message_id=question["message_id"])
    assert isinstance(edited, object) and api.messages(ann.id)[0]["text"] == "Sure!"
    assert "reply_markup" not in api.messages(ann.id)[0]  # an edit without markup drops it
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Sure!", chat_id=ann.id, message_id=question["message_id"])


@pytest.mark.asyncio
async def test_webhook_delivery_retries_sends_the_secret_and_runs_replies(
    api: BotAPIStandin, bot: Bot
) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def handler(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        if len(received) == 1:
            return web.Response(status=500)  # Telegram retries later
        update = received[-1][1]
        chat_id = update["message"]["chat"]["id"]
        return web.json_response({"method": "sendMessage", "chat_id": chat_id, "text": "pong"})

    app = web.Application()
    app.router.add_post("/hook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        url = f"http://127.0.0.1:{port}/hook"
        assert await bot.set_webhook(url, secret_token="s3cret-Token_1")
        assert api.webhook is not None and api.webhook.url == url
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates()

        ann = api.user(1001)
        update = api.send_message(ann, "ping")
        [reply] = await api.wait_for_messages(ann.id, timeout=3)
        assert reply["text"] == "pong"
        assert [r[0] for r in received] == ["s3cret-Token_1", "s3cret-Token_1"]
        assert [r[1]["update_id"] for r in received] == [update["update_id"]] * 2
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 0
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )
        assert api.calls("sendMessage")[0].source == "webhook"

        assert await bot.delete_webhook()
        assert api.webhook is None
    finally:
        await runner.cleanup()


# ---------------------------------------------------- flood control & faults


class _Clock:
    """A hand-driven monotonic clock for flood control."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.asyncio
async def test_a_burst_to_one_private_chat_hits_flood_control() -> None:
    clock = _Clock()
    standin = BotAPIStandin(Limits(private_burst=3, private_per_second=1.0), clock=clock)
    await standin.start()
    bot = _bot(standin)
    try:
        ann = standin.user(1001)
        for n in range(3):
            await bot.send_message(ann.id, f"burst {n}")
        with pytest.raises(TelegramRetryAfter) as refused:
            await bot.send_message(ann.id, "one too many")
        assert refused.value.retry_after == 1
        assert standin.too_many_requests == 1
        [call] = [c for c in standin.calls("sendMessage") if not c.response_ok]
        assert call.error_code == 429
        other = standin.user(1002)
        await bot.send_message(other.id, "another chat has its own budget")
        clock.now += 1.0  # one message per second after the burst
        await bot.send_message(ann.id, "after waiting")
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(ann.id, "again too fast")
        assert len(standin.messages(ann.id)) == 4
        assert standin.too_many_requests == 2
    finally:
        await bot.session.close()
        await standin.stop()


@pytest.mark.asyncio
async def test_groups_and_the_whole_bot_have_their_own_budgets() -> None:
    clock = _Clock()
    limits = Limits(group_messages=2, group_window=60.0, global_messages=5, global_window=1.0)
    standin = BotAPIStandin(limits, clock=clock)
    await standin.start()
    bot = _bot(standin)
    try:
        staff = standin.group(-1001, "Staff")
        await bot.send_message(staff.id, "one")
        await bot.send_message(staff.id, "two")
        with pytest.raises(TelegramRetryAfter) as refused:
            await bot.send_message(staff.id, "three")
        assert refused.value.retry_after == 60
        await bot.send_chat_action(staff.id, "typing")  # not a message: not counted
        clock.now += 60.0
        await bot.send_message(staff.id, "three")

        clock.now += 60.0
        users = [standin.user(2000 + n) for n in range(6)]
        for user in users[:5]:
            await bot.send_message(user.id, "broadcast")
        with pytest.raises(TelegramRetryAfter):  # 5 per second in total
            await bot.send_message(users[5].id, "broadcast")
    finally:
        await bot.session.close()
        await standin.stop()


@pytest.mark.asyncio
async def test_injected_faults_and_blocked_users(api: BotAPIStandin, bot: Bot) -> None:
    ann = api.user(1001)
    api.fail_next(502, 429)
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(ann.id, "a")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(ann.id, "b")
    await bot.send_message(ann.id, "c")
    assert (api.injected_faults, api.too_many_requests) == (2, 0)

    api.set_fault_rate(1.0, statuses=(502,), seed=1)
    with pytest.raises(TelegramServerError):
        await bot.send_message(ann.id, "d")
    api.set_fault_rate(0.0)

    api.block_user(ann.id)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(ann.id, "e")
    assert [m["text"] for m in api.messages(ann.id)] == ["c"]


# ------------------------------------------------------------------ files


@pytest.mark.asyncio
async def test_uploaded_photo_can_be_fetched_downloaded_and_resent(
    api: BotAPIStandin, bot: Bot
) -> None:
    ann = api.user(1001)
    sent = await bot.send_photo(ann.id, BufferedInputFile(PNG, "dot.png"), caption="a dot")
    assert sent.photo and (sent.photo[-1].width, sent.photo[-1].height) == (1, 1)
    file = await bot.get_file(sent.photo[-1].file_id)
    assert file.file_path
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == PNG

    again = await bot.send_photo(ann.id, sent.photo[-1].file_id)
    assert again.photo and again.photo[-1].file_id == sent.photo[-1].file_id
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_photo(ann.id, "AgACAgIAAxkBAAIunknown")

    update = api.send_photo(ann, PNG, caption="from Ann")
    user_photo = update["message"]["photo"][-1]["file_id"]
    user_file = await bot.get_file(user_photo)
    assert user_file.file_path
    from_user = await bot.download_file(user_file.file_path)
    assert from_user is not None and from_user.read() == PNG
    staff = api.group(-1001, "Staff")
    forwarded = await bot.send_photo(staff.id, user_photo, caption="Ann's photo")
    assert forwarded.caption == "Ann's photo"


# ------------------------------------------------------- commands & topics


@pytest.mark.asyncio
async def test_commands_are_kept_per_scope_and_language(api: BotAPIStandin, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command="help", description="Help")])
    await bot.set_my_commands(
        [BotCommand(command="help", description="帮助")],
        scope=BotCommandScopeChat(chat_id=1001),
        language_code="zh",
    )
    assert api.commands() == [{"command": "help", "description": "Help"}]
    assert api.commands("chat", "zh", chat_id=1001) == [{"command": "help", "description": "帮助"}]
    assert api.commands("default", "zh") == []
    assert [c.command for c in await bot.get_my_commands()] == ["help"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Help Me", description="x")])


@pytest.mark.asyncio
async def test_forum_topics_exist_only_in_forums(api: BotAPIStandin, bot: Bot) -> None:
    forum = api.group(-1002, "Tickets", forum=True)
    plain = api.group(-1003, "Plain")
    topic = await bot.create_forum_topic(forum.id, "Ticket #1")
    message = await bot.send_message(forum.id, "hello", message_thread_id=topic.message_thread_id)
    assert message.message_thread_id == topic.message_thread_id
    assert topic.message_thread_id != 1  # thread 1 is the General topic
    assert [t.name for t in api.topics(forum.id)] == ["Ticket #1"]
    with pytest.raises(TelegramBadRequest, match="the chat is not a forum"):
        await bot.create_forum_topic(plain.id, "nope")
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(forum.id, "lost", message_thread_id=999)
    assert await bot.close_forum_topic(forum.id, topic.message_thread_id)

    doomed = await bot.create_forum_topic(forum.id, "Ticket #2")
    kept = await bot.send_message(forum.id, "card", message_thread_id=doomed.message_thread_id)
    api.delete_topic(forum.id, doomed.message_thread_id)  # an administrator deletes it
    assert [t.name for t in api.topics(forum.id)] == ["Ticket #1"]
    assert kept.message_id not in [m["message_id"] for m in api.messages(forum.id)]
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(forum.id, "late", message_thread_id=doomed.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.copy_message(
            forum.id, forum.id, message.message_id, message_thread_id=doomed.message_thread_id
        )

    api.add_member(forum.id, 1001, "administrator")
    member = await bot.get_chat_member(forum.id, 1001)
    assert member.status == "administrator"
    assert member.can_manage_topics  # given for supergroups' administrators
    assert (await bot.get_chat_member(forum.id, 1002)).status == "left"


# -------------------------------------------------------------- formatting


def test_parse_modes_follow_telegram() -> None:
    parsed = parse_text("*bold* and \\.", "MarkdownV2")
    assert parsed.text == "bold and ."
    assert parsed.entities == [{"type": "bold", "offset": 0, "length": 4}]
    with pytest.raises(ValueError, match="reserved"):
        parse_text("1.5", "MarkdownV2")
    with pytest.raises(ValueError, match='Unsupported start tag "p"'):
        parse_text("<p>x</p>", "HTML")
    # Telegram trims surrounding whitespace and detects commands by itself
    trimmed = parse_text("  Send /help \n")
    assert trimmed.text == "Send /help"
    assert trimmed.entities == [{"type": "bot_command", "offset": 5, "length": 5}]


def test_the_packaged_bot_api_spec_is_the_published_one() -> None:
    """The copy the package ships is, byte for byte, the published file its provenance records."""
    provenance = dict(
        line.split(": ", 1)
        for line in SPEC_PROVENANCE_PATH.read_text().splitlines()
        if line and not line.startswith("#")
    )
    packaged = DEFAULT_SPEC_PATH.read_bytes()
    assert hashlib.sha256(packaged).hexdigest() == provenance["sha256"]
    spec = json.loads(packaged)
    assert (spec["version"], spec["release_date"]) == (
        provenance["version"],
        provenance["release_date"],
    )
    assert provenance["source"].startswith("https://github.com/PaulSonOfLars/telegram-bot-api-spec")
    license_text = (DEFAULT_SPEC_PATH.parent / "LICENSE-bot-api-spec").read_text()
    assert license_text.startswith("MIT License")


async def test_a_user_edits_a_message_and_the_bot_gets_edited_message(
    api: BotAPIStandin, bot: Bot
) -> None:
    api.user(501, "Lao Shen")
    sent = api.send_message(501, "The well is blocked")["message"]
    api.edit_message(501, sent, "The cellar well is blocked")
    first, edit = await bot.get_updates()
    assert first.message is not None and first.message.text == "The well is blocked"
    assert edit.edited_message is not None
    assert edit.edited_message.message_id == first.message.message_id
    assert edit.edited_message.text == "The cellar well is blocked"
    assert edit.edited_message.edit_date is not None
    with pytest.raises(AssertionError):  # nobody edits another person's message
        api.user(502, "Someone else")
        api.edit_message(502, sent, "mine now")


async def test_voice_video_note_and_sticker_arrive_as_themselves_and_copy_as_themselves(
    api: BotAPIStandin, bot: Bot
) -> None:
    api.user(501, "Lao Shen")
    api.group(-100777, title="Staff")
    voice = api.send_media(501, "voice", b"OggS voice", caption="listen")["message"]
    note = api.send_media(501, "video_note", b"mp4", caption="ignored")["message"]
    sticker = api.send_media(501, "sticker", b"RIFF webp")["message"]
    updates = await bot.get_updates()
    assert updates[0].message.voice is not None and updates[0].message.caption == "listen"
    assert updates[1].message.video_note is not None and updates[1].message.caption is None
    assert updates[2].message.sticker is not None
    for original, kind in ((voice, "voice"), (note, "video_note"), (sticker, "sticker")):
        copied = await bot.copy_message(-100777, 501, original["message_id"])
        [shown] = [m for m in api.messages(-100777) if m["message_id"] == copied.message_id]
        assert shown[kind]["file_id"] == original[kind]["file_id"]


async def test_an_album_is_one_media_group_and_send_media_group_makes_one(
    api: BotAPIStandin, bot: Bot
) -> None:
    api.user(501, "Lao Shen")
    api.group(-100777, title="Staff")
    album = api.send_album(501, [b"one", b"two", b"three"], caption="the well")
    messages = [update["message"] for update in album]
    assert len({m["media_group_id"] for m in messages}) == 1
    assert [m.get("caption") for m in messages] == ["the well", None, None]
    sent = await bot.send_media_group(
        -100777,
        [
            {"type": "photo", "media": m["photo"][-1]["file_id"]}  # type: ignore[misc]
            for m in messages
        ],
    )
    assert len(sent) == 3 and len({m.media_group_id for m in sent}) == 1
