"""Scripted people who walk a whole form however the bot behind it is shaken.

Unlike the strict walks in the feature tests, each step waits for the message it needs and
passes over others (a hint repeated because an update was handled again after a crash). When
the bot answers that it cannot take a step just now (Redis away), the person waits a moment
and does the step again, as a person would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.localapi import BotAPIStandin, FakeUser
from tests.support.people import inline_buttons
from tests.test_resident_requests import PNG

Message = dict[str, Any]
TRY_AGAIN = "Sorry, I cannot take this just now"


def starts(prefix: str) -> Callable[[Message], bool]:
    return lambda message: (message.get("text") or "").startswith(prefix)


def has_button(label: str) -> Callable[[Message], bool]:
    return lambda message: label in inline_buttons(message)


@dataclass
class Walker:
    """One person in a conversation; `seen` keeps every bot message they got."""

    standin: BotAPIStandin
    person: FakeUser
    patience: float = 60.0  # how long a step may take, crashes and outages included
    seen: list[Message] = field(default_factory=list)
    told_to_try_again: int = 0

    async def step(
        self, act: Callable[[], object], want: Callable[[Message], bool], retry_after: float = 3.0
    ) -> Message:
        """Do `act`, then wait for a message that `want`s; on "try again", wait and redo."""
        act()
        deadline = time.monotonic() + self.patience
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                [message] = await self.standin.wait_for_messages(
                    self.person.id, timeout=min(remaining, 5.0)
                )
            except AssertionError:
                continue
            self.seen.append(message)
            if want(message):
                return message
            if (message.get("text") or "").startswith(TRY_AGAIN):
                self.told_to_try_again += 1
                await asyncio.sleep(retry_after)
                act()
        texts = [(m.get("text") or m.get("caption") or "")[:60] for m in self.seen[-5:]]
        raise AssertionError(f"{self.person.first_name}: step not answered; last seen: {texts}")

    def press(self, message: Message, label: str) -> Callable[[], object]:
        return lambda: self.standin.press_button(
            self.person, message, inline_buttons(message)[label]
        )

    def say(self, text: str) -> Callable[[], object]:
        return lambda: self.standin.send_message(self.person, text)


async def report_problem(walker: Walker, words: str, place: tuple[float, float]) -> str:
    """A resident reports with a shared location and no photos; returns the request number."""
    standin, me = walker.standin, walker.person
    question = await walker.step(walker.say(words), starts("This sounds like"))
    first_category = next(iter(inline_buttons(question)))
    await walker.step(walker.press(question, first_category), starts("Where is it?"))
    await walker.step(lambda: standin.send_location(me, *place), starts("Add photos"))
    summary = await walker.step(walker.say("⏭ Skip"), has_button("📨 Submit"))
    answer = await walker.step(
        walker.press(summary, "📨 Submit"),
        lambda m: starts("Thank you. Your request number is")(m) or starts("Neighbours")(m),
    )
    if answer["text"].startswith("Neighbours"):  # a similar request nearby: mine is different
        answer = await walker.step(
            walker.press(answer, "No, mine is different"),
            starts("Thank you. Your request number is"),
        )
    return str(answer["text"].split("Your request number is ")[1].split(".")[0])


async def apply_for_certificate(walker: Walker) -> None:
    """A tourist applies in English: PRC ID, today, two nights, a selfie; submits."""
    standin, me = walker.standin, walker.person
    consent = await walker.step(
        lambda: standin.send_command(me, "/certificate"), has_button("✅ I agree")
    )
    await walker.step(walker.press(consent, "✅ I agree"), starts("Your full name"))
    kinds = await walker.step(walker.say("Dai Lingling"), starts("Which document"))
    prc_id = next(iter(inline_buttons(kinds)))
    await walker.step(walker.press(kinds, prc_id), starts("The document's number"))
    await walker.step(walker.say("11010519491231002X"), starts("Your date of birth"))
    await walker.step(walker.say("1949-12-31"), starts("A phone number"))
    hotels = await walker.step(walker.say("+86 138 0013 8000"), starts("Which hotel"))
    await walker.step(walker.press(hotels, "Xizha Waterside Inn"), starts("Check-in date"))
    await walker.step(walker.say("📅 Today"), starts("How many nights"))
    await walker.step(walker.say("2"), starts("Last step: a selfie"))
    summary = await walker.step(lambda: standin.send_photo(me, PNG), has_button("📨 Submit"))
    await walker.step(walker.press(summary, "📨 Submit"), starts("Thank you. Your application"))
