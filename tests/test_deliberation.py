"""Deliberation that closes its loop (Qianjin village, Nanhu): staff consult a grid's residents
on how to repair the village road, three of them vote and one writes an opinion, one changes
their choice, the deadline passes (the runner's round, with the clock passed in), the decision
goes back to everyone invited and to the request that raised it, and they rate it. In English
and in Chinese, through the Bot API stand-in."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlmodel import select

from bot.factory import Linkage, build
from bot.localapi import BotAPIStandin, FakeUser, Limits
from services.models import ConsultationVote, TicketEvent
from services.tickets import Draft
from tests.support.people import inline_buttons
from tests.support.running import RunningBot, eventually
from tests.test_resident_requests import EAST_GATE_CHAT, next_message

RIVERSIDE_CHAT = -1001000000012
WORKER = 111111
ZONE = ZoneInfo("Asia/Shanghai")

# the words each side reads, per language
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "question": "How should the village road be repaired?",
        "background": "The road by the east gate has potholes after the summer rains.",
        "options": "Asphalt\nConcrete\nGravel for now",
        "asked_question": "🗳 A new consultation. What is the question? For example: How should "
        "the village road be repaired?",
        "asked_background": "Background for residents: what they should know before choosing. "
        "Send “-” for none.",
        "asked_options": "The options, one per line: 2 to 6.",
        "one_option": "A consultation needs 2 to 6 options, one per line, each up to 60 "
        "characters. Send the options again.",
        "asked_grids": "Whose residents are invited? Press the grids (everyone who has filed a "
        "request there), then “Done”.",
        "grid": "⬜ Grid 1: east gate",
        "done": "✅ Done",
        "asked_tickets": "Which requests raised it? Send their numbers (such as 2026-000001), "
        "separated by spaces, or “-” for none.",
        "asked_deadline": "The deadline: a date and time (Asia/Shanghai), e.g. 2026-12-10 18:00, "
        "12-10 18:00, 10 Dec 18:00, tomorrow 18:00 or 12月10日18点.",
        "unreadable": "“next Friday” is not a date and time I can read. Write it as "
        "2026-12-10 18:00, 12-10 18:00, 10 Dec 18:00, tomorrow 18:00 (or today, the day after "
        "tomorrow), 12月10日18点 or 明天 18:00.",
        "typed": "{deadline:%d %b %H:%M}",
        "past": "That time has already passed ({deadline}). Send a deadline in the future.",
        "asked_tally": "Should residents see the tally while voting, or only after the deadline?",
        "hidden": "🙈 Only after the deadline",
        "check": "Please check the consultation:",
        "open": "📨 Open and invite",
        "opened": "🗳 Consultation 1 is open: 4 residents invited. Follow it with /consult 1.",
        "invitation": "🗳 Consultation: How should the village road be repaired?\n\n"
        "The road by the east gate has potholes after the summer rains.\n\n"
        "Options:\nA. Asphalt\nB. Concrete\nC. Gravel for now\n\n"
        "Choose an option below, and write your opinion if you like: you can change both "
        "until {deadline}. Other residents never see who you are.\n\n"
        "The tally is shown only after the deadline.",
        "A": "A. Asphalt",
        "B": "B. Concrete",
        "not_invited": "You are not invited to this consultation, so you cannot vote in it.",
        "receipt_b": r"✅ Your choice: B, recorded at \d\d:\d\d\. You can change it until the "
        r"deadline\.",
        "receipt_a": r"✅ Your choice: A, recorded at \d\d:\d\d\. You can change it until the "
        r"deadline\.",
        "changed": r"✅ Your choice is now A \(it was B\), recorded at \d\d:\d\d\. You can change "
        r"it until the deadline\.",
        "still": r"✅ Your choice is still A, recorded at \d\d:\d\d\. You can change it until "
        r"the deadline\.",
        "opine": "✍️ Write an opinion",
        "asked_opinion": "Write your opinion in your next message, as text or a voice message. "
        "Staff read it as “Resident” and a number, without your name.",
        "opinion": "Please finish before the rainy season: children walk here to school.",
        "opinion_recorded": r"📝 Your opinion is recorded at \d\d:\d\d\. A new one replaces it "
        r"until the deadline\.",
        "view_head": "🗳 Consultation 1 · round 1 · open until {deadline}\n"
        "How should the village road be repaired?\n\n"
        "A. Asphalt — 3\nB. Concrete — 0\nC. Gravel for now — 0\n3 of 4 invited have chosen.",
        "view_opinion": "Resident 2: Please finish before the rainy season: children walk here "
        "to school.",
        "hidden_choice": "hidden until the deadline",
        "frozen": "Votes are in, so the question, options, who is invited and the deadline are "
        "frozen. A correction opens round 2, and the choices made in round 1 will no longer "
        "count.",
        "round_2": "🔁 Open round 2",
        "reminder": "⏰ One day left: you have not chosen yet.",
        "closed": "🔒 Consultation 1 closed at its deadline: How should the village road be "
        "repaired?\n\nFinal tally:\nA. Asphalt — 3\nB. Concrete — 0\nC. Gravel for now — 0\n"
        "3 of 4 invited have chosen.\n\nPublish the decision with its reasons: /decide 1",
        "late": "Voting on this consultation has closed. Your press was not counted.",
        "asked_decision": "📣 Wang Fang, write the decision on consultation 1 in your next "
        "message, with its reasons. It goes to everyone invited, to the requests that raised it "
        "and onto the public board.",
        "decision": "We resurface the road with asphalt in March: all who chose asked for it, "
        "and it lasts longest.",
        "published": "📣 The decision on consultation 1 is published: everyone invited and the "
        "requests that raised it are told, and it is on the public board.",
        "decided": "📣 The decision on “How should the village road be repaired?”:\n"
        "We resurface the road with asphalt in March: all who chose asked for it, and it lasts "
        "longest.\n\nFinal tally:\nA. Asphalt — 3\nB. Concrete — 0\nC. Gravel for now — 0\n"
        "3 of 4 invited have chosen.",
        "answers": "\n\nThis answers your request 2026-000001.",
        "history": "decided after a consultation",
        "carried": "✅ Carried out",
        "marked": "✅ Consultation 1 is marked carried out: everyone invited is asked how "
        "satisfied they are.",
        "rate": "✅ Done: the decision on “How should the village road be repaired?” has been "
        "carried out.\nWe resurface the road with asphalt in March: all who chose asked for it, "
        "and it lasts longest.\n\nHow satisfied are you with it? 1 star: not at all; 5 stars: "
        "very satisfied.",
        "thanks": "Thank you for your rating.",
        "satisfaction": "Satisfaction: 4.7 of 5 (3 ratings)",
        "board": "Decisions",
        "board_rating": "satisfaction 4.7 of 5 (3 ratings)",
    },
    "zh": {
        "question": "村道应该怎样修？",
        "background": "东门旁的路在夏天的雨后坑坑洼洼。",
        "options": "沥青\n水泥\n先铺碎石",
        "asked_question": "🗳 新的征询。 要征询什么问题？例如：村道应该怎样修？",
        "asked_background": "给居民的背景说明：选择之前应当了解的情况。没有请发送“-”。",
        "asked_options": "选项，每行一个：2 到 6 个。",
        "one_option": "征询需要 2 到 6 个选项，每行一个，每个不超过 60 个字。请重新发送选项。",
        "asked_grids": "邀请哪些居民？请按下网格（在那里提过诉求的所有人），然后按“完成”。",
        "grid": "⬜ 第一网格（东门）",
        "done": "✅ 完成",
        "asked_tickets": "是哪些诉求提出的？请发送诉求编号（如 2026-000001），用空格分开；没有请发"
        "送“-”。",
        "asked_deadline": "截止时间：日期和时间（Asia/Shanghai），例如 2026-12-10 18:00、"
        "12-10 18:00、10 Dec 18:00、明天 18:00 或 12月10日18点。",
        "unreadable": "无法识别“next Friday”这个日期和时间。请写成 2026-12-10 18:00、12-10 18:00、"
        "10 Dec 18:00、明天 18:00（或今天、后天）、12月10日18点。",
        "typed": "{deadline.month}月{deadline.day}日{deadline.hour}点",
        "past": "这个时间已经过去了（{deadline}）。请发送一个将来的截止时间。",
        "asked_tally": "居民在投票期间能看到计票，还是截止之后才能看到？",
        "hidden": "🙈 截止之后才公布",
        "check": "请核对这次征询：",
        "open": "📨 发起并邀请",
        "opened": "🗳 征询 1 已发起：邀请了 4 位居民。 用 /consult 1 查看进展。",
        "invitation": "🗳 民主协商征询：村道应该怎样修？\n\n"
        "东门旁的路在夏天的雨后坑坑洼洼。\n\n"
        "选项：\nA. 沥青\nB. 水泥\nC. 先铺碎石\n\n"
        "请在下面选择一项，也可以写下您的意见：在 {deadline} 之前两者都可以修改。其他居民不会看到您"
        "是谁。"
        "\n\n计票在截止之后公布。",
        "A": "A. 沥青",
        "B": "B. 水泥",
        "not_invited": "您没有受邀参加这次征询，不能投票。",
        "receipt_b": r"✅ 您的选择：B，记录于 \d\d:\d\d。 截止之前可以修改。",
        "receipt_a": r"✅ 您的选择：A，记录于 \d\d:\d\d。 截止之前可以修改。",
        "changed": r"✅ 您的选择已改为 A（原为 B），记录于 \d\d:\d\d。 截止之前可以修改。",
        "still": r"✅ 您的选择仍是 A，记录于 \d\d:\d\d。 截止之前可以修改。",
        "opine": "✍️ 写意见",
        "asked_opinion": "请在下一条消息里写下您的意见，文字或语音都可以。工作人员看到的是“居民”加"
        "编号，"
        "不显示您的名字。",
        "opinion": "请在雨季之前修好：孩子们走这条路上学。",
        "opinion_recorded": r"📝 您的意见已于 \d\d:\d\d 记录。截止之前发送新的意见会替换它。",
        "view_head": "🗳 征询 1 · 第 1 轮 · 开放到 {deadline}\n村道应该怎样修？\n\n"
        "A. 沥青 — 3\nB. 水泥 — 0\nC. 先铺碎石 — 0\n受邀的 4 人中已有 3 人作出选择。",
        "view_opinion": "居民 2：请在雨季之前修好：孩子们走这条路上学。",
        "hidden_choice": "截止前不公开",
        "frozen": "已经有人投票，问题、选项、邀请对象和截止时间都已锁定。更正将开启第 2 轮，第 1 轮"
        "的选择将"
        "不再计入。",
        "round_2": "🔁 开启第 2 轮",
        "reminder": "⏰ 还剩一天：您还没有作出选择。",
        "closed": "🔒 征询 1 已到截止时间：村道应该怎样修？\n\n最终计票：\nA. 沥青 — 3\nB. 水泥 — 0"
        "\n"
        "C. 先铺碎石 — 0\n受邀的 4 人中已有 3 人作出选择。\n\n请公布决定及理由：/decide 1",
        "late": "这次征询的投票已经截止。您这次按键没有计入。",
        "asked_decision": "📣 Wang Fang，请在下一条消息里写下征询 1 的决定和理由。它会发给所有受邀"
        "居民和提出"
        "它的诉求，并公布在公示栏。",
        "decision": "三月用沥青重铺村道：作出选择的居民都选了沥青，而且它最耐用。",
        "published": "📣 征询 1 的决定已公布：已告知所有受邀居民和提出它的诉求，并已公布在公示栏。",
        "decided": "📣 关于“村道应该怎样修？”的决定：\n三月用沥青重铺村道：作出选择的居民都选了沥青"
        "，而且它最"
        "耐用。\n\n最终计票：\nA. 沥青 — 3\nB. 水泥 — 0\nC. 先铺碎石 — 0\n受邀的 4 人中已有 3 人作"
        "出选择。",
        "answers": "\n\n这是对您的诉求 2026-000001 的答复。",
        "history": "经民主协商作出决定",
        "carried": "✅ 已落实",
        "marked": "✅ 征询 1 已标记为落实：已请所有受邀居民评价满意度。",
        "rate": "✅ 已办结：关于“村道应该怎样修？”的决定已经落实。\n三月用沥青重铺村道：作出选择的"
        "居民都选了"
        "沥青，而且它最耐用。\n\n您对此满意吗？1 星：很不满意；5 星：非常满意。",
        "thanks": "感谢您的评价。",
        "satisfaction": "满意度：4.7 / 5（3 个评价）",
        "board": "协商决定",
        "board_rating": "满意度 4.7 / 5（3 个评价）",
    },
}


@dataclass
class Village:
    standin: BotAPIStandin
    bot: RunningBot
    linkage: Linkage  # the runner's services, to pass the clock in
    worker: FakeUser
    residents: list[FakeUser]  # grid 1: the first filed request 2026-000001
    outsider: FakeUser  # grid 2: never invited
    words: dict[str, str]


@pytest.fixture
async def standin() -> AsyncIterator[BotAPIStandin]:
    """Telegram lets a group have 20 messages a minute; a staff chat walking the whole form
    in seconds (as a test does) would wait a minute, so this one lets it have more."""
    server = BotAPIStandin(limits=Limits(private_burst=30, group_messages=200))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(params=["en", "zh"])
async def village(
    request: pytest.FixtureRequest, standin: BotAPIStandin, run_bot: Any
) -> AsyncIterator[Village]:
    language = request.param
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    standin.group(RIVERSIDE_CHAT, title="Grid 2")
    worker = standin.user(WORKER, "Wang Fang", language_code=language)
    standin.add_member(east.id, worker.id)
    names = ["Lao Shen", "Chen Jie", "Zhou Min", "Wu Lan"]
    residents = [
        standin.user(3001 + n, name, language_code=language) for n, name in enumerate(names)
    ]
    outsider = standin.user(3009, "Mallory", language_code=language)
    bot = await run_bot(  # a test types faster than a person: no throttle
        default_locale=language, flood_group_per_minute=200, throttle_messages=1000
    )
    linkage = build(bot.settings)
    for person in [*residents, outsider]:
        standin.send_command(person, "/start")
        await next_message(standin, person.id)
        await linkage.tickets.create(
            Draft(
                resident_id=person.id,
                resident_name=person.first_name,
                resident_locale=language,
                text="The road is full of potholes",
                category="roads",
                grid="SJB-02" if person is outsider else "SJB-01",
                staff_chat_id=RIVERSIDE_CHAT if person is outsider else EAST_GATE_CHAT,
            )
        )
    await eventually(lambda: len(standin.messages(EAST_GATE_CHAT)) == 4, within=10)
    standin.pending_messages(EAST_GATE_CHAT)
    for person in [*residents, outsider]:
        standin.pending_messages(person.id)
    yield Village(standin, bot, linkage, worker, residents, outsider, WORDS[language])
    await linkage.close()


def deadline_in(days: int) -> datetime:
    local = (datetime.now(ZONE) + timedelta(days=days)).replace(
        hour=18, minute=0, second=0, microsecond=0
    )
    return local


async def staff_says(village: Village, text: str) -> dict[str, Any]:
    standin = village.standin
    if text.startswith("/"):
        command, _, args = text.partition(" ")
        standin.send_command(village.worker, command, args or None, chat=EAST_GATE_CHAT)
    else:
        standin.send_message(village.worker, text, chat=EAST_GATE_CHAT)
    return await next_message(standin, EAST_GATE_CHAT)


async def staff_press(village: Village, message: dict[str, Any], label: str) -> dict[str, Any]:
    assert label in inline_buttons(message), message.get("text")
    village.standin.press_button(village.worker, message, inline_buttons(message)[label])
    return await next_message(village.standin, EAST_GATE_CHAT)


async def open_consultation(village: Village, deadline: datetime) -> None:
    """The worker walks /consult: grid 1's residents and request 2026-000001, tally hidden."""
    w = village.words
    assert (await staff_says(village, "/consult"))["text"] == w["asked_question"]
    assert (await staff_says(village, w["question"]))["text"] == w["asked_background"]
    assert (await staff_says(village, w["background"]))["text"] == w["asked_options"]
    assert (await staff_says(village, "Asphalt"))["text"] == w["one_option"]
    grids = await staff_says(village, w["options"])
    assert grids["text"] == w["asked_grids"]
    village.standin.press_button(village.worker, grids, inline_buttons(grids)[w["grid"]])
    asked = await staff_press(village, grids, w["done"])
    assert asked["text"] == w["asked_tickets"]
    assert (await staff_says(village, "2026-000001"))["text"] == w["asked_deadline"]
    yesterday = f"{deadline_in(-1):%Y-%m-%d %H:%M}"
    said = await staff_says(village, yesterday)
    assert said["text"] == w["past"].format(deadline=yesterday)
    assert (await staff_says(village, "next Friday"))["text"] == w["unreadable"]
    tally = await staff_says(village, w["typed"].format(deadline=deadline))
    assert tally["text"] == w["asked_tally"]
    summary = await staff_press(village, tally, w["hidden"])
    assert summary["text"].startswith(w["check"])
    opened = await staff_press(village, summary, w["open"])
    assert opened["text"] == w["opened"]


def csv_of(standin: BotAPIStandin, message: dict[str, Any]) -> list[list[str]]:
    stored = standin.file(message["document"]["file_id"])
    assert stored is not None
    return list(csv.reader(io.StringIO(stored.data.decode("utf-8-sig"))))


async def test_a_consultation_closes_its_loop(village: Village) -> None:
    standin, w = village.standin, village.words
    lao, chen, zhou, wu = village.residents
    deadline = deadline_in(3)
    await open_consultation(village, deadline)
    ballots = {person.id: await next_message(standin, person.id) for person in village.residents}
    for ballot in ballots.values():
        assert ballot["text"] == w["invitation"].format(deadline=f"{deadline:%Y-%m-%d %H:%M}")
    assert not standin.pending_messages(village.outsider.id)

    # an outsider presses a ballot's button (its data copied): refused, nothing recorded
    pressed = standin.press_button(
        village.outsider, ballots[lao.id], inline_buttons(ballots[lao.id])[w["A"]]
    )
    answers = await eventually(lambda: standin.callback_answers(pressed))
    assert answers[0]["text"] == w["not_invited"]

    # three vote; Lao Shen changes his mind; Zhou Min presses twice (changes nothing)
    async def vote(person: FakeUser, label: str) -> str:
        standin.press_button(person, ballots[person.id], inline_buttons(ballots[person.id])[label])
        return str((await next_message(standin, person.id))["text"])

    assert re.fullmatch(w["receipt_b"], await vote(lao, w["B"]))
    assert re.fullmatch(w["receipt_a"], await vote(chen, w["A"]))
    assert re.fullmatch(w["receipt_a"], await vote(zhou, w["A"]))
    assert re.fullmatch(w["changed"], await vote(lao, w["A"]))
    assert re.fullmatch(w["still"], await vote(zhou, w["A"]))

    # Chen Jie writes an opinion
    standin.press_button(chen, ballots[chen.id], inline_buttons(ballots[chen.id])[w["opine"]])
    assert (await next_message(standin, chen.id))["text"] == w["asked_opinion"]
    standin.send_message(chen, w["opinion"])
    assert re.fullmatch(w["opinion_recorded"], (await next_message(standin, chen.id))["text"])

    async with village.linkage.db.session() as session:  # one row per voter, words sealed
        votes = list((await session.exec(select(ConsultationVote))).all())
    assert len(votes) == 3
    assert all("rainy" not in (vote.opinion_encrypted or "") for vote in votes)

    # staff see the tally and the opinion by pseudonym, never a name
    view = await staff_says(village, "/consult 1")
    assert view["text"].startswith(w["view_head"].format(deadline=f"{deadline:%Y-%m-%d %H:%M}"))
    assert w["view_opinion"] in view["text"]
    assert "Chen" not in view["text"]

    # the export keeps the hidden tally hidden before the deadline
    standin.send_command(village.worker, "/consult", "1 export", chat=EAST_GATE_CHAT)
    exported = await next_message(standin, EAST_GATE_CHAT)
    rows = csv_of(standin, exported)
    assert [row[1] for row in rows[1:]] == [w["hidden_choice"]] * 3
    assert not any(w["A"] in cell or cell == "Asphalt" for row in rows for cell in row)
    assert len(rows) == 4  # the header and three voters: no counts

    # frozen: an edit is refused, a new round offered
    frozen = await staff_says(village, "/consult 1 edit")
    assert frozen["text"] == w["frozen"]
    assert list(inline_buttons(frozen)) == [w["round_2"]]

    # a day before: Wu Lan, who has not chosen, is reminded; once
    reminded = await village.linkage.deliberation.remind_due(deadline - timedelta(hours=23))
    assert reminded == 1
    assert (await next_message(standin, wu.id))["text"].startswith(w["reminder"])
    assert await village.linkage.deliberation.remind_due(deadline - timedelta(hours=22)) == 0

    # the deadline passes: closed, staff get the final tally, late presses are refused
    assert await village.linkage.deliberation.close_due(deadline - timedelta(minutes=1)) == 0
    assert await village.linkage.deliberation.close_due(deadline + timedelta(minutes=1)) == 1
    closed = await next_message(standin, EAST_GATE_CHAT)
    assert closed["text"] == w["closed"]
    late = standin.press_button(wu, ballots[wu.id], inline_buttons(ballots[wu.id])[w["B"]])
    assert (await eventually(lambda: standin.callback_answers(late)))[0]["text"] == w["late"]

    # the decision goes back to everyone invited and to the request that raised it
    assert (await staff_says(village, "/decide 1"))["text"] == w["asked_decision"]
    published = await staff_says(village, w["decision"])
    assert published["text"] == w["published"]
    for person in village.residents:
        told = (await next_message(standin, person.id))["text"]
        assert told == w["decided"] + (w["answers"] if person is lao else "")
    async with village.linkage.db.session() as session:
        [event] = (
            await session.exec(select(TicketEvent).where(TicketEvent.kind == "decided"))
        ).all()
    assert event.ticket_id == 1 and event.detail == w["decision"]
    history = (await staff_says(village, "/ticket 2026-000001"))["text"]
    assert w["history"] in history and w["decision"][:20] in history

    # carried out: they rate it, and the average shows to staff and on the board
    marked = await staff_press(village, published, w["carried"])
    assert marked["text"] == w["marked"]
    for person, stars in ((lao, 5), (chen, 4), (zhou, 5)):
        asked = await next_message(standin, person.id)
        assert asked["text"] == w["rate"]
        standin.press_button(person, asked, inline_buttons(asked)["⭐" * stars])
        assert (await next_message(standin, person.id))["text"] == w["thanks"]
    await next_message(standin, wu.id)
    assert w["satisfaction"] in (await staff_says(village, "/consult 1"))["text"]
    async with aiohttp.ClientSession() as http, http.get(f"{village.bot.web_url}/board") as page:
        board = await page.text()
    assert w["board"] in board and w["board_rating"] in board
    assert w["question"].replace("?", "") in board and "Chen" not in board
