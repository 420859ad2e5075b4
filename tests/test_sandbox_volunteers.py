"""In the sandbox, in the browser: the resident pane signs up as a volunteer, the staff pane
posts a task, the resident accepts it and the staff chat hears so."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.test_sandbox_browser import (  # noqa: F401  (the fixtures, one sandbox for this file)
    WAIT_MS,
    browser,
    page,
    pane,
    press,
    sandbox,
    say,
    sees,
)
from tests.test_volunteers import next_saturday_morning

EAST_GATE_CHAT = "-1001000000011"


def test_a_resident_volunteers_and_the_staff_post_a_task(page: Page) -> None:  # noqa: F811
    resident, staff = pane(page, "resident"), pane(page, "staff")
    sees(resident, "Hello, Lao Shen!")
    say(resident, "/volunteer")
    press(resident, "Elderly care")
    expect(resident.get_by_role("button", name="✅ Elderly care")).to_be_visible(timeout=WAIT_MS)
    press(resident, "Next ➡️")
    sees(resident, "When are you free?")
    press(resident, "Weekends")
    expect(resident.get_by_role("button", name="✅ Weekends")).to_be_visible(timeout=WAIT_MS)
    press(resident, "Mornings")
    expect(resident.get_by_role("button", name="✅ Mornings")).to_be_visible(timeout=WAIT_MS)
    press(resident, "Next ➡️")
    press(resident, "📍 Share my location")
    resident.get_by_role("button", name="📍 Sanjiabang Community · Grid 1: east gate").click()
    press(resident, "⏭ Skip")
    sees(resident, "Thank you! You are a volunteer in Grid 1: east gate.")

    staff.locator(".chat-pick select").select_option(value=EAST_GATE_CHAT)
    say(staff, "/task Walk elderly neighbours to the clinic")
    sees(staff, "When does it start?")
    say(staff, f"{next_saturday_morning():%Y-%m-%d %H:%M}")
    sees(staff, "How many hours will it take?")
    say(staff, "2")
    sees(staff, "How many volunteers are needed?")
    say(staff, "1")
    press(staff, "Elderly care")
    expect(staff.get_by_role("button", name="✅ Elderly care")).to_be_visible(timeout=WAIT_MS)
    press(staff, "📣 Post the task")
    sees(staff, "1 matching volunteers were invited; their answers come here.")

    sees(resident, "🙋 Volunteers wanted: Walk elderly neighbours to the clinic")
    press(resident, "✅ I will come")
    sees(resident, "Thank you! You will come: Walk elderly neighbours to the clinic")
    sees(staff, "🙋 Lao Shen will come to task #1")
