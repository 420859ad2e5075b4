"""Volunteers, through the stand-in in English and Chinese: two residents sign up, staff post a
task for one person, the first accept takes the place and the second is told it is full, staff
confirm who came, the hours add up, and the monthly thanks arrives once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot.factory import build
from bot.localapi import BotAPIStandin
from bot.runner import thank_volunteers
from services.certificates import CHINA_TIME
from services.models import Volunteer, VolunteerTask
from services.outbox import Outbox, Outgoing
from services.privacy import FieldCipher
from services.storage import Database
from services.volunteer_contract import Answer, Profile, TaskView
from services.volunteers import Volunteers
from tests.support.people import inline_buttons
from tests.support.running import eventually
from tests.test_resident_requests import EAST_GATE_CHAT, INSIDE_EAST_GATE, next_message

SANJIABANG_CHAT = -1001000000010
STREET_OFFICE_CHAT = -1001000000001

ENGLISH = {
    "ask skills": "Thank you for volunteering! Which skills can you offer? Choose any, then "
    "press “Next”.",
    "elderly care": "Elderly care",
    "next": "Next ➡️",
    "ask times": "When are you free? Choose weekdays or weekends, and the times of day, then "
    "press “Next”.",
    "weekends": "Weekends",
    "mornings": "Mornings",
    "ask place": "Where do you live? Share your location with the button below, or write your "
    "grid's code.",
    "ask phone": "Your phone number, so the staff can reach you? Write it, or press “Skip”.",
    "skip": "⏭ Skip",
    "signed up": "Thank you! You are a volunteer in Grid 1: east gate.\nSkills: Elderly care\n"
    "Free: Weekends, Mornings\nWhen a task fits you, I will ask you here. /volunteer shows "
    "your hours.",
    "ask what": "What is the task? Describe it in a few words.",
    "what": "Walk elderly neighbours to the clinic",
    "ask when": "When does it start? Write the date and time (local time), e.g. 2026-12-05 09:00.",
    "ask hours": "How many hours will it take? E.g. 2 or 1.5.",
    "ask people": "How many volunteers are needed?",
    "ask skills wanted": "Which skills are wanted? Choose any (none: anyone may come), then "
    "press “Post the task”.",
    "post": "📣 Post the task",
    "posted": "📣 Task #1 posted: Walk elderly neighbours to the clinic\nWhere: Grid 1: east "
    "gate\nWhen: {when}, 2 hours\nPeople needed: 1\nSkills: Elderly care\n\n2 matching "
    "volunteers were invited; their answers come here.",
    "invitation": "🙋 Volunteers wanted: Walk elderly neighbours to the clinic\nWhere: Grid 1: "
    "east gate\nWhen: {when}, 2 hours\nPeople needed: 1\nSkills: Elderly care\n\nCan you come?",
    "yes": "✅ I will come",
    "accepted": "Thank you! You will come: Walk elderly neighbours to the clinic, {when}. If you "
    "cannot after all, press “I can't”.",
    "staff told": "🙋 Li Na will come to task #1 “Walk elderly neighbours to the clinic” "
    "(1 of 1).\nPhone: 13900000001",
    "full": "This task already has all the volunteers it needs. Thank you all the same; you "
    "will be asked again.",
    "attendance": "📋 Attendance",
    "too early": "Attendance is confirmed once the task has begun ({when}).",
    "not staff": "Only the staff of the task's chat can confirm attendance.",
    "who came": "Who came to task #1 “Walk elderly neighbours to the clinic”? Press ✅ or ❌ "
    "for each volunteer.\n\nLi Na: not confirmed yet",
    "came": "Who came to task #1 “Walk elderly neighbours to the clinic”? Press ✅ or ❌ for "
    "each volunteer.\n\nLi Na: came · 2 hours",
    "hours": "You are a volunteer in Grid 1: east gate.\nSkills: Elderly care\nFree: Weekends, "
    "Mornings\nHours this month: 2 · in all: 2 (1 tasks)",
    "thanks": "💐 Thank you for volunteering! In {month} you gave 2 hours to your neighbours, "
    "in 1 tasks.",
}

CHINESE = {
    "ask skills": "感谢您报名做志愿者！您能提供哪些技能？可多选，然后按“下一步”。",
    "elderly care": "照护老人",
    "next": "下一步 ➡️",
    "ask times": "您什么时候有空？请选择工作日或周末，以及一天中的时段，然后按“下一步”。",
    "weekends": "周末",
    "mornings": "上午",
    "ask place": "您住在哪里？请用下面的按钮分享位置，或写下您所在网格的编号。",
    "ask phone": "您的电话号码，方便工作人员联系您？请写下号码，或按“跳过”。",
    "skip": "⏭ 跳过",
    "signed up": "谢谢！您现在是第一网格（东门）的志愿者。\n技能：照护老人\n空闲：周末、上午\n"
    "有适合您的任务时，我会在这里问您。/volunteer 可查看您的服务时长。",
    "ask what": "是什么任务？请用几句话描述。",
    "what": "陪社区老人去卫生院",
    "ask when": "什么时候开始？请写日期和时间（当地时间），例如 2026-12-05 09:00。",
    "ask hours": "需要几个小时？例如 2 或 1.5。",
    "ask people": "需要几位志愿者？",
    "ask skills wanted": "需要哪些技能？可多选（不选：谁都可以来），然后按“发布任务”。",
    "post": "📣 发布任务",
    "posted": "📣 任务 #1 已发布：陪社区老人去卫生院\n地点：第一网格（东门）\n时间：{when}，"
    "2 小时\n需要人数：1\n技能：照护老人\n\n已邀请 2 位符合条件的志愿者；他们的答复会发到这里。",
    "invitation": "🙋 招募志愿者：陪社区老人去卫生院\n地点：第一网格（东门）\n时间：{when}，"
    "2 小时\n需要人数：1\n技能：照护老人\n\n您能来吗？",
    "yes": "✅ 我能来",
    "accepted": "谢谢！您会参加：陪社区老人去卫生院，{when}。如果之后来不了，请按“我来不了”。",
    "staff told": "🙋 李娜会参加任务 #1“陪社区老人去卫生院”（1/1）。\n电话：13900000001",
    "full": "这个任务的志愿者已经满员。仍然感谢您，下次有任务还会问您。",
    "attendance": "📋 签到",
    "too early": "任务开始后（{when}）才能确认签到。",
    "not staff": "只有任务所在群的工作人员才能确认签到。",
    "who came": "谁参加了任务 #1“陪社区老人去卫生院”？请为每位志愿者按 ✅ 或 ❌。"
    "\n\n李娜：尚未确认",
    "came": "谁参加了任务 #1“陪社区老人去卫生院”？请为每位志愿者按 ✅ 或 ❌。"
    "\n\n李娜：已到 · 2 小时",
    "hours": "您是第一网格（东门）的志愿者。\n技能：照护老人\n空闲：周末、上午\n"
    "本月服务时长：2 小时 · 累计：2 小时（1 个任务）",
    "thanks": "💐 感谢您的志愿服务！{month} 您为邻居们服务了 2 小时，参加了 1 个任务。",
}


def on(standin: BotAPIStandin, message: dict[str, Any]) -> list[str]:
    """The buttons a message shows now (after edits)."""
    return [button["text"] for row in standin.keyboard(message) for button in row]


def next_saturday_morning() -> datetime:
    """A Saturday 09:00 China time, at least a day ahead."""
    day = (datetime.now(CHINA_TIME) + timedelta(days=2)).date()
    while day.weekday() != 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=CHINA_TIME)


async def sign_up(
    standin: BotAPIStandin, person: Any, words: dict[str, str], phone: str | None
) -> None:
    standin.send_command(person, "/volunteer")
    skills = await next_message(standin, person.id)
    assert skills["text"] == words["ask skills"]
    standin.press_button(person, skills, inline_buttons(skills)[words["elderly care"]])
    await eventually(lambda: f"✅ {words['elderly care']}" in on(standin, skills))
    standin.press_button(person, skills, inline_buttons(skills)[words["next"]])
    times = await next_message(standin, person.id)
    assert times["text"] == words["ask times"]
    for choice in ("weekends", "mornings"):
        standin.press_button(person, times, inline_buttons(times)[words[choice]])
    await eventually(lambda: f"✅ {words['mornings']}" in on(standin, times))
    standin.press_button(person, times, inline_buttons(times)[words["next"]])
    assert (await next_message(standin, person.id))["text"] == words["ask place"]
    standin.send_location(person, *INSIDE_EAST_GATE)
    assert (await next_message(standin, person.id))["text"] == words["ask phone"]
    if phone is None:
        standin.press_reply_button(person, words["skip"])
    else:
        standin.send_message(person, phone)
    assert (await next_message(standin, person.id))["text"] == words["signed up"]


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_a_volunteer_accepts_the_only_place_and_their_hours_add_up(
    standin: BotAPIStandin, run_bot, language: str
) -> None:
    words = ENGLISH if language == "en" else CHINESE
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    standin.group(SANJIABANG_CHAT, title="Sanjiabang community")
    standin.group(STREET_OFFICE_CHAT, title="Street office")
    worker = standin.user(111111, "Wang Fang", language_code=language)
    standin.add_member(east.id, worker.id)
    li = standin.user(4001, "Li Na" if language == "en" else "李娜", language_code=language)
    zhou = standin.user(4002, "Zhou Bo", language_code=language)
    bot = await run_bot(staff_locale=language)

    await sign_up(standin, li, words, "13900000001")
    await sign_up(standin, zhou, words, None)

    starts = next_saturday_morning()
    when = f"{starts:%Y-%m-%d %H:%M}"
    standin.send_command(worker, "/task", chat=east.id)
    assert (await next_message(standin, east.id))["text"] == words["ask what"]
    for answer, question in ((words["what"], "ask when"), (when, "ask hours")):
        standin.send_message(worker, answer, chat=east.id)
        assert (await next_message(standin, east.id))["text"] == words[question]
    standin.send_message(worker, "2", chat=east.id)
    assert (await next_message(standin, east.id))["text"] == words["ask people"]
    standin.send_message(worker, "1", chat=east.id)
    skills = await next_message(standin, east.id)
    assert skills["text"] == words["ask skills wanted"]
    standin.press_button(worker, skills, inline_buttons(skills)[words["elderly care"]])
    await eventually(lambda: f"✅ {words['elderly care']}" in on(standin, skills))
    standin.press_button(worker, skills, inline_buttons(skills)[words["post"]])
    posted = await next_message(standin, east.id)
    assert posted["text"] == words["posted"].format(when=when)

    invitations = {}
    for person in (li, zhou):  # through the outbox, in their language
        invitations[person.id] = await next_message(standin, person.id)
        assert invitations[person.id]["text"] == words["invitation"].format(when=when)
    standin.press_button(li, invitations[li.id], inline_buttons(invitations[li.id])[words["yes"]])
    assert (await next_message(standin, li.id))["text"] == words["accepted"].format(when=when)
    assert (await next_message(standin, east.id))["text"] == words["staff told"]
    yes = inline_buttons(invitations[zhou.id])[words["yes"]]
    standin.press_button(zhou, invitations[zhou.id], yes)
    assert (await next_message(standin, zhou.id))["text"] == words["full"]

    attendance = inline_buttons(posted)[words["attendance"]]
    query = standin.press_button(worker, posted, attendance)
    await eventually(lambda: standin.callback_answers(query))
    assert standin.callback_answers(query)[0]["text"] == words["too early"].format(when=when)

    db = Database(bot.settings.effective_database_url)
    try:  # the Saturday came: the task began ten minutes ago
        async with db.session() as session:
            await session.exec(
                update(VolunteerTask).values(starts_at=datetime.now(UTC) - timedelta(minutes=10))
            )
            await session.commit()
        standin.press_button(worker, posted, attendance)
        sheet = await next_message(standin, east.id)
        assert sheet["text"] == words["who came"]
        came = inline_buttons(sheet)[f"✅ {li.first_name}"]
        query = standin.press_button(zhou, sheet, came)  # a volunteer is not the staff
        await eventually(lambda: standin.callback_answers(query))
        assert standin.callback_answers(query)[0]["text"] == words["not staff"]
        standin.press_button(worker, sheet, came)
        await eventually(lambda: standin.messages(east.id)[-1]["text"] == words["came"], within=10)

        standin.send_command(li, "/volunteer")
        assert (await next_message(standin, li.id))["text"] == words["hours"]

        async with db.session() as session:  # name and phone encrypted at rest
            row = (
                await session.exec(select(Volunteer).where(col(Volunteer.user_id) == li.id))
            ).one()
        assert row.phone_encrypted and "13900000001" not in row.phone_encrypted
        assert li.first_name not in row.name_encrypted
    finally:
        await db.close()

    task_month = datetime.now(CHINA_TIME) - timedelta(minutes=10)
    first = (task_month.replace(day=28) + timedelta(days=5)).replace(day=1, hour=0, minute=1)
    linkage = build(bot.settings)  # what the bot's minute round calls, on the 1st
    try:
        assert await thank_volunteers(linkage, first - timedelta(minutes=2)) == 0  # not yet
        assert await thank_volunteers(linkage, first) == 1
        assert await thank_volunteers(linkage, first + timedelta(minutes=1)) == 0  # once only
    finally:
        await linkage.close()
    thanks = await next_message(standin, li.id)
    assert thanks["text"] == words["thanks"].format(month=f"{task_month:%Y-%m}")
    await asyncio.sleep(0.5)
    assert standin.messages(li.id)[-1] == thanks and not standin.pending_messages(zhou.id)


class Words:
    """Plain words, to test the rules without the bot."""

    def invitation(self, task: TaskView, volunteer: Profile) -> Outgoing:
        return Outgoing.text(volunteer.user_id, task.what)

    def answered(self, task: TaskView, volunteer: Profile, accepted: bool) -> Outgoing:
        return Outgoing.text(task.staff_chat_id, volunteer.name)

    def thanks(self, volunteer: Profile, month: str, minutes: int, tasks: int) -> Outgoing:
        return Outgoing.text(volunteer.user_id, month)


async def test_accepts_at_the_same_moment_never_overfill_a_task(
    database_url: str, tmp_path
) -> None:
    db = Database(database_url)
    cipher = FieldCipher.from_setting(None, tmp_path)
    volunteers = Volunteers(db, Outbox(db, cipher), cipher, Words(), CHINA_TIME)
    try:
        for user in range(5001, 5011):
            await volunteers.sign_up(
                Profile(
                    user,
                    f"V{user}",
                    None,
                    ("cleaning",),
                    ("weekends", "mornings"),
                    "SJB-01",
                    "sanjiabang",
                    "en",
                )
            )
        task, invited = await volunteers.post(
            staff_chat_id=EAST_GATE_CHAT,
            grid_code="SJB-01",
            community_code="sanjiabang",
            what="Sweep the square",
            starts_at=next_saturday_morning(),
            minutes=90,
            needed=3,
            skills=["cleaning"],
            created_by=111111,
        )
        assert invited == 10
        now = datetime.now(UTC)
        answers = await asyncio.gather(
            *(volunteers.answer(task.id, user, True, now) for user in range(5001, 5011))
        )
        assert answers.count(Answer.ACCEPTED) == 3 and answers.count(Answer.FULL) == 7
        stored = await volunteers.task(task.id)
        assert stored is not None and stored.accepted == 3
        one = answers.index(Answer.ACCEPTED) + 5001
        assert await volunteers.answer(task.id, one, False, now) is Answer.DECLINED
        late = answers.index(Answer.FULL) + 5001
        assert await volunteers.answer(task.id, late, True, now) is Answer.ACCEPTED
        assert await volunteers.answer(task.id, 9999, True, now) is Answer.NOT_INVITED
    finally:
        await db.close()
