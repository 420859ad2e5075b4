"""Both directions of a conversation, as people have it: every kind of message, albums, edits.

A resident reports with an album; staff see one album under the card; a staff reply and its
edit reach the resident; the resident's voice note, document and edited comment reach staff.
"""

from __future__ import annotations

from typing import Any

from bot.localapi import BotAPIStandin
from tests.support.people import inline_buttons
from tests.support.running import eventually

EAST_GATE_CHAT = -1001000000011
INSIDE_EAST_GATE = (30.7610, 120.7550)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
WORDS = {
    "en": {
        "kind": "✅ Drains and sewers",
        "done": "✅ Done",
        "album": "Album received. Send more, or press “Done”.",
        "submit": "📨 Submit",
        "number": "Your request number is ",
        "photos": "Photos: 3",
        "heading": "💬 Grid 1: east gate about your request",
        "adds": "💬 The resident adds to request",
        "added": "Added to request",
    },
    "zh": {
        "kind": "✅ 下水道与排水",
        "done": "✅ 完成",
        "album": "相册已收到。可以继续发送，或按“完成”。",
        "submit": "📨 提交",
        "number": "您的诉求编号是 ",
        "photos": "照片：3 张",
        "heading": "💬 第一网格（东门）关于您的诉求",
        "adds": "💬 居民对诉求",
        "added": "已补充到诉求",
    },
}


async def last(standin: BotAPIStandin, chat_id: int, **kwargs: Any) -> list[dict[str, Any]]:
    return await standin.wait_for_messages(chat_id, timeout=10, **kwargs)


async def report_with_album(standin: BotAPIStandin, person: Any, words: dict[str, str]) -> str:
    standin.send_message(person, "The cellar well at our gate is blocked again")
    [question] = await last(standin, person.id)
    standin.press_button(person, question, inline_buttons(question)[words["kind"]])
    await last(standin, person.id)
    standin.send_location(person, *INSIDE_EAST_GATE)
    await last(standin, person.id)
    standin.send_album(person, [PNG, PNG + b"2", PNG + b"3"])
    [received] = await last(standin, person.id)  # one answer for the album
    assert received["text"] == words["album"]
    standin.press_reply_button(person, words["done"])
    _almost, summary = await last(standin, person.id, count=2)
    assert words["photos"] in summary["text"]
    standin.press_button(person, summary, inline_buttons(summary)[words["submit"]])
    [thanks] = await last(standin, person.id)
    return str(thanks["text"].split(words["number"])[1][:11])


async def conversation(standin: BotAPIStandin, run_bot: Any, locale: str) -> None:
    words = WORDS[locale]
    staff_chat = standin.group(EAST_GATE_CHAT, title="Grid 1 staff")
    worker = standin.user(111111, "Wang Fang", language_code=locale)
    standin.add_member(staff_chat.id, worker.id)
    shen = standin.user(3001, "Lao Shen", language_code=locale)
    await run_bot(default_locale=locale)

    number = await report_with_album(standin, shen, words)
    card, _location, *album = await last(standin, staff_chat.id, count=5)
    assert number in card["text"]
    assert len(album) == 3 and len({photo["media_group_id"] for photo in album}) == 1
    assert [call.method for call in standin.calls("sendMediaGroup")] == ["sendMediaGroup"]

    # staff reply, then edit the reply: the resident's copy follows
    reply = standin.send_message(worker, "We come at 3 pm", staff_chat, reply_to=card)["message"]
    [copy] = await last(standin, shen.id)
    assert copy["text"].startswith(words["heading"]) and copy["text"].endswith("We come at 3 pm")
    await last(standin, staff_chat.id)  # "Sent to the resident"
    standin.edit_message(worker, reply, "We come at 4 pm")
    await eventually(
        lambda: standin.state.get_message(shen.id, copy["message_id"])["text"].endswith(
            "We come at 4 pm"
        )
    )

    # the resident answers with a voice note, then a document, then words they correct
    standin.send_media(shen, "voice", b"OggS", reply_to=copy)
    [added] = await last(standin, shen.id)
    assert added["text"].startswith(words["added"])
    [voice] = await last(standin, staff_chat.id)
    assert "voice" in voice and voice["caption"].startswith(words["adds"])
    standin.send_document(shen, b"%PDF", "receipt.pdf", reply_to=copy)
    await last(standin, shen.id)
    [document] = await last(standin, staff_chat.id)
    assert document["document"]["file_name"] == "receipt.pdf"
    comment = standin.send_message(shen, "It smells too", reply_to=copy)["message"]
    await last(standin, shen.id)
    [relayed] = await last(standin, staff_chat.id)
    assert relayed["text"].endswith("It smells too")
    standin.edit_message(shen, comment, "It smells bad too")
    await eventually(
        lambda: standin.state.get_message(staff_chat.id, relayed["message_id"])["text"].endswith(
            "It smells bad too"
        )
    )


async def test_a_conversation_both_ways_in_english(standin: BotAPIStandin, run_bot) -> None:
    await conversation(standin, run_bot, "en")


async def test_a_conversation_both_ways_in_chinese(standin: BotAPIStandin, run_bot) -> None:
    await conversation(standin, run_bot, "zh")


async def staff_reply_delivered(
    standin: BotAPIStandin, run_bot: Any
) -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
    """Lao Shen reports; Wang Fang replies in the group; returns (worker, shen, reply, copy)."""
    staff_chat = standin.group(EAST_GATE_CHAT, title="Grid 1 staff")
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(staff_chat.id, worker.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    await run_bot()
    await report_with_album(standin, shen, WORDS["en"])
    card, *_rest = await last(standin, staff_chat.id, count=5)
    reply = standin.send_message(worker, "We come at 3 pm", staff_chat, reply_to=card)["message"]
    [copy] = await last(standin, shen.id)
    await last(standin, staff_chat.id)
    return worker, shen, reply, copy


async def test_someone_who_left_the_team_cannot_change_what_the_resident_read(
    standin: BotAPIStandin, run_bot
) -> None:
    worker, shen, reply, copy = await staff_reply_delivered(standin, run_bot)
    standin.change_member(EAST_GATE_CHAT, worker.id, "left")
    standin.edit_message(worker, reply, "Never mind, we are not coming")
    [refusal] = await last(standin, EAST_GATE_CHAT)
    assert refusal["text"].startswith("Only the team of request")
    assert standin.state.get_message(shen.id, copy["message_id"])["text"].endswith(
        "We come at 3 pm"
    )
    assert standin.pending_messages(shen.id) == []


async def test_an_edit_after_48_hours_is_sent_anew_marked_edited(
    standin: BotAPIStandin, run_bot, database_url: str
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from services.models import Notification, utcnow
    from services.storage import Database

    worker, shen, reply, copy = await staff_reply_delivered(standin, run_bot)
    db = Database(database_url)  # two days pass
    async with db.session() as session:
        await session.exec(  # type: ignore[call-overload]
            update(Notification).values(delivered_at=utcnow() - timedelta(hours=49))
        )
        await session.commit()
    await db.close()
    standin.edit_message(worker, reply, "We come at 4 pm")
    [edited] = await last(standin, shen.id)
    assert edited["text"].startswith(WORDS["en"]["heading"])
    assert "✏️ Edited:" in edited["text"] and edited["text"].endswith("We come at 4 pm")
    assert edited["reply_to_message"]["message_id"] == copy["message_id"]
    assert standin.state.get_message(shen.id, copy["message_id"])["text"].endswith(
        "We come at 3 pm"
    )
