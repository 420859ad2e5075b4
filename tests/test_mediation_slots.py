"""Two people press the same time at the same moment: exactly one gets it. And an outsider's
press changes nothing (the attack on the card, as a plain service check)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.factory import build
from bot.localapi import BotAPIStandin
from services.mediation import CaseDraft
from services.mediation_appointments import SlotTaken
from services.models import utcnow
from tests.support.people import inline_buttons
from tests.test_mediation import MEDICAL_CHAT, china, stamp
from tests.test_resident_requests import next_message


def draft(resident: int, intake: str) -> CaseDraft:
    return CaseDraft(
        resident_id=resident,
        resident_name=f"Resident {resident}",
        resident_locale="en",
        kind="medical",
        other_name="Jiaxing No. 2 Hospital",
        other_contact=None,
        account="An unanswered complaint",
        claim="An apology",
        intake_key=intake,
    )


async def test_only_one_of_two_simultaneous_bookings_of_a_time_wins(
    standin: BotAPIStandin, run_bot
) -> None:
    committee = standin.group(MEDICAL_CHAT, title="Medical mediation")
    mediator = standin.user(5101, "Mediator Zhou")
    standin.add_member(committee.id, mediator.id)
    first, second = standin.user(3001, "Lao Shen"), standin.user(3002, "Mei Ling")
    bot = await run_bot()
    linkage = build(bot.settings)
    try:
        assert linkage.mediation is not None
        cases = linkage.mediation.cases
        one = await cases.file(draft(first.id, "one"))
        two = await cases.file(draft(second.id, "two"))
        assert one.org_code == two.org_code == "jiaxing-medical"
        when = china(3, 9)
        for case in (one, two):
            await cases.accept(case.id or 0, mediator.id, "https://t.me/linkage_bot?start=x")
            await linkage.mediation.appointments.offer(case.id or 0, mediator.id, [when])
        await standin.wait_for_messages(committee.id, count=4, timeout=10)
        await standin.wait_for_messages(first.id, count=2, timeout=10)  # accepted, offered
        offers = [
            (await standin.wait_for_messages(second.id, count=2, timeout=10))[-1],
            standin.messages(first.id)[-1],
        ]
        # both press at the same moment
        standin.press_button(second, offers[0], inline_buttons(offers[0])[f"📅 {stamp(when)}"])
        standin.press_button(first, offers[1], inline_buttons(offers[1])[f"📅 {stamp(when)}"])
        answers = [
            (await next_message(standin, second.id))["text"],
            (await next_message(standin, first.id))["text"],
        ]
        taken = "That time was just taken by someone else. Please choose another one."
        assert sorted(a == taken for a in answers) == [False, True]
        assert any(a.startswith(f"📅 Booked: {stamp(when)}") for a in answers)

        # the same race in the service itself, on a fresh time
        later = when + timedelta(days=1)
        for case in (one, two):
            await linkage.mediation.appointments.offer(case.id or 0, mediator.id, [later])
        results = await asyncio.gather(
            linkage.mediation.appointments.book(one.id or 0, first.id, 0),
            linkage.mediation.appointments.book(two.id or 0, second.id, 0),
            return_exceptions=True,
        )
        assert sum(isinstance(r, SlotTaken) for r in results) == 1
        assert utcnow() < later
    finally:
        await linkage.close()
