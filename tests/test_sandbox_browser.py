"""The try-it sandbox in a real browser: a newcomer plays both stories on one page.

The README's run command, `scripts/run`, without a BOT_TOKEN starts the sandbox as a subprocess;
Playwright drives Debian's Chromium headless (never `playwright install`). Screenshots go to
test-artifacts/sandbox/. The sandbox always runs on SQLite, so the suite's PostgreSQL run leaves
these tests to the SQLite run.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from bot.sandbox.runtime import TOKEN_FILE
from bot.sandbox.strings import PAGE_STRINGS
from bot.sandbox.world import RESIDENT_ID
from tests.support.servers import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "sandbox"
WAIT_MS = 30_000  # the bot answers in well under a second; CI machines are slow and shared

# The sandbox always runs on SQLite: the test command runs these in its SQLite run only.
pytestmark = pytest.mark.sandbox


@dataclass(frozen=True)
class Running:
    url: str  # the page
    api_url: str  # its Bot API server
    token: str  # the bot's token there, new at every start


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Running]:
    port, api_port = free_port(), free_port()
    data = Path(tempfile.mkdtemp(prefix="linkage-sandbox-"))
    command = ["bash", str(ROOT / "scripts" / "run"), "--port", str(port)]  # README's command
    command += ["--api-port", str(api_port), "--web-port", str(free_port())]
    command += ["--data-dir", str(data / "data")]
    environment = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    log = (data / "sandbox.log").open("w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
    url = f"http://127.0.0.1:{port}/sandbox"
    deadline = time.monotonic() + 90
    while "Linkage sandbox: open" not in (data / "sandbox.log").read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the sandbox did not start:\n{(data / 'sandbox.log').read_text()}")
        time.sleep(0.2)
    assert (
        "no BOT_TOKEN is configured, so this starts the sandbox"
        in (data / "sandbox.log").read_text()
    )
    token = (data / "data" / TOKEN_FILE).read_text().strip()
    yield Running(url, f"http://127.0.0.1:{api_port}", token)
    process.terminate()
    assert process.wait(30) == 0, (data / "sandbox.log").read_text()[-3000:]
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():  # scripts/test installs Debian's chromium; never a silent skip
        pytest.fail("no /usr/bin/chromium: install the Debian package `chromium` (scripts/test)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, sandbox: Running) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1720, "height": 980}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(sandbox.url)
    expect(page.locator("body[data-ready=yes]")).to_be_attached(timeout=WAIT_MS)
    yield page
    context.close()
    assert not errors, f"the page's JavaScript failed: {errors}"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def pane(page: Page, key: str) -> Locator:
    return page.locator(f'section.pane[data-pane="{key}"]')


def say(where: Locator, text: str) -> None:
    where.locator(".composer .text").fill(text)
    where.locator(".composer .send").click()


def press(where: Locator, label: str) -> None:
    """The newest button (inline or reply keyboard) with exactly this label."""
    where.get_by_role("button", name=label, exact=True).last.click()


def sees(where: Locator, text: str) -> None:
    expect(where.locator(".messages")).to_contain_text(text, timeout=WAIT_MS)


def selfie() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (320, 400), (226, 190, 160)).save(output, format="JPEG")
    return output.getvalue()


def test_a_newcomer_plays_both_stories_in_the_browser(page: Page) -> None:
    resident, staff = pane(page, "resident"), pane(page, "staff")
    sees(resident, "Hello, Lao Shen!")
    shot(page, "01-start")

    say(resident, "The drain at the east gate is blocked")
    press(resident, "✅ Drains and sewers")
    press(resident, "📍 Share my location")
    resident.get_by_role("button", name="📍 Sanjiabang Community · Grid 1: east gate").click()
    resident.locator(".composer .attach").click()
    resident.get_by_role("button", name="🖼 Send a sample photo (a drawing of a drain)").click()
    sees(resident, "Photo added (1).")
    press(resident, "✅ Done")
    sees(resident, "Goes to: Grid 1: east gate")
    press(resident, "📨 Submit")
    sees(resident, "Your request number is 2026-000001.")

    card = staff.locator(".row", has_text="🆕 Request 2026-000001 · Drains and sewers")
    expect(card).to_be_visible(timeout=WAIT_MS)
    expect(staff.locator(".chat-pick select")).to_contain_text("Grid 1: east gate")
    shot(page, "02-card-in-staff-pane")
    card.get_by_role("button", name="🙋 Take").click()
    sees(resident, "has been taken by Grid 1: east gate")
    card.get_by_role("button", name="Reply", exact=True).click()
    expect(staff.locator(".replying")).to_contain_text("Replying to Linkage")
    say(staff, "We will dredge it tomorrow morning.")
    sees(resident, "We will dredge it tomorrow morning.")
    sees(staff, "Sent to the resident of 2026-000001.")
    staff.locator(".row", has_text="🆕 Request 2026-000001").get_by_role(
        "button", name="✅ Resolved"
    ).click()
    sees(resident, "marked your request 2026-000001 as resolved. Is it fixed?")
    press(resident, "👍 Yes, it is fixed")
    press(resident, "⭐⭐⭐⭐⭐")
    sees(resident, "Thank you for your rating.")
    sees(staff, "Request 2026-000001 is closed: the resident confirmed it is fixed.")
    shot(page, "03-resident-rated")

    tourist, verifier, desk = pane(page, "tourist"), pane(page, "verifier"), pane(page, "frontdesk")
    press(tourist, "🏨 Accommodation certificate")
    press(tourist, "✅ I agree")
    say(tourist, "Dai Lingling")
    press(tourist, "PRC resident ID card")
    say(tourist, "11010519491231002X")
    sees(tourist, "Your date of birth")
    say(tourist, "1949-12-31")
    press(tourist, "📱 Share my phone number")
    press(tourist, "Xizha Waterside Inn")
    press(tourist, "📅 Today")
    sees(tourist, "How many nights")
    say(tourist, "2")
    sees(tourist, "Last step: a selfie")
    tourist.locator("input.file").set_input_files(
        {"name": "selfie.jpg", "mimeType": "image/jpeg", "buffer": selfie()}
    )
    sees(tourist, "Phone: +86 138 0013 8000")
    press(tourist, "📨 Submit")
    sees(tourist, "Thank you. Your application")

    application = verifier.locator(".row", has_text="Application A1")
    expect(application).to_be_visible(timeout=WAIT_MS)
    application.get_by_role("button", name="✅ Approve").click()
    sees(tourist, "Your accommodation certificate C2026-000001")
    qr = tourist.locator(".photo a.qr")
    expect(qr).to_be_visible(timeout=WAIT_MS)
    shot(page, "04-certificate-card")

    with page.context.expect_page() as opened:
        qr.click()
    verification = opened.value
    verification.wait_for_load_state()
    expect(verification.locator("body")).to_contain_text("Valid", timeout=WAIT_MS)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    verification.screenshot(path=str(ARTIFACTS / "05-verification-page.png"))
    verification.close()

    card_src = tourist.locator(".photo img").last.get_attribute("src")
    assert card_src is not None
    image = page.request.get(page.url.split("/sandbox")[0] + card_src).body()
    desk.locator("input.file").set_input_files(
        {"name": "card.png", "mimeType": "image/png", "buffer": image}
    )
    sees(desk, "✅ Valid\nThis certificate is genuine and valid today.")
    press(desk, "✅ Check in")
    sees(desk, "is checked in at Xizha Waterside Inn")
    desk.locator(".composer .scan").click()  # the card as the desk's camera sees it on the page
    desk.get_by_role("button", name="Card 1").click()
    sees(desk, "Checked in at Xizha Waterside Inn on")
    page.locator("#explain").check()
    expect(page.locator("#calls-list")).to_contain_text("sendPhoto")
    shot(page, "06-front-desk-valid-and-calls")
    page.locator("#explain").uncheck()

    # both Mini Apps in their panes, opened with launch parameters the sandbox signs
    tourist.get_by_role("button", name="📱 Open the “My certificate” Mini App").click()
    phone = tourist.frame_locator(".miniapp iframe")
    expect(phone.locator("body[data-state=certificate]")).to_be_attached(timeout=WAIT_MS)
    expect(phone.locator("dl")).to_contain_text("C2026-000001")
    expect(phone.locator("#qr")).to_be_visible()
    desk.get_by_role("button", name="🖥 Open the front desk console (Mini App)").click()
    console = desk.frame_locator(".miniapp iframe")
    expect(console.locator("h1")).to_have_text("Front desk · Xizha Waterside Inn", timeout=WAIT_MS)
    expect(console.locator("#arrival-list")).to_contain_text("C2026-000001")
    console.locator("#scan").click()  # Telegram's scanner: here, the tourist's phone in view
    expect(console.locator("#status")).to_have_attribute("data-status", "valid", timeout=WAIT_MS)
    expect(console.locator("#details")).to_contain_text("Dai Lingling")
    expect(console.locator("#details")).to_contain_text("last four: 002X")
    expect(console.locator("#selfie[data-loaded=yes]")).to_be_attached(timeout=WAIT_MS)
    expect(console.locator("#result")).to_contain_text("Live code shown")
    shot(page, "07-mini-apps-in-their-panes")
    console.locator("#result button[data-action=checkout]").click()
    expect(console.locator("#said")).to_contain_text("Checked out on")
    desk.get_by_role("button", name="✕ Close the Mini App").click()
    expect(desk.locator(".miniapp")).to_be_hidden()


def test_the_page_and_a_person_switch_to_chinese(page: Page) -> None:
    page.locator("#page-language").get_by_role("button", name="中文").click()
    expect(page.locator("header.top h1")).to_have_text("Linkage 沙盒")
    resident = pane(page, "resident")
    expect(resident.locator(".role")).to_have_text("居民", timeout=WAIT_MS)
    expect(pane(page, "staff").locator(".role")).to_have_text("工作人员", timeout=WAIT_MS)
    sees(resident, "Lao Shen，您好！")  # greeted again in Chinese, with the menu in Chinese
    press(resident, "📝 反映问题")
    sees(resident, "请用自己的话描述问题")
    shot(page, "07-chinese")
    assert re.search(r"[\u4e00-\u9fff]", page.locator("#panes").inner_text())

    say(resident, "/cancel")  # and back to English the way a Telegram user does it: /language
    sees(resident, "已取消")
    press(resident, "🌐 语言")
    press(resident, "English")
    sees(resident, "I will speak English with you from now on.")
    expect(resident.locator(".role")).to_have_text("Resident", timeout=WAIT_MS)
    page.locator("#page-language").get_by_role("button", name="English").click()


def test_the_page_links_the_public_board_and_open311(page: Page) -> None:
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Public board", exact=True).click()
    board = opened.value
    expect(board.locator("h1")).to_have_text("Qixing Street Office · Public board")
    board.close()
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Open311 services", exact=True).click()
    services = opened.value
    expect(services.locator("body")).to_contain_text('"service_code": "drainage"')
    services.close()


def test_the_page_signs_its_officer_in_to_the_dashboard(page: Page) -> None:
    """The sandbox signs the officer's login data with its bot token, as Telegram would."""
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Dashboard (signed in as Officer Zhou)").click()
    dashboard = opened.value
    expect(dashboard.locator("h1")).to_have_text(
        "Dashboard · Qixing Street Office", timeout=WAIT_MS
    )
    expect(dashboard.locator("header.top")).to_contain_text("Signed in as Officer Zhou")
    expect(dashboard.locator("svg.chart").first).to_be_visible()
    dashboard.close()


def test_the_dashboard_leads_to_the_map_and_a_requests_page(page: Page) -> None:
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Dashboard (signed in as Officer Zhou)").click()
    dashboard = opened.value
    dashboard.get_by_role("link", name="Map", exact=True).click()
    expect(dashboard.locator("h1")).to_have_text("Map", timeout=WAIT_MS)
    expect(dashboard.locator("svg.street-map path.grid")).to_have_count(6)
    expect(dashboard.locator("#map-list caption").first).to_have_text("Grids")
    dashboard.close()


def test_the_dashboard_shows_the_programmes(page: Page) -> None:
    """Rental houses by colour, mediation beside the seed, the legal service point and the
    decisions: the officer (an admin here) sees every programme."""
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Dashboard (signed in as Officer Zhou)").click()
    dashboard = opened.value
    dashboard.get_by_role("link", name="Programmes", exact=True).click()
    expect(dashboard.locator("h1")).to_have_text("Programmes", timeout=WAIT_MS)
    for heading in ("Rental houses by risk colour", "Rental houses per grid", "Mediation"):
        expect(dashboard.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(dashboard.get_by_role("heading", name="Legal service point")).to_be_visible()
    expect(dashboard.get_by_role("heading", name="Decisions")).to_be_visible()
    expect(dashboard.locator("#mediation ~ p.muted")).to_contain_text("the Zhuji platform: 85.48%.")
    dashboard.close()


def test_start_again_forgets_everything(page: Page) -> None:
    resident = pane(page, "resident")
    say(resident, "The street light is out")
    sees(resident, "Street lighting")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#reset").click()
    expect(resident.locator(".messages")).not_to_contain_text("street light", timeout=WAIT_MS)
    sees(resident, "Hello, Lao Shen!")
    expect(pane(page, "tourist").locator(".photo")).to_have_count(0)


def test_the_sandboxs_bot_api_keeps_telegrams_limits(sandbox: Running) -> None:
    """The bot's Telegram in the sandbox refuses what Telegram refuses."""
    too_long = {"chat_id": RESIDENT_ID, "text": "x" * 4097}
    assert call(sandbox, "sendMessage", too_long) == (400, "Bad Request: message is too long")
    keyboard = {"inline_keyboard": [[{"text": "Take", "callback_data": "x" * 65}]]}
    oversized = {"chat_id": RESIDENT_ID, "text": "hi", "reply_markup": keyboard}
    assert call(sandbox, "sendMessage", oversized) == (400, "Bad Request: BUTTON_DATA_INVALID")
    silent = {"chat_id": RESIDENT_ID, "text": "hi", "disable_notification": "maybe"}
    assert call(sandbox, "sendMessage", silent) == (
        400,
        'Bad Request: can\'t parse "disable_notification": expected Boolean',
    )
    misspelt = call(sandbox, "sendMesage", {"chat_id": RESIDENT_ID})
    assert misspelt == (404, "Not Found: method not found")


def call(sandbox: Running, method: str, params: dict[str, object]) -> tuple[int, str]:
    request = urllib.request.Request(
        f"{sandbox.api_url}/bot{sandbox.token}/{method}",
        data=json.dumps(params).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, "ok"
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())["description"]


def test_every_word_on_the_page_is_in_the_catalogs() -> None:
    static = ROOT / "bot" / "sandbox" / "static"
    script = (static / "app.js").read_text()
    used = set(re.findall(r'\bt\("([a-z_]+)"', script))
    used |= set(re.findall(r'data-t="([a-z_]+)"', (static / "index.html").read_text()))
    panes = ("resident", "tourist", "staff", "verifier", "frontdesk")
    used |= {f"{kind}_{pane}" for kind in ("role", "hint") for pane in panes}
    used |= set(re.findall(r'forum_topic_\w+: "([a-z_]+)"', script))
    assert used <= set(PAGE_STRINGS), sorted(used - set(PAGE_STRINGS))
    assert len(used) > 40
