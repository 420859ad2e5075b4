"""Every send stays within Telegram's limits: long texts are split, captions cut, data checked."""

from __future__ import annotations

import pytest
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
)

from bot.factory import build_bot
from bot.limits import split_text, utf16_len
from bot.localapi import BotAPIStandin
from tests.support.running import bot_settings

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
async def bot(standin: BotAPIStandin, tmp_path):
    telegram = build_bot(bot_settings(standin, data_dir=tmp_path))
    yield telegram
    await telegram.session.close()


def test_pieces_cut_at_paragraphs_then_lines_then_spaces() -> None:
    text = ("word " * 30).strip() + "\n\n" + "x" * 50
    pieces = [text[a:b] for a, b in split_text(text, 160)]
    assert pieces == [("word " * 30).strip(), "x" * 50]
    letters = "abcdefghij"
    assert [letters[a:b] for a, b in split_text(letters, 4)] == ["abcd", "efgh", "ij"]


def test_pieces_never_split_an_emoji_and_count_utf16() -> None:
    text = "😀" * 5  # each is two UTF-16 units
    pieces = [text[a:b] for a, b in split_text(text, 3)]
    assert pieces == ["😀"] * 5
    assert all(utf16_len(p) <= 3 for p in pieces)


async def test_a_long_text_arrives_as_several_messages(standin: BotAPIStandin, bot) -> None:
    ann = standin.user(1001, "Ann", language_code="en")
    sentences = " ".join(["the drain is blocked."] * 20)
    paragraphs = "\n\n".join(f"Paragraph {n}: {sentences}" for n in range(25))
    assert len(paragraphs) > 2 * 4096
    await bot.send_message(ann.id, paragraphs)
    sent = standin.messages(ann.id)
    assert len(sent) == 3
    assert all(len(m["text"]) <= 4096 for m in sent)
    assert "\n\n".join(m["text"] for m in sent) == paragraphs


async def test_chinese_text_is_counted_in_characters_not_bytes(standin: BotAPIStandin, bot) -> None:
    mei = standin.user(1002, "美玲", language_code="zh")
    await bot.send_message(mei.id, "下水道堵了" * 819)  # 4095 characters, 12285 bytes
    await bot.send_message(mei.id, "噪音" * 2500)  # 5000 characters
    assert [len(m["text"]) for m in standin.messages(mei.id)] == [4095, 4096, 904]


async def test_entities_follow_their_text_into_the_pieces(standin: BotAPIStandin, bot) -> None:
    ann = standin.user(1001, "Ann", language_code="en")
    text = "a" * 4000 + " " + "b" * 200
    bold = MessageEntity(type="bold", offset=3990, length=100)
    await bot.send_message(ann.id, text, entities=[bold])
    first, second = standin.messages(ann.id)
    assert first["entities"] == [{"type": "bold", "offset": 3990, "length": 10}]
    assert second["entities"] == [{"type": "bold", "offset": 0, "length": 89}]


async def test_buttons_ride_on_the_last_piece(standin: BotAPIStandin, bot) -> None:
    ann = standin.user(1001, "Ann", language_code="en")
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="OK", callback_data="ok")]]
    )
    await bot.send_message(ann.id, "z" * 5000, reply_markup=markup)
    first, second = standin.messages(ann.id)
    assert "reply_markup" not in first or not first["reply_markup"]
    assert second["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ok"


async def test_a_long_caption_is_cut_and_the_rest_follows(standin: BotAPIStandin, bot) -> None:
    ann = standin.user(1001, "Ann", language_code="en")
    caption = "Photo of the blocked cellar well at the east gate. " * 30
    await bot.send_photo(ann.id, BufferedInputFile(PNG, "well.png"), caption=caption)
    photo, rest = standin.messages(ann.id)
    assert len(photo["caption"]) <= 1024
    assert photo["caption"] + " " + rest["text"] == caption.strip()
    assert rest["reply_to_message"]["message_id"] == photo["message_id"]


async def test_callback_data_over_64_bytes_never_leaves_the_bot(
    standin: BotAPIStandin, bot
) -> None:
    ann = standin.user(1001, "Ann", language_code="en")
    too_long = "选" * 22  # 66 bytes in UTF-8
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="x", callback_data=too_long)]]
    )
    with pytest.raises(ValueError, match="66 bytes"):
        await bot.send_message(ann.id, "pick", reply_markup=markup)
    assert standin.calls("sendMessage") == []
