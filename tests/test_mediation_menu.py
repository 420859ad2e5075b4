"""The "⚖️ Mediation" menu button starts mediation even right after a form expired (as the other
menu buttons do, bot/forms.py: TellLostForms), in English and Chinese."""

from __future__ import annotations

import functools

import pytest

from bot.forms import ExpiringMemoryStorage
from bot.localapi import BotAPIStandin
from tests.test_resident_requests import next_message
from tests.test_sealed_forms import Clock


@pytest.mark.parametrize(
    ("language", "button", "expired", "intro"),
    [
        (
            "en",
            "⚖️ Mediation",
            "You left your form unfinished for too long, so I deleted what you had entered.",
            "⚖️ Mediation settles a dispute with the help of a mediator, before any court.",
        ),
        ("zh", "⚖️ 调解", "您的表单太久没有填完", "⚖️ 调解由调解员帮助双方在诉讼前化解纠纷"),
    ],
)
async def test_the_mediation_button_after_an_expired_form_starts_mediation(
    standin: BotAPIStandin,
    run_bot,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    button: str,
    expired: str,
    intro: str,
) -> None:
    clock = Clock()
    monkeypatch.setattr(
        "bot.dispatching.ExpiringMemoryStorage",
        functools.partial(ExpiringMemoryStorage, clock=clock),
    )
    shen = standin.user(3001, "Lao Shen", language_code=language)
    await run_bot(state_ttl_seconds=60, default_locale=language)
    standin.send_command(shen, "/mediation")
    await next_message(standin, shen.id)  # what mediation is
    await next_message(standin, shen.id)  # what kind?
    clock.now += 61

    standin.press_reply_button(shen, button)
    told = await next_message(standin, shen.id)
    assert told["text"].startswith(expired)
    assert (await next_message(standin, shen.id))["text"].startswith(intro)
    kinds = await next_message(standin, shen.id)
    assert kinds["reply_markup"]["inline_keyboard"]  # the kinds of dispute, to choose from
