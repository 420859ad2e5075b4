"""After acceptance to the end, through the Bot API stand-in: the other party's link shows no
evidence until the mediator shares it (the attack first), then lists it and sends the files;
the settlement PDF's QR code, decoded by zxing-cpp, opens a page that says genuine; judicial
confirmation is recorded from the settled card with its date, the applicant is told, and it
shows in the history, /stats and the page; and the scheduled purge, run with the clock moved on
past the retention period, empties the case's encrypted columns."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import aiohttp
from sqlmodel import select

from bot.factory import build
from bot.localapi import BotAPIStandin
from bot.runner import mediation_round
from services.certificates import china_today
from services.mediation_models import MediationCase, MediationEvidence
from services.models import utcnow
from tests.support.mediation import ODR_CHAT, file_case, qr_codes_in_pdf
from tests.support.people import inline_buttons
from tests.test_mediation import _answered
from tests.test_mediation_steps import WILL, accepted
from tests.test_resident_requests import next_message

REFUSED = "Only the members of this organisation's chat can act on its cases."
TERMS = "Li Ming pays Lao Shen 150,000 yuan for his share of the flat by 31 December."


async def test_evidence_shared_then_settled_verified_confirmed_and_purged(
    standin: BotAPIStandin, run_bot
) -> None:
    odr = standin.group(ODR_CHAT, title="ODR centre")
    mediator = standin.user(5301, "Mediator Xu", language_code="en")
    standin.add_member(odr.id, mediator.id)
    outsider = standin.user(5399, "Nosy Neighbour", language_code="en")
    shen = standin.user(3001, "Lao Shen", language_code="en")
    li = standin.user(5201, "Li Ming", language_code="en")
    bot = await run_bot()

    await file_case(standin, shen, "en", evidence=[WILL])
    await standin.wait_for_messages(odr.id, count=2, timeout=10)  # the card and the file
    working = await accepted(standin, mediator, shen)
    link = standin.messages(shen.id)[-1]["text"]
    code = re.search(r"\?start=(mc-[A-Za-z0-9_-]+)", link)
    assert code is not None

    # the attack: the other party's link before sharing shows no evidence, sends no file
    standin.send_command(li, "/start", code.group(1))
    invited = await next_message(standin, li.id)
    assert invited["text"].endswith("The evidence is shown to you when the mediator shares it.")
    assert "will.pdf" not in invited["text"] and "Evidence:" not in invited["text"]
    await asyncio.sleep(0.5)
    assert standin.pending_messages(li.id) == []
    refused = standin.press_button(
        outsider, working, inline_buttons(working)["🔓 Share evidence with the other party"]
    )
    await _answered(standin, refused)
    assert standin.callback_answers(refused)[-1]["text"] == REFUSED

    standin.press_button(li, invited, inline_buttons(invited)["✅ I will attend"])
    await next_message(standin, li.id)  # thank you
    await next_message(standin, odr.id)  # the other party confirmed
    await next_message(standin, shen.id)

    standin.press_button(
        mediator, working, inline_buttons(working)["🔓 Share evidence with the other party"]
    )
    assert (await next_message(standin, odr.id))["text"] == (
        "🔓 The evidence of case M2026-000001 is shared with the other party."
    )
    assert (await next_message(standin, shen.id))["text"] == (
        "🔓 The mediator shared your evidence with the other party (case M2026-000001)."
    )
    listed, sent = await standin.wait_for_messages(li.id, count=2, timeout=10)
    assert listed["text"].startswith("🔓 The evidence of case M2026-000001:\n• document will.pdf")
    assert standin.file(sent["document"]["file_id"]).data == WILL  # type: ignore[union-attr]
    twice = standin.press_button(
        mediator, working, inline_buttons(working)["🔓 Share evidence with the other party"]
    )
    await _answered(standin, twice)
    assert standin.callback_answers(twice)[-1]["text"] == "The evidence is already shared."
    standin.send_command(li, "/start", code.group(1))  # the link now shows it, and sends it
    again, file_again = await standin.wait_for_messages(li.id, count=2, timeout=10)
    assert "\n\nEvidence:\n• document will.pdf, 2.9 KB, " in again["text"]
    assert standin.file(file_again["document"]["file_id"]).data == WILL  # type: ignore[union-attr]

    # settled: the PDF's QR code names the page that says genuine
    standin.press_button(mediator, working, inline_buttons(working)["🤝 Settled"])
    await next_message(standin, odr.id)  # write the terms
    standin.send_message(mediator, TERMS, chat=odr.id)
    agreement = await next_message(standin, shen.id)
    pdf = standin.file(agreement["document"]["file_id"])
    assert pdf is not None
    [url] = qr_codes_in_pdf(pdf.data)
    assert url.startswith(bot.web_url + "/v/agreement/")
    assert agreement["caption"].endswith(url)
    async with aiohttp.ClientSession() as web, web.get(url + "?lang=en") as response:
        page = await response.text()
    assert 'data-status="valid"' in page and "<h1" in page and "Genuine" in page
    assert "Judicial confirmation" not in page
    await next_message(standin, li.id)  # the agreement for the other party
    await next_message(standin, shen.id)  # rate it

    # judicial confirmation, from the settled card in the organisation's chat
    settled = await next_message(standin, odr.id)
    judicial = inline_buttons(settled)["🏛 Judicial confirmation requested"]
    refused = standin.press_button(outsider, settled, judicial)
    await _answered(standin, refused)
    assert standin.callback_answers(refused)[-1]["text"] == REFUSED
    standin.press_button(mediator, settled, judicial)
    today = china_today().isoformat()
    assert (await next_message(standin, odr.id))["text"] == (
        f"🏛 Case M2026-000001: judicial confirmation of agreement MA2026-000001 requested on "
        f"{today}, recorded."
    )
    assert (await next_message(standin, shen.id))["text"] == (
        f"🏛 Judicial confirmation of agreement MA2026-000001 was requested on {today}."
    )
    async with aiohttp.ClientSession() as web, web.get(url + "?lang=en") as response:
        assert f"<dt>Judicial confirmation requested on</dt><dd>{today}</dd>" in (
            await response.text()
        )
    standin.send_command(mediator, "/stats", chat=odr.id)
    figures = (await next_message(standin, odr.id))["text"]
    assert "Settled: 1\n" in figures and "\nJudicial confirmation requested: 1" in figures
    assert "3,470 settled, 2,948 judicially confirmed" in figures

    standin.press_reply_button(shen, "📋 My requests")
    mine = await next_message(standin, shen.id)
    standin.press_button(shen, mine, inline_buttons(mine)["Open M2026-000001"])
    history = (await next_message(standin, shen.id))["text"]
    assert [line.split(" · ", 1)[-1] for line in history.split("\n")][-3:] == [
        "the mediator shared your evidence with the other party",
        "settled: agreement MA2026-000001",
        f"judicial confirmation requested on {today}",
    ]

    # the purge, as the once-a-minute round runs it with the clock moved on
    linkage = build(bot.settings)
    try:
        kept = timedelta(days=bot.settings.personal_data_retention_days)

        async def stored() -> MediationCase:
            async with linkage.db.session() as session:
                return (await session.exec(select(MediationCase))).one()

        await mediation_round(linkage, utcnow() + kept - timedelta(hours=1))
        case = await stored()
        assert case.purged_at is None and case.terms_encrypted and case.other_name_encrypted
        await mediation_round(linkage, utcnow() + kept + timedelta(hours=1))
        case = await stored()
        assert case.purged_at is not None
        assert (
            case.resident_name_encrypted,
            case.other_name_encrypted,
            case.other_contact_encrypted,
            case.account_encrypted,
            case.claim_encrypted,
            case.terms_encrypted,
        ) == (None,) * 6
        assert case.agreement_serial == "MA2026-000001" and case.judicial_requested_on
        async with linkage.db.session() as session:
            files = (await session.exec(select(MediationEvidence))).all()
        assert [(f.file_id, f.file_name) for f in files] == [("", None)]  # will.pdf is gone
    finally:
        await linkage.close()
    async with aiohttp.ClientSession() as web, web.get(url + "?lang=en") as response:
        assert 'data-status="valid"' in await response.text()  # the QR names no one: still valid
