"""Topics that repair themselves: a deleted ticket topic is opened again on the next message."""

from __future__ import annotations

from bot.localapi import BotAPIStandin
from tests.support.people import inline_buttons
from tests.support.running import eventually
from tests.test_resident_requests import (
    INSIDE_NORTH_GATE,
    NORTH_GATE_FORUM,
    next_message,
    report,
)


async def test_a_deleted_topic_is_recreated_on_the_next_message(
    standin: BotAPIStandin, run_bot
) -> None:
    forum = standin.group(NORTH_GATE_FORUM, title="Grid 3", forum=True)
    worker = standin.user(111131, "Zhao Lei", language_code="en")
    standin.add_member(forum.id, worker.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    await run_bot()
    await report(standin, shen, "Trucks make noise at night", INSIDE_NORTH_GATE)
    [topic] = standin.topics(forum.id)
    await standin.wait_for_messages(forum.id, count=2, timeout=10)

    standin.delete_topic(forum.id, topic.message_thread_id)  # a staff member tidies up
    assert standin.topics(forum.id) == []
    standin.send_command(shen, "/requests")
    mine = await next_message(standin, shen.id)
    standin.press_button(shen, mine, inline_buttons(mine)["Open 2026-000001"])
    opened = await next_message(standin, shen.id)
    standin.press_button(shen, opened, inline_buttons(opened)["💬 Add a comment or photo"])
    await next_message(standin, shen.id)
    standin.send_message(shen, "Still loud at 2 a.m.")
    assert (await next_message(standin, shen.id))["text"] == (
        "Added to request 2026-000001. The team will see it."
    )

    await eventually(lambda: len(standin.topics(forum.id)) == 1, within=10)
    [again] = standin.topics(forum.id)
    assert again.name == "2026-000001 · Noise"
    assert again.message_thread_id != topic.message_thread_id
    await eventually(
        lambda: any(
            "Still loud at 2 a.m." in m.get("text", "") for m in standin.messages(forum.id)
        ),
        within=10,
    )
    in_topic = [m for m in standin.messages(forum.id)]
    assert all(m.get("message_thread_id") == again.message_thread_id for m in in_topic)
    new_card = next(m for m in in_topic if m.get("text", "").startswith("🆕 Request 2026-000001"))
    assert new_card["text"].endswith(
        "♻️ This request's topic was deleted, so it has been opened again here."
    )
    assert "🙋 Take" in inline_buttons(new_card)

    standin.send_message(
        worker, "Patrol tonight.", chat=forum.id, message_thread_id=again.message_thread_id
    )
    assert (await next_message(standin, shen.id))["text"].endswith("Patrol tonight.")

    refused = [c for c in standin.calls() if c.error_code == 400]
    assert [c.description for c in refused] == ["Bad Request: message thread not found"]
    standin.clear_calls()  # that refusal was the point: the topic was gone
