"""The skills volunteers offer come from the routing file's `volunteers: skills:` (named in
English and Chinese), the fixed set when it names none; through the stand-in, a resident signs
up in Chinese with the office's own skill and a task asking for it in English reaches them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.localapi import BotAPIStandin
from services.routing import SAMPLE_PATH, RoutingError, load_routing
from services.volunteer_routing import skill_codes
from services.volunteers import SKILLS
from tests.support.people import inline_buttons
from tests.support.running import eventually
from tests.test_resident_requests import EAST_GATE_CHAT, INSIDE_EAST_GATE, next_message
from tests.test_volunteers import (
    SANJIABANG_CHAT,
    STREET_OFFICE_CHAT,
    next_saturday_morning,
    on,
)

OWN_SKILLS = [
    {"code": "repairs", "name": {"en": "Small repairs", "zh": "小修小补"}},
    {"code": "elderly_care", "name": {"en": "Elderly care", "zh": "照护老人"}},
]


def routing_with(tmp_path: Path, section: object) -> Path:
    document = yaml.safe_load(SAMPLE_PATH.read_text(encoding="utf-8"))
    document["volunteers"] = section
    path = tmp_path / "routing.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def test_the_fixed_set_is_the_default_and_a_bad_skill_is_named(tmp_path: Path) -> None:
    assert skill_codes(None) == SKILLS
    assert skill_codes({"skills": OWN_SKILLS}) == ("repairs", "elderly_care")
    with pytest.raises(RoutingError, match=r"volunteers.skills\[0\].code: 'Repairs, all'"):
        load_routing(
            routing_with(
                tmp_path,
                {"skills": [{"code": "Repairs, all", "name": {"en": "Repairs", "zh": "维修"}}]},
            ),
            -1001,
        )
    with pytest.raises(RoutingError, match=r"volunteers.skills\[0\].name: give it in en and zh"):
        load_routing(
            routing_with(tmp_path, {"skills": [{"code": "repairs", "name": {"en": "Repairs"}}]}),
            -1001,
        )


async def test_the_offices_own_skills_are_offered_and_matched(
    standin: BotAPIStandin, run_bot, tmp_path: Path
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    standin.group(SANJIABANG_CHAT, title="Sanjiabang community")
    standin.group(STREET_OFFICE_CHAT, title="Street office")
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(east.id, worker.id)
    li = standin.user(4001, "李娜", language_code="zh")
    await run_bot(routing_file=routing_with(tmp_path, {"skills": OWN_SKILLS}), staff_locale="en")

    standin.send_command(li, "/volunteer")
    skills = await next_message(standin, li.id)
    assert list(inline_buttons(skills)) == ["小修小补", "照护老人", "下一步 ➡️"]
    standin.press_button(li, skills, inline_buttons(skills)["小修小补"])
    await eventually(lambda: "✅ 小修小补" in on(standin, skills))
    standin.press_button(li, skills, inline_buttons(skills)["下一步 ➡️"])
    times = await next_message(standin, li.id)
    for choice in ("周末", "上午"):
        standin.press_button(li, times, inline_buttons(times)[choice])
    await eventually(lambda: "✅ 上午" in on(standin, times))
    standin.press_button(li, times, inline_buttons(times)["下一步 ➡️"])
    await next_message(standin, li.id)
    standin.send_location(li, *INSIDE_EAST_GATE)
    await next_message(standin, li.id)
    standin.press_reply_button(li, "⏭ 跳过")
    assert (await next_message(standin, li.id))["text"] == (
        "谢谢！您现在是第一网格（东门）的志愿者。\n技能：小修小补\n空闲：周末、上午\n"
        "有适合您的任务时，我会在这里问您。/volunteer 可查看您的服务时长。"
    )

    when = f"{next_saturday_morning():%Y-%m-%d %H:%M}"
    standin.send_command(worker, "/task", chat=east.id)
    await next_message(standin, east.id)
    for answer in ("Fix the stairwell lights", when, "2", "1"):
        standin.send_message(worker, answer, chat=east.id)
        asked = await next_message(standin, east.id)
    assert list(inline_buttons(asked)) == ["Small repairs", "Elderly care", "📣 Post the task"]
    standin.press_button(worker, asked, inline_buttons(asked)["Small repairs"])
    await eventually(lambda: "✅ Small repairs" in on(standin, asked))
    standin.press_button(worker, asked, inline_buttons(asked)["📣 Post the task"])
    posted = await next_message(standin, east.id)
    assert "\nSkills: Small repairs\n\n1 matching volunteers were invited" in posted["text"]
    invitation = await next_message(standin, li.id)
    assert invitation["text"] == (
        f"🙋 招募志愿者：Fix the stairwell lights\n地点：第一网格（东门）\n时间：{when}，"
        "2 小时\n需要人数：1\n技能：小修小补\n\n您能来吗？"
    )
