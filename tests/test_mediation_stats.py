"""/stats for mediation: an organisation's chat sees its own figures per kind; the street
office's chat sees the whole area's, per organisation and per kind (then its request figures, as
before), and so does an admin in private; anyone else in private sees none. English, Chinese."""

from __future__ import annotations

import asyncio

import pytest

from bot.factory import build
from bot.localapi import BotAPIStandin
from services.mediation import CaseDraft
from tests.support.mediation import MEDICAL_CHAT, ODR_CHAT, QIXING_CHAT, STREET_OFFICE_CHAT
from tests.test_resident_requests import next_message

ADMIN = 4242

WORDS = {
    "en": {
        "odr": (
            "⚖️ Mediation figures\nReceived: 1\nAccepted: 1\nSettled: 1\nReferred to the court: 0"
            "\nWithdrawn: 0\nMedian days to settlement: 0.0\n"
            "Diverted from court (settled of closed): 100.00%\nJudicial confirmation requested: 0"
            "\n👪 Family: 1 received, 1 settled\nFor comparison"
        ),
        "area": "⚖️ The whole area\n⚖️ Mediation figures\nReceived: 3\nAccepted: 1\nSettled: 1",
        "orgs": [
            "Per organisation:",
            "Qixing People's Mediation Committee: 1 received, 0 settled",
            "Jiaxing Medical Dispute Mediation Committee: 1 received, 0 settled",
            "Jiaxing Online Dispute Resolution Centre: 1 received, 1 settled",
        ],
        "kinds": "👪 Family: 2 received, 1 settled\n🏥 Medical: 1 received, 0 settled",
        "tickets": "📊 This week",
    },
    "zh": {
        "odr": (
            "⚖️ 调解数据\n收到：1\n受理：1\n调解成功：1\n转法院：0\n撤回：0\n"
            "调解成功天数中位数：0.0\n"
            "诉前分流率（成功/已结）：100.00%\n申请司法确认：0\n"
            "👪 婚姻家庭：收到 1 件，调解成功 1 件\n"
        ),
        "area": "⚖️ 全辖区\n⚖️ 调解数据\n收到：3\n受理：1\n调解成功：1",
        "orgs": [
            "各调解组织：",
            "七星街道人民调解委员会：收到 1 件，调解成功 0 件",
            "嘉兴市医疗纠纷人民调解委员会：收到 1 件，调解成功 0 件",
            "嘉兴市在线矛盾纠纷多元化解中心：收到 1 件，调解成功 1 件",
        ],
        "kinds": "👪 婚姻家庭：收到 2 件，调解成功 1 件\n🏥 医疗：收到 1 件，调解成功 0 件",
        "tickets": "📊 本周",
    },
}


def draft(resident: int, kind: str, grid: str | None, community: str | None) -> CaseDraft:
    return CaseDraft(
        resident_id=resident,
        resident_name=f"Resident {resident}",
        resident_locale="en",
        kind=kind,
        other_name="The other side",
        other_contact=None,
        account="What happened",
        claim="What is asked",
        grid=grid,
        community=community,
    )


@pytest.mark.parametrize("locale", ["en", "zh"])
async def test_mediation_figures_per_organisation_kind_and_for_the_whole_area(
    standin: BotAPIStandin, run_bot, locale: str
) -> None:
    words = WORDS[locale]
    odr = standin.group(ODR_CHAT, title="ODR centre")
    qixing = standin.group(QIXING_CHAT, title="Qixing mediation")
    office = standin.group(STREET_OFFICE_CHAT, title="Street office")
    mediator = standin.user(5301, "Mediator Xu", language_code=locale)
    clerk = standin.user(5302, "Clerk Wu", language_code=locale)
    admin = standin.user(ADMIN, "Admin", language_code=locale)
    resident = standin.user(3001, "Lao Shen", language_code=locale)
    for applicant in (3101, 3102, 3103):
        standin.user(applicant, f"Resident {applicant}", language_code=locale)
    standin.group(MEDICAL_CHAT, title="Medical mediation")
    standin.add_member(odr.id, mediator.id)
    standin.add_member(office.id, clerk.id)
    bot = await run_bot(default_locale=locale, staff_locale=locale, admin_ids=str(ADMIN))
    linkage = build(bot.settings)
    try:
        assert linkage.mediation is not None
        cases, outcomes = linkage.mediation.cases, linkage.mediation.outcomes
        settled = await cases.file(draft(3101, "family", None, None))
        await cases.file(draft(3102, "medical", "QD-01", "qiaodong"))
        await cases.file(draft(3103, "family", "SJB-01", "sanjiabang"))
        await cases.accept(settled.id or 0, mediator.id, "https://t.me/x")
        await outcomes.settle(settled.id or 0, mediator.id, "Agreed terms")
    finally:
        await linkage.close()
    await standin.wait_for_messages(qixing.id, count=1, timeout=10)

    standin.send_command(mediator, "/stats", chat=odr.id)
    figures = None
    for _ in range(8):
        message = await next_message(standin, odr.id)
        if message.get("text", "").startswith(words["odr"].split("\n")[0] + "\n"):
            figures = message["text"]
            break
    assert figures is not None and figures.startswith(words["odr"])

    standin.send_command(clerk, "/stats", chat=office.id)
    area = (await next_message(standin, office.id))["text"]
    assert area.startswith(words["area"])
    assert words["kinds"] in area
    assert area.split("\n")[-4:] == words["orgs"]
    assert (await next_message(standin, office.id))["text"].startswith(words["tickets"])

    standin.send_command(admin, "/stats")
    assert (await next_message(standin, admin.id))["text"] == area

    standin.send_command(resident, "/stats")  # not an admin: no area figures
    await asyncio.sleep(1)
    assert not any(
        m.get("text", "").startswith(words["area"][:6]) for m in standin.messages(resident.id)
    )
