"""People meet the bot: greeting, menu, help, language, cancel, and hints instead of silence."""

from __future__ import annotations

import asyncio
from functools import partial

from bot.localapi import BotAPIStandin
from bot.retry import RetryOnTelegramHiccups
from tests.support.people import CHINESE_MENU, ENGLISH_MENU, inline_buttons, reply_keyboard


async def test_an_english_speaker_is_greeted_with_the_menu(standin: BotAPIStandin, run_bot) -> None:
    await run_bot()
    ann = standin.user(1001, "Ann", language_code="en")
    standin.send_command(ann, "/start")
    [greeting] = await standin.wait_for_messages(ann.id)
    assert greeting["text"].startswith("Hello, Ann! I am Linkage")
    assert "accommodation certificate" in greeting["text"]
    assert reply_keyboard(greeting) == ENGLISH_MENU


async def test_a_chinese_speaker_is_greeted_in_chinese(standin: BotAPIStandin, run_bot) -> None:
    await run_bot()
    for user_id, code in ((1002, "zh-hans"), (1003, "zh-hant"), (1004, "zh")):
        mei = standin.user(user_id, "美玲", language_code=code)
        standin.send_command(mei, "/start")
        [greeting] = await standin.wait_for_messages(mei.id)
        assert greeting["text"].startswith("美玲，您好！我是 Linkage")
        assert reply_keyboard(greeting) == CHINESE_MENU


async def test_an_unknown_language_gets_the_default_locale(standin: BotAPIStandin, run_bot) -> None:
    await run_bot(default_locale="zh")
    olaf = standin.user(1005, "Olaf", language_code="de")
    standin.send_command(olaf, "/start")
    [greeting] = await standin.wait_for_messages(olaf.id)
    assert greeting["text"].startswith("Olaf，您好！")


async def test_help_lists_every_command(standin: BotAPIStandin, run_bot) -> None:
    await run_bot()
    ann = standin.user(1001, "Ann", language_code="en")
    standin.press_reply_button(ann, "❓ Help")
    [help_text] = await standin.wait_for_messages(ann.id)
    for command in ("/report", "/requests", "/certificate", "/language", "/cancel", "/help"):
        assert command in help_text["text"]
    assert (
        "/rental: register a rental house, or register as its tenant\n"
        "/mediation: settle a dispute with a mediator, before court\n"
        "/lawyer: ask a lawyer on duty, free of charge\n"
        "/volunteer: help your neighbours as a volunteer\n"
    ) in help_text["text"]


async def test_switching_language_is_remembered_across_restarts(
    standin: BotAPIStandin, run_bot
) -> None:
    bot = await run_bot()
    ann = standin.user(1001, "Ann", language_code="en")
    standin.press_reply_button(ann, "🌐 Language")
    [question] = await standin.wait_for_messages(ann.id)
    assert question["text"] == "Which language should I use?"
    assert set(inline_buttons(question)) == {"English", "中文"}

    query_id = standin.press_button(ann, question, inline_buttons(question)["中文"])
    [confirmation] = await standin.wait_for_messages(ann.id)
    assert confirmation["text"] == "从现在起我会用中文和您交流。"
    assert reply_keyboard(confirmation) == CHINESE_MENU
    assert standin.callback_answers(query_id), "the button must stop spinning"
    assert [c["command"] for c in standin.commands("chat", chat_id=ann.id)] == [
        "report",
        "requests",
        "certificate",
        "rental",
        "volunteer",
        "lawyer",
        "language",
        "help",
        "cancel",
    ]
    assert standin.commands("chat", chat_id=ann.id)[0]["description"] == "反映身边的问题"

    await bot.stop()
    await run_bot(data_dir=bot.settings.data_dir)
    standin.send_command(ann, "/help")
    [help_text] = await standin.wait_for_messages(ann.id)
    assert help_text["text"].startswith("Linkage 把您和照看社区的工作人员连在一起")
    assert (
        "/rental：登记出租房，或登记为租客\n/mediation：诉前找调解员化解纠纷\n"
        "/lawyer：免费咨询值班律师\n/volunteer：做志愿者，帮助邻里\n"
    ) in help_text["text"]


async def test_menu_buttons_of_either_language_work(standin: BotAPIStandin, run_bot) -> None:
    """A keyboard drawn in English still works after the person's language changed."""
    await run_bot()
    mei = standin.user(1002, "美玲", language_code="zh")
    standin.press_reply_button(mei, "❓ Help")
    [help_text] = await standin.wait_for_messages(mei.id)
    assert help_text["text"].startswith("Linkage 把您")


async def test_the_command_menu_is_registered_in_both_languages(
    standin: BotAPIStandin, run_bot
) -> None:
    await run_bot()
    english = standin.commands("default", language_code="")
    chinese = standin.commands("default", language_code="zh")
    assert [c["command"] for c in english] == [c["command"] for c in chinese]
    assert {c["command"] for c in english} >= {"report", "requests", "certificate", "help"}
    assert english[0]["description"] == "Report a problem in your neighbourhood"
    assert chinese[0]["description"] == "反映身边的问题"
    staff = standin.commands("all_group_chats", language_code="zh")
    assert [c["command"] for c in staff] == [
        "open",
        "ticket",
        "stats",
        "find",
        "mine",
        "templates",
        "ban",
        "unban",
        "inspect",
        "houses",
        "task",
        "contacts",
        "consult",
        "decide",
        "agenda",
    ]
    assert staff[2]["description"] == "本周和本月的统计"
    assert [c["command"] for c in english][-4:] == ["lawyer", "language", "help", "cancel"]
    lawyer = next(c for c in english if c["command"] == "lawyer")
    assert lawyer["description"] == "Ask the lawyers on duty a legal question, free of charge"
    lawyer = next(c for c in chinese if c["command"] == "lawyer")
    assert lawyer["description"] == "免费向值班律师咨询法律问题"
    staff_en = standin.commands("all_group_chats", language_code="")
    assert staff_en[-3]["description"] == "Ask residents a question with options and a deadline"
    assert staff[-1]["description"] == "本月各网格未办结的问题，供联席会议使用"


async def test_cancel_outside_a_form_says_there_is_nothing_to_cancel(
    standin: BotAPIStandin, run_bot
) -> None:
    await run_bot()
    ann = standin.user(1001, "Ann", language_code="en")
    standin.send_command(ann, "/cancel")
    [reply] = await standin.wait_for_messages(ann.id)
    assert reply["text"] == "There is nothing to cancel. Choose an option below."
    assert reply_keyboard(reply) == ENGLISH_MENU


async def test_unexpected_input_gets_a_hint_not_silence(standin: BotAPIStandin, run_bot) -> None:
    await run_bot()
    ann = standin.user(1001, "Ann", language_code="en")
    standin.send_command(ann, "/frobnicate")
    [unknown] = await standin.wait_for_messages(ann.id)
    assert unknown["text"] == "I don't know that command. Send /help to see what I can do."
    standin.send_location(ann, 30.75, 120.75)
    [hint] = await standin.wait_for_messages(ann.id)
    assert "Choose an option from the menu below" in hint["text"]
    assert reply_keyboard(hint) == ENGLISH_MENU


async def test_a_stale_button_is_answered(standin: BotAPIStandin, run_bot) -> None:
    await run_bot()
    ann = standin.user(1001, "Ann", language_code="en")
    standin.send_command(ann, "/language")
    [question] = await standin.wait_for_messages(ann.id)
    query_id = standin.press_button(ann, question, "ticket:gone")
    answers = await _answers(standin, query_id)
    assert answers[0]["text"] == "This button no longer works. Send /start to see the menu again."
    assert answers[0]["show_alert"] is True


async def test_a_redelivered_update_is_handled_once(standin: BotAPIStandin, run_bot) -> None:
    await run_bot()
    ann = standin.user(1001, "Ann", language_code="en")
    update = standin.send_command(ann, "/help")
    await standin.wait_for_messages(ann.id)
    standin.redeliver(update)
    standin.send_command(ann, "/cancel")
    [after] = await standin.wait_for_messages(ann.id)
    assert after["text"].startswith("There is nothing to cancel")
    assert len(standin.messages(ann.id)) == 2


async def test_a_flood_gets_one_warning_then_silence(standin: BotAPIStandin, run_bot) -> None:
    await run_bot(throttle_messages=3, throttle_window_seconds=60, throttle_cooldown_seconds=60)
    ann = standin.user(1001, "Ann", language_code="en")
    for _ in range(8):
        standin.send_command(ann, "/help")
    replies = await standin.wait_for_messages(ann.id, count=4)
    assert [r["text"].startswith("Linkage connects") for r in replies] == [True] * 3 + [False]
    assert replies[3]["text"] == (
        "You are sending messages faster than I can read them. "
        "I will answer again in about 60 seconds."
    )
    await asyncio.sleep(0.5)
    assert len(standin.messages(ann.id)) == 4


async def _answers(standin: BotAPIStandin, query_id: str) -> list[dict]:
    for _ in range(250):
        if answers := standin.callback_answers(query_id):
            return answers
        await asyncio.sleep(0.02)
    raise AssertionError("the button was never answered")


async def test_a_failure_is_logged_and_the_person_told_their_input_is_kept(
    standin: BotAPIStandin, run_bot, caplog, monkeypatch
) -> None:
    quick_retries = partial(RetryOnTelegramHiccups, backoff_base=0.01)
    monkeypatch.setattr("bot.factory.RetryOnTelegramHiccups", quick_retries)
    await run_bot()
    mei = standin.user(1002, "美玲", language_code="zh")
    standin.fail_next(502, 502, 502, 502)  # every attempt at the reply to /help fails
    update = standin.send_command(mei, "/help")
    [apology] = await standin.wait_for_messages(mei.id)
    assert (
        apology["text"]
        == "抱歉，我这边出了点问题。您已填写的内容都还保留着，请稍后再试一次刚才那一步。"
    )
    assert f"update {update['update_id']} failed" in caplog.text


async def test_cancel_leaves_a_form_halfway_in_either_language(
    standin: BotAPIStandin, run_bot
) -> None:
    await run_bot()
    mei = standin.user(1002, "美玲", language_code="zh")
    standin.send_command(mei, "/report")
    await standin.wait_for_messages(mei.id)
    standin.send_location(mei, 30.76, 120.75)  # a wrong answer: words were asked for
    [ask_again] = await standin.wait_for_messages(mei.id)
    assert ask_again["text"] == "请用文字描述问题，或者发一条语音。照片可以在后面的步骤添加。"
    standin.press_reply_button(mei, "✖️ 取消")
    [cancelled] = await standin.wait_for_messages(mei.id)
    assert cancelled["text"] == "已取消，刚才填写的内容没有提交。请在下方选择。"
    assert reply_keyboard(cancelled) == CHINESE_MENU

    ann = standin.user(1001, "Ann", language_code="en")
    standin.send_command(ann, "/certificate")
    [consent] = await standin.wait_for_messages(ann.id)
    standin.press_button(ann, consent, inline_buttons(consent)["✅ I agree"])
    await standin.wait_for_messages(ann.id)  # name?
    standin.send_message(ann, "R2D2")  # a wrong answer: digits in a name
    [refused] = await standin.wait_for_messages(ann.id)
    assert refused["text"].startswith("Please type your full name in letters")
    standin.send_command(ann, "/cancel")
    [cancelled] = await standin.wait_for_messages(ann.id)
    assert cancelled["text"] == "Cancelled. Nothing you started was sent. Choose an option below."
    standin.send_message(ann, "hello")  # outside any form again: starts a report
    [question] = await standin.wait_for_messages(ann.id)
    assert question["text"] == "Which kind of problem is it?"
