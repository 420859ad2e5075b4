"""The dashboard's programmes page through the running bot: rental houses by risk colour on the
map and per grid, mediation's figures beside the seed's, the legal service point's, and
deliberation's decisions, in English and Chinese; no address, landlord or tenant anywhere; a
grid's staff see their grid's houses and nothing of the rest."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import aiohttp
import pytest

from bot.localapi import BotAPIStandin
from handlers.dashboard_auth import COOKIE
from services.mediation_models import MediationCase
from services.models import (
    Consultation,
    LegalHours,
    LegalQuestion,
    RentalHouse,
    utcnow,
)
from services.privacy import FieldCipher
from services.routing import load_routing
from services.storage import Database
from tests.support.running import RunningBot
from tests.test_dashboard_auth import ADMIN, login_fields, sample_chats, session_cookie, sign_in

RIVERSIDE = -1001000000012
ADDRESS = "No. 7 Canal Lane, flat 302"
LANDLORD = "Landlord Qian, 13900139000"


def inside(code: str) -> tuple[float, float]:
    """A point inside a sample grid (the mean of its outline's corners)."""
    ring = load_routing(None, None).grid(code).area[0]
    return sum(p[1] for p in ring) / len(ring), sum(p[0] for p in ring) / len(ring)


def house(code: str, grid: str, colour: str, reasons: list[dict[str, object]], **more: object):
    cipher_text = more.pop("cipher")
    assert isinstance(cipher_text, FieldCipher)
    return RentalHouse(
        code=code,
        join_code=f"J{code}",
        landlord_id=4100,
        grid=grid,
        address_encrypted=cipher_text.encrypt(ADDRESS),
        landlord_contact_encrypted=cipher_text.encrypt(LANDLORD),
        rooms=2,
        beds=2,
        colour=colour,
        reasons=reasons,
        next_due=utcnow() + timedelta(days=30),
        **more,
    )


async def seed(bot: RunningBot) -> None:
    cipher = FieldCipher.from_setting(None, bot.settings.data_dir)
    now = utcnow()
    red_at, green_at = inside("SJB-01"), inside("SJB-02")
    db = Database(bot.settings.effective_database_url)
    try:
        async with db.session() as session:
            session.add_all(
                [
                    house(
                        "R1RED1",
                        "SJB-01",
                        "red",
                        [{"code": "critical_failed", "items": ["extinguisher"]}],
                        latitude=red_at[0],
                        longitude=red_at[1],
                        cipher=cipher,
                    ),
                    house(
                        "Y2YEL2",
                        "SJB-01",
                        "yellow",
                        [{"code": "overcrowded", "tenants": 3, "beds": 2}],
                        cipher=cipher,
                    ),
                    house(
                        "G3GRN3",
                        "SJB-02",
                        "green",
                        [],
                        latitude=green_at[0],
                        longitude=green_at[1],
                        cipher=cipher,
                    ),
                    house(  # its landlord removed it: no longer watched, nowhere on the page
                        "X4GONE",
                        "SJB-01",
                        "red",
                        [{"code": "critical_failed", "items": ["extinguisher"]}],
                        latitude=red_at[0],
                        longitude=red_at[1],
                        cipher=cipher,
                        removed_on=now.date() - timedelta(days=1),
                    ),
                    MediationCase(
                        resident_id=3001,
                        kind="medical",
                        status="settled",
                        created_at=now - timedelta(days=10),
                        accepted_at=now - timedelta(days=9),
                        closed_at=now - timedelta(days=4),
                    ),
                    MediationCase(
                        resident_id=3002,
                        kind="neighbours",
                        status="settled",
                        created_at=now - timedelta(days=5),
                        accepted_at=now - timedelta(days=5),
                        closed_at=now - timedelta(days=3),
                    ),
                    MediationCase(
                        resident_id=3003,
                        kind="neighbours",
                        status="referred",
                        accepted_at=now - timedelta(days=2),
                        closed_at=now - timedelta(days=1),
                    ),
                    MediationCase(resident_id=3004, kind="labour"),
                    LegalQuestion(
                        asker_id=3101,
                        topic="employment",
                        chat_id=-1001000000030,
                        status="answered",
                        answered_at=now,
                    ),
                    LegalQuestion(
                        asker_id=3102, topic="employment", chat_id=-1001000000030, status="taken"
                    ),
                    LegalQuestion(
                        asker_id=3103,
                        topic="family",
                        chat_id=-1001000000030,
                        status="answered",
                        answered_at=now,
                    ),
                    LegalHours(lawyer_id=5101, minutes=90, day=(now + timedelta(hours=8)).date()),
                    LegalHours(lawyer_id=5102, minutes=30, day=(now + timedelta(hours=8)).date()),
                    Consultation(
                        chat_id=-1001000000010,
                        opened_by=5201,
                        question="How should the village road be repaired?",
                        options=["Resurface it", "Patch the holes"],
                        grids=["SJB-01"],
                        deadline=now - timedelta(days=2),
                        status="decided",
                        decision="Resurface it in March: most chose it.",
                        decided_at=now - timedelta(days=1),
                    ),
                ]
            )
            await session.commit()
    finally:
        await db.close()


@pytest.fixture
async def bot(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> AsyncIterator[RunningBot]:
    sample_chats(standin)
    running = await run_bot(admin_ids=str(ADMIN))
    await seed(running)
    yield running


async def page(bot: RunningBot, user_id: int, name: str, lang: str) -> str:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        cookie = session_cookie(await sign_in(http, bot, login_fields(user_id, name)))
        answer = await http.get(
            f"{bot.web_url}/dashboard/programmes?lang={lang}",
            headers={"Accept": "text/html", "Cookie": f"{COOKIE}={cookie}"},
        )
        assert answer.status == 200
        return await answer.text()


def words(page: str) -> str:
    """The page's text as a reader gets it: tags out, entities read, spaces joined."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def private_data_absent(page: str) -> None:
    for private in (ADDRESS, "Canal Lane", LANDLORD, "13900139000"):
        assert private not in page


async def test_a_supervisor_sees_every_programme_in_english_and_chinese(bot: RunningBot) -> None:
    raw = await page(bot, ADMIN, "Chief", "en")
    private_data_absent(raw)
    # the map: every house with a place as a dot of its colour, red on top
    assert re.findall(r'data-house="([^"]+)"', raw) == ["G3GRN3", "R1RED1"]
    assert 'class="house house-red"' in raw and 'class="house house-green"' in raw
    text = words(raw)
    assert "X4GONE" not in text
    assert "Rental houses by risk colour" in text
    assert "R1RED1 · red · Critical item failed: Fire extinguisher in date" in text
    assert "Y2YEL2 Grid 1: east gate yellow Overcrowded: 3 tenants for 2 beds" in text
    assert "G3GRN3 Grid 2: riverside green" in text
    # counts per grid: red, yellow, green, all
    assert "Grid 1: east gate 1 1 0 2" in text
    assert "Grid 2: riverside 0 0 1 1" in text
    # mediation beside the seed
    assert "All kinds 4 3 2 1 0" in text
    assert "Median days from filing to settlement: 4.0." in text
    assert "Diversion share (settled of all closed): 66.67%; the Zhuji platform: 85.48%." in text
    # the legal service point
    assert "Employment 2 1" in text and "Family 1 1" in text
    assert "Answered: 66.67% of 3 questions." in text
    month = f"{(utcnow() + timedelta(hours=8)):%Y-%m}"
    assert f"Lawyers' service hours in {month}: 2.0 h, by 2 lawyers." in text
    # deliberation's decisions
    assert "How should the village road be repaired?" in text
    assert "Resurface it in March: most chose it." in text

    zh = words(await page(bot, ADMIN, "Chief", "zh"))
    assert "出租房风险颜色" in zh
    assert "R1RED1 · 红色 · 关键项不合格：灭火器在有效期内" in zh
    assert "调解" in zh and "分流率（调解成功占全部结案）：66.67%；诸暨平台：85.48%。" in zh
    assert "法律服务点" in zh and "已答复：3 个问题中的 66.67%。" in zh


async def test_grid_staff_see_their_grids_houses_only(
    standin: BotAPIStandin, bot: RunningBot
) -> None:
    li = standin.user(111121, "Li Na", language_code="en")
    standin.add_member(RIVERSIDE, li.id)
    raw = await page(bot, li.id, "Li Na", "en")
    private_data_absent(raw)
    assert re.findall(r'data-house="([^"]+)"', raw) == ["G3GRN3"]
    assert re.findall(r'data-grid="([^"]+)"', raw) == ["SJB-02"]
    text = words(raw)
    assert "R1RED1" not in text and "Y2YEL2" not in text
    assert "Grid 2: riverside 0 0 1 1" in text
    for hidden in ("Mediation", "Legal service point", "village road", "Diversion share"):
        assert hidden not in text
