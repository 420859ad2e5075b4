"""A declined mediation case goes on: to the next organisation that takes its kind in the
applicant's area (kept on the case from the form's area step), and after the last to the street
office's chat; the applicant is told each time. And an organisation that serves one community
never gets a case from outside it. Through the Bot API stand-in, in English and Chinese."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.factory import build
from bot.localapi import BotAPIStandin
from bot.runner import mediation_round
from services.models import utcnow
from tests.support.mediation import ODR_CHAT, QIXING_CHAT, STREET_OFFICE_CHAT, file_case
from tests.support.people import inline_buttons
from tests.test_resident_requests import next_message


async def decline(
    standin: BotAPIStandin, mediator: Any, chat: int, button: str, reason: str
) -> dict[str, Any]:
    """The mediator presses Decline on the case card in `chat` and writes the reason."""
    card = standin.messages(chat)[-1]
    standin.press_button(mediator, card, inline_buttons(card)[button])
    asked = await next_message(standin, chat)
    standin.send_message(mediator, reason, chat=chat)
    return asked


async def test_a_declined_case_goes_to_the_next_organisation_of_the_area_then_the_street_office(
    standin: BotAPIStandin, run_bot
) -> None:
    qixing = standin.group(QIXING_CHAT, title="Qixing mediation")
    odr = standin.group(ODR_CHAT, title="ODR centre")
    office = standin.group(STREET_OFFICE_CHAT, title="Street office")
    mediator = standin.user(5301, "Mediator Xu", language_code="en")
    for chat in (qixing, odr, office):
        standin.add_member(chat.id, mediator.id)
    shen = standin.user(3001, "Lao Shen", language_code="en")
    bot = await run_bot()

    thanks = await file_case(standin, shen, "en", area="Grid 1: east gate")
    assert "Qixing People's Mediation Committee has it now" in thanks["text"]
    card = await next_message(standin, qixing.id)
    assert card["text"].startswith("⚖️ Mediation case M2026-000001 · 👪 Family")

    asked = await decline(standin, mediator, qixing.id, "❌ Decline", "We do not take estates.")
    assert asked["text"] == (
        "Why do you decline case M2026-000001? Write the reason in one message."
    )
    assert (await next_message(standin, qixing.id))["text"] == (
        "Case M2026-000001 declined; it went on."
    )
    assert (await next_message(standin, shen.id))["text"] == (
        "Qixing People's Mediation Committee cannot take your mediation case M2026-000001: "
        "“We do not take estates.”. It has gone to Jiaxing Online Dispute Resolution Centre."
    )
    card = await next_message(standin, odr.id)
    assert card["text"].startswith("⚖️ Mediation case M2026-000001 · 👪 Family")
    assert card["text"].endswith("Declined before by: Qixing People's Mediation Committee")

    await decline(standin, mediator, odr.id, "❌ Decline", "Too many cases this month.")
    await next_message(standin, odr.id)  # declined; it went on
    assert (await next_message(standin, shen.id))["text"] == (
        "Jiaxing Online Dispute Resolution Centre cannot take your mediation case M2026-000001: "
        "“Too many cases this month.”. It has gone to Qixing Street Office."
    )
    card = await next_message(standin, office.id)
    assert list(inline_buttons(card)) == ["✅ Accept", "📎 Ask for more evidence"]  # nowhere on
    assert card["text"].endswith(
        "Declined before by: Qixing People's Mediation Committee, Jiaxing Online Dispute "
        "Resolution Centre"
    )
    standin.press_button(mediator, card, inline_buttons(card)["✅ Accept"])
    assert (await next_message(standin, office.id))["text"].startswith(
        "✅ Case M2026-000001 accepted."
    )

    # closed and purged: the reasons written go with the personal data, the steps stay
    linkage = build(bot.settings)
    try:
        assert linkage.mediation is not None
        await linkage.mediation.outcomes.withdraw(1, shen.id, by_resident=True)
        later = utcnow() + timedelta(days=bot.settings.personal_data_retention_days, hours=1)
        await mediation_round(linkage, later)
        declined = [e for e in await linkage.mediation.cases.history(1) if e.kind == "declined"]
        assert [e.detail for e in declined] == ["qixing-pmc", "jiaxing-odr"]
    finally:
        await linkage.close()
    await standin.wait_for_messages(shen.id, count=1, timeout=10)  # withdrawn
    standin.press_reply_button(shen, "📋 My requests")
    mine = await next_message(standin, shen.id)
    standin.press_button(shen, mine, inline_buttons(mine)["Open M2026-000001"])
    history = (await next_message(standin, shen.id))["text"]
    assert " · Qixing People's Mediation Committee declined it\n" in history
    assert "estates" not in history

    # a family dispute from outside Sanjiabang never reaches Sanjiabang's committee
    mei = standin.user(3002, "Mei Ling", language_code="en")
    thanks = await file_case(standin, mei, "en", area=None)
    assert "Jiaxing Online Dispute Resolution Centre has it now" in thanks["text"]
    assert (await next_message(standin, odr.id))["text"].startswith("⚖️ Mediation case M2026-000002")
    assert standin.pending_messages(qixing.id) == []


async def test_a_chinese_applicant_is_told_where_the_declined_case_went(
    standin: BotAPIStandin, run_bot
) -> None:
    qixing = standin.group(QIXING_CHAT, title="七星调委会")
    odr = standin.group(ODR_CHAT, title="在线矛盾纠纷多元化解中心")
    mediator = standin.user(5301, "许调解员", language_code="zh")
    standin.add_member(qixing.id, mediator.id)
    mei = standin.user(3002, "美玲", language_code="zh")
    await run_bot(default_locale="zh", staff_locale="zh")

    thanks = await file_case(standin, mei, "zh", area="第一网格（东门）")
    assert "七星街道人民调解委员会 已收到" in thanks["text"]
    await next_message(standin, qixing.id)  # the card
    asked = await decline(standin, mediator, qixing.id, "❌ 拒绝", "本会不受理遗产纠纷。")
    assert asked["text"] == "为什么拒绝案件 M2026-000001？请用一条消息写明理由。"
    assert (await next_message(standin, qixing.id))[
        "text"
    ] == "案件 M2026-000001 已拒绝，已转交下一家。"
    assert (await next_message(standin, mei.id))["text"] == (
        "七星街道人民调解委员会 无法受理您的调解案件 M2026-000001：“本会不受理遗产纠纷。”。"
        "已转交 嘉兴市在线矛盾纠纷多元化解中心。"
    )
    assert (await next_message(standin, odr.id))["text"].startswith("⚖️ 调解案件 M2026-000001")
