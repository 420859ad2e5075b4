"""Staff turn a dispute request into mediation: "Refer to mediation" on the request's card (only
its staff: the attack first), the resident's "Start mediation", the short form without the area
step (the request's grid is kept), and the case is linked to the request and goes to the
committee of that area. Through the Bot API stand-in, in English and Chinese."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.factory import build
from bot.localapi import BotAPIStandin
from services.mediation_models import MediationCase
from services.tickets import Draft
from tests.support.mediation import QIXING_CHAT
from tests.support.people import inline_buttons
from tests.test_mediation import _answered
from tests.test_resident_requests import next_message

DISPUTES_CHAT = -1001000000090

WORDS = {
    "en": {
        "refer": "⚖️ Refer to mediation",
        "refused": "Only the staff of this request can do that.",
        "suggested": "⚖️ The team suggests mediation for your request {number}",
        "start": "⚖️ Start mediation",
        "neighbours": "🏘 Neighbours",
        "skip": "⏭ Skip",
        "evidence?": "Add evidence if you have it",
        "submit": "📨 Submit",
        "thanks": "Qixing People's Mediation Committee has it now",
        "card": "⚖️ Mediation case M2026-000001 · 🏘 Neighbours",
    },
    "zh": {
        "refer": "⚖️ 转交调解",
        "refused": "只有该诉求的工作人员才能这样做。",
        "suggested": "⚖️ 工作人员建议对您的诉求 {number} 进行调解",
        "start": "⚖️ 开始调解",
        "neighbours": "🏘 邻里",
        "skip": "⏭ 跳过",
        "evidence?": "如有证据",
        "submit": "📨 提交",
        "thanks": "七星街道人民调解委员会 已收到",
        "card": "⚖️ 调解案件 M2026-000001 · 🏘 邻里",
    },
}


@pytest.mark.parametrize("locale", ["en", "zh"])
async def test_a_dispute_request_referred_to_mediation_becomes_a_linked_case(
    standin: BotAPIStandin, run_bot, locale: str
) -> None:
    words = WORDS[locale]
    disputes = standin.group(DISPUTES_CHAT, title="Disputes")
    worker = standin.user(111111, "Wang Fang", language_code=locale)
    standin.add_member(disputes.id, worker.id)
    qixing = standin.group(QIXING_CHAT, title="Qixing mediation")
    outsider = standin.user(5399, "Nosy Neighbour", language_code=locale)
    shen = standin.user(3001, "Lao Shen", language_code=locale)
    bot = await run_bot(default_locale=locale, staff_locale=locale)
    linkage = build(bot.settings)
    try:
        ticket = await linkage.tickets.create(
            Draft(
                resident_id=shen.id,
                resident_name="Lao Shen",
                resident_locale=locale,
                text="The neighbours upstairs flood my bathroom and will not pay for it",
                category="disputes",
                grid="SJB-02",
                staff_chat_id=DISPUTES_CHAT,
            )
        )
        card = await next_message(standin, disputes.id)
        refer = inline_buttons(card)[words["refer"]]
        refused = standin.press_button(outsider, card, refer)
        await _answered(standin, refused)
        assert standin.callback_answers(refused)[-1]["text"] == words["refused"]
        assert standin.pending_messages(shen.id) == []

        standin.press_button(worker, card, refer)
        suggested = await next_message(standin, shen.id)
        assert suggested["text"].startswith(words["suggested"].format(number=ticket.number))
        standin.press_button(shen, suggested, inline_buttons(suggested)[words["start"]])
        await next_message(standin, shen.id)  # what mediation is
        kinds = await next_message(standin, shen.id)
        standin.press_button(shen, kinds, inline_buttons(kinds)[words["neighbours"]])
        await next_message(standin, shen.id)  # who is the other party
        standin.send_message(shen, "Flat 502")
        await next_message(standin, shen.id)  # how to reach them
        standin.press_reply_button(shen, words["skip"])
        await next_message(standin, shen.id)  # what happened
        standin.send_message(shen, "Water comes through my ceiling every week.")
        await next_message(standin, shen.id)  # what do you ask for
        standin.send_message(shen, "Repairs and 3,000 yuan")
        # no area step: the request's grid is known
        assert (await next_message(standin, shen.id))["text"].startswith(words["evidence?"])
        standin.press_reply_button(shen, words["skip"])
        await next_message(standin, shen.id)  # almost done
        summary = await next_message(standin, shen.id)
        standin.press_button(shen, summary, inline_buttons(summary)[words["submit"]])
        assert words["thanks"] in (await next_message(standin, shen.id))["text"]
        assert (await next_message(standin, qixing.id))["text"].startswith(words["card"])

        async with linkage.db.session() as session:
            case = (await session.exec(select(MediationCase))).one()
        assert (case.ticket_id, case.grid, case.community) == (ticket.id, "SJB-02", "sanjiabang")
    finally:
        await linkage.close()
