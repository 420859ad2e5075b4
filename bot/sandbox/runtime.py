"""The sandbox in one process: a local Bot API server, the real bot on it, the sample world."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource
from sqlmodel import col, select

from bot.i18n import build_i18n
from bot.localapi import BotAPIStandin
from bot.localapi.state import Signal
from bot.runner import serve
from bot.sandbox.guard import bot_token_only
from bot.sandbox.world import (
    FRONTDESK_HOTEL,
    OFFICER_ID,
    VERIFIER_CHAT_ID,
    World,
    build_world,
)
from bot.settings import Settings, SettingsError
from handlers.menu import LANGUAGE
from handlers.miniapp_auth import signed_init_data
from services.certificates import china_today
from services.dashboard_access import sign_login_widget
from services.keyring import KeyRing
from services.live_codes import LiveCodes
from services.models import Application, Certificate
from services.people import PeopleService
from services.roles import Role, RoleService
from services.routing import Routing, load_routing
from services.storage import Database

log = logging.getLogger(__name__)

SANDBOX_BOT_ID = 123456789
TOKEN_FILE = "bot-token"  # in the sandbox's folder: its Bot API's token, for calls by hand
MARKER = ".linkage-sandbox"
GREETED = ("resident", "tourist", "frontdesk")  # private panes open with /start, as people do


class SandboxSettings(Settings):
    """The bot's settings from the values the sandbox gives and the defaults, nothing else.

    Not the environment and not .env: on a machine that runs the real bot those name its
    database, Redis, key and webhook, and the sandbox wipes and rewrites what it uses.
    """

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


@dataclass(frozen=True)
class SandboxConfig:
    """Where the sandbox listens and keeps its data (wiped at every start and reset)."""

    host: str = "127.0.0.1"
    port: int = 8080  # the page
    api_port: int = 8081  # the local Bot API server
    web_port: int = 8082  # the bot's own web server: verification page, /healthz
    data_dir: Path = Path("./data/sandbox")
    default_locale: str = "en"

    @property
    def page_url(self) -> str:
        return f"http://{self.host}:{self.port}/sandbox"


@dataclass
class Sandbox:
    """Starts, stops and resets the bot and its Telegram; the page reads `standin` and `world`."""

    config: SandboxConfig
    changed: Signal = field(default_factory=Signal)
    version: int = 0  # counts changes, so a page that was busy drawing knows it missed one
    generation: int = 0  # counts starts: a reset begins a new one
    ready: bool = False  # False while starting: the page waits
    locales: dict[str, str] = field(default_factory=dict)  # pane → the person's language
    standin: BotAPIStandin = field(init=False)
    world: World = field(init=False)
    routing: Routing = field(init=False)
    people: PeopleService = field(init=False)
    settings: Settings = field(init=False)
    _db: Database | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _menu_texts: set[str] = field(default_factory=set)
    # new at every start: the sandbox's Bot API answers nothing else (see guard.py)
    token: str = field(default_factory=lambda: f"{SANDBOX_BOT_ID}:{secrets.token_urlsafe(24)}")

    def _settings(self) -> Settings:
        """The bot's settings: this sandbox's Telegram, data and ports, the sample routing."""
        config = self.config
        values = {
            "bot_token": self.token,
            "telegram_api_url": self.standin.base_url,
            "data_dir": config.data_dir,
            "web_host": config.host,
            "web_port": config.web_port,
            "polling_timeout": 5,
            "staff_chat_id": self.routing.street_office_chat_id,
            "verifier_chat_id": VERIFIER_CHAT_ID,
            "admin_ids": str(OFFICER_ID),
            "default_locale": config.default_locale,
            "miniapp_frame_ancestors": f"http://{config.host}:{config.port}",  # the panes
        }
        return SandboxSettings(**values)  # type: ignore[arg-type]

    async def start(self) -> None:
        """A fresh world: empty data, the sample chats, the bot taking updates."""
        self.ready = False
        wipe(self.config.data_dir)
        token_file = self.config.data_dir / TOKEN_FILE
        token_file.touch(mode=0o600)
        token_file.write_text(f"{self.token}\n")
        self.standin = BotAPIStandin()
        self.standin.app.middlewares.append(bot_token_only(self.token))
        try:
            await self._start_world()
        except BaseException:
            await self.stop()
            raise

    async def _start_world(self) -> None:
        await self.standin.start(self.config.host, self.config.api_port)
        self.standin.on_change(self._on_change)
        self.routing = load_routing(None, None)
        self.world = build_world(self.standin, self.routing)
        self.settings = settings = self._settings()
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(serve(settings, self._stop))
        await self._until_polling()
        self._db = Database(settings.effective_database_url)
        self.people = PeopleService(self._db, self.config.default_locale)
        await RoleService(self._db).grant(
            self.world.panes["frontdesk"].user_id, Role.FRONTDESK, hotel_code=FRONTDESK_HOTEL
        )
        self.locales = {key: self.config.default_locale for key in self.world.panes}
        self._menu_texts = LANGUAGE.texts_in_every_locale(build_i18n(self.config.default_locale))
        for key in GREETED:
            self.standin.send_command(self.world.panes[key].user_id, "/start")
        self.generation += 1
        self.ready = True
        self._on_change()

    def _on_change(self) -> None:
        self.version += 1
        self.changed.notify()

    async def _until_polling(self) -> None:
        """Wait until the bot asks for updates (it migrated its database and registered)."""
        assert self._task is not None
        while not self.standin.calls("getUpdates"):
            if self._task.done():
                self._task.result()  # raises what stopped it
                raise RuntimeError("the bot stopped while starting")
            await self.standin.state.calls_signal.wait(0.5)

    async def stop(self) -> None:
        """Stop the bot, then its Telegram."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 30)
            self._task = None
        if self._db is not None:
            await self._db.close()
            self._db = None
        await self.standin.stop()

    async def reset(self) -> None:
        """Forget everything: stop, wipe the data, start again."""
        async with self._lock:
            await self.stop()
            await self.start()

    async def choose_locale(self, pane: str, locale: str) -> None:
        """The person behind a pane speaks `locale` from now on (as if they used /language)."""
        async with self._lock:  # one writer at a time: SQLite
            for user_id in self._pane_people(pane):
                await self.people.choose_locale(user_id, locale)
                person = self.standin.state.users.get(user_id)
                if person is not None:
                    person.language_code = locale
            changed, self.locales[pane] = self.locales.get(pane) != locale, locale
        chat_id = self.world.panes[pane].chats[0]
        if changed and chat_id > 0 and self._at_main_menu(chat_id):
            self.standin.send_command(chat_id, "/start")  # the greeting and menu, in the new words
        self._on_change()

    def _at_main_menu(self, chat_id: int) -> bool:
        """Whether the person is between tasks: the main menu is under their input field."""
        rows = self.standin.reply_keyboard_buttons(chat_id) or []
        return any(button["text"] in self._menu_texts for row in rows for button in row)

    @property
    def web_url(self) -> str:
        """The bot's own web server: the verification page and the Mini Apps."""
        return f"http://{self.config.host}:{self.config.web_port}"

    def miniapp_url(self, pane: str) -> str:
        """A Mini App as Telegram opens it for the pane's person: init data in the fragment,
        signed with this sandbox's bot token, in the pane's language."""
        app = "desk" if pane == "frontdesk" else "certificate"
        user = self.world.panes[pane].user_id
        person = self.standin.state.users.get(user)
        init_data = signed_init_data(
            self.token,
            {
                "id": user,
                "first_name": person.first_name if person is not None else pane,
                "language_code": self.locales.get(pane, self.config.default_locale),
            },
            datetime.now(UTC),
        )
        fragment = urlencode({"tgWebAppData": init_data, "tgWebAppVersion": "7.0"})
        return f"{self.web_url}/app/{app}#{fragment}"

    def dashboard_login_url(self) -> str:
        """The dashboard's sign-in for the officer (an admin here), as Telegram's Login Widget
        sends a person back: the fields signed with this sandbox's bot token."""
        person = self.standin.state.users.get(OFFICER_ID)
        fields = sign_login_widget(
            {
                "id": str(OFFICER_ID),
                "first_name": person.first_name if person is not None else "Officer Zhou",
                "auth_date": str(int(datetime.now(UTC).timestamp())),
            },
            self.token,
        )
        return f"{self.web_url}/auth/telegram?{urlencode(fields)}"

    async def live_code(self) -> str | None:
        """What the tourist's Mini App shows now: the link in its live QR (for the desk's
        camera in the sandbox); None without a current certificate."""
        assert self._db is not None
        today = china_today()
        async with self._db.session() as session:
            serial = (
                await session.exec(
                    select(Certificate.serial)
                    .join(Application, col(Application.id) == col(Certificate.application_id))
                    .where(Application.tourist_id == self.world.panes["tourist"].user_id)
                    .where(col(Certificate.revoked_at).is_(None))
                    .where(col(Certificate.valid_until) >= today)
                    .order_by(col(Certificate.id).desc())
                )
            ).first()
        if serial is None:
            return None
        keys = KeyRing.open(self.config.data_dir)
        shown = LiveCodes(keys, window_seconds=self.settings.live_code_seconds).show(serial)
        return f"{self.settings.effective_public_base_url}/v/{shown.token}"

    def _pane_people(self, pane: str) -> list[int]:
        if pane == "staff":
            return list(self.world.actors.values())
        return [self.world.panes[pane].user_id]

    def actor(self, pane: str, chat_id: int) -> int:
        """Who acts in `chat_id` for `pane`; KeyError when the pane does not see that chat."""
        if chat_id not in self.world.panes[pane].chats:
            raise KeyError(f"{pane} does not see chat {chat_id}")
        if pane == "staff":
            return self.world.actors[chat_id]
        return self.world.panes[pane].user_id


def wipe(data_dir: Path) -> None:
    """Make the sandbox's folder, or empty one it made before; refuse any other (a real bot's).

    The marker file says the sandbox made the folder; an existing folder without it, even an
    empty one (a real bot's DATA_DIR before its first start), is never used or wiped.
    """
    marker = data_dir / MARKER
    if data_dir.is_symlink() or (data_dir.exists() and not marker.is_file()):
        raise SettingsError(
            f"the sandbox did not make {data_dir} (it has no {MARKER} file) and would wipe it "
            "at every start: choose a folder that does not exist yet with --data-dir"
        )
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text("made by `python -m bot sandbox`, which wipes it at every start\n")


async def run_sandbox(config: SandboxConfig, stop: asyncio.Event) -> None:
    """Serve the sandbox and its page until `stop` is set."""
    from aiohttp import web

    from bot.sandbox.web import sandbox_app

    sandbox = Sandbox(config)
    await sandbox.start()
    runner = web.AppRunner(sandbox_app(sandbox), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, config.host, config.port).start()
        log.info("sandbox ready: open %s", config.page_url)
        print(f"Linkage sandbox: open {config.page_url} in a browser (Ctrl-C stops it)", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()
        await sandbox.stop()
