"""A landlord removes a rental house, through the bot: asked first, then the house leaves every
list, its tenants are told (each in their language) and their registrations end; on the
retention schedule the address, the landlord's phone and the tenants' details are deleted.
A stranger's press removes nothing."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from bot.factory import build
from bot.localapi import BotAPIStandin
from bot.runner import rental_round
from services.certificates import china_today
from services.models import RentalHouse, RentalTenant, utcnow
from tests.support.people import inline_buttons
from tests.support.running import eventually
from tests.test_rental import (
    JOIN,
    LANDLORD,
    SANJIABANG_CHAT,
    STRANGER,
    STREET_OFFICE_CHAT,
    register_house,
    register_tenant,
    standin,  # noqa: F401  (the fixture with a group's higher limit)
)
from tests.test_resident_requests import EAST_GATE_CHAT, next_message


async def test_a_landlord_removes_a_house_its_tenants_are_told_and_it_is_purged_later(
    standin: BotAPIStandin,  # noqa: F811
    run_bot,
) -> None:
    east = standin.group(EAST_GATE_CHAT, title="Grid 1")
    standin.group(SANJIABANG_CHAT, title="Sanjiabang")
    standin.group(STREET_OFFICE_CHAT, title="Street office")
    landlord = standin.user(LANDLORD, "Zhang Wei", language_code="en")
    ivan = standin.user(4002, "Ivan", language_code="en")
    li = standin.user(4003, "李娜", language_code="zh")
    stranger = standin.user(STRANGER, "Mallory", language_code="en")
    bot = await run_bot()

    registered = (await register_house(standin, landlord)).split("\n---\n")[2]
    found, join = re.search(r"code is (R\w+)\.", registered), JOIN.search(registered)
    assert found and join
    code = found[1]
    await next_message(standin, east.id)
    await register_tenant(standin, ivan, join[1], "Ivan Petrov", "Passport", "E1234567")
    await next_message(standin, landlord.id)
    await register_tenant(standin, li, join[1], "李娜", "居民身份证", "11010519491231002X")
    await next_message(standin, landlord.id)

    standin.send_command(landlord, "/rental")
    overview = await next_message(standin, landlord.id)
    remove = f"🗑 Remove {code}"
    query = standin.press_button(stranger, overview, inline_buttons(overview)[remove])
    answers = await eventually(lambda: standin.callback_answers(query))
    assert answers[0]["text"] == "This is not your house."
    standin.press_button(landlord, overview, inline_buttons(overview)[remove])
    asked = await next_message(standin, landlord.id)
    assert asked["text"] == (
        f"Remove rental house {code}, Market Lane 7, room 302? Its 2 tenants are told and their "
        "registrations end today. 30 days later its address, your phone and the tenants' "
        "details are deleted. This cannot be undone."
    )
    assert list(inline_buttons(asked)) == [f"🗑 Yes, remove {code}"]
    standin.press_button(landlord, asked, inline_buttons(asked)[f"🗑 Yes, remove {code}"])
    purge_on = (china_today() + timedelta(days=31)).isoformat()
    assert (await next_message(standin, landlord.id))["text"] == (
        f"🗑 Rental house {code} is removed. 2 tenants were told. Its address, your phone and "
        f"the tenants' details are deleted on {purge_on}."
    )
    assert (await next_message(standin, ivan.id))["text"] == (
        f"🏠 Your landlord removed rental house {code} from Linkage, so your registration there "
        "ended today. If you still live there, ask your landlord or your grid worker."
    )
    assert (await next_message(standin, li.id))["text"] == (
        f"🏠 房东已在 Linkage 中删除出租房 {code}，您在那里的居住登记今天结束。"
        "如果您仍住在那里，请联系房东或网格员。"
    )
    query = standin.press_button(landlord, asked, inline_buttons(asked)[f"🗑 Yes, remove {code}"])
    answers = await eventually(lambda: standin.callback_answers(query))
    assert answers[0]["text"] == f"Rental house {code} was removed already."

    # gone from the landlord's list, from the tenants', from /inspect and from the join link
    standin.send_command(landlord, "/rental")
    assert code not in (await next_message(standin, landlord.id))["text"]
    standin.send_command(ivan, "/rental")
    assert code not in (await next_message(standin, ivan.id))["text"]
    standin.send_command(stranger, "/start", join[1])
    assert (await next_message(standin, stranger.id))["text"].startswith(
        "No rental house has the join code"
    )

    linkage = build(bot.settings)
    try:
        await rental_round(linkage, utcnow() + timedelta(days=30))  # not yet
        async with linkage.db.session() as session:
            house = (await session.exec(select(RentalHouse))).one()
        assert house.purged_at is None and house.landlord_contact_encrypted
        await rental_round(linkage, utcnow() + timedelta(days=32))
        async with linkage.db.session() as session:
            house = (await session.exec(select(RentalHouse))).one()
            tenants = (await session.exec(select(RentalTenant))).all()
    finally:
        await linkage.close()
    assert house.purged_at is not None and house.removed_on == china_today()
    assert (house.address_encrypted, house.landlord_contact_encrypted) == ("", None)
    assert (house.latitude, house.longitude, house.photos) == (None, None, [])
    assert house.code == code and house.beds == 2  # the figures stay
    assert len(tenants) == 2
    assert all(t.purged_at and not (t.name_encrypted or t.phone_encrypted) for t in tenants)
