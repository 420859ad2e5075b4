"""A hotel's front desk and a tourist's certificate with its reviewed application, for tests of
the console (tests/test_desk_console.py) and of the bot's desk."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import aiohttp
from PIL import Image

from bot.localapi import BotAPIStandin
from handlers.miniapp_auth import signed_init_data
from services.certificates import CertificateService, Issued, china_today
from services.identity import DocumentType
from services.keyring import KeyRing
from services.models import Application
from services.privacy import FieldCipher
from services.roles import Role, RoleService
from services.storage import Database
from tests.support.running import TOKEN, RunningBot

FULL_NAME = "戴美玲"
DOCUMENT = "11010519491231002X"


def selfie_jpeg() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (320, 400), (214, 170, 140)).save(output, format="JPEG")
    return output.getvalue()


@dataclass
class Office:
    """The bot's database and keys, as a second process sharing them would open them."""

    bot: RunningBot
    standin: BotAPIStandin
    db: Database
    certificates: CertificateService
    roles: RoleService
    cipher: FieldCipher

    @classmethod
    def open(cls, bot: RunningBot, standin: BotAPIStandin) -> Office:
        settings = bot.settings
        db = Database(settings.effective_database_url)
        keys = KeyRing.open(settings.data_dir)
        certificates = CertificateService(db, keys, settings.effective_public_base_url)
        cipher = FieldCipher.from_setting(None, settings.data_dir)
        return cls(bot, standin, db, certificates, RoleService(db), cipher)

    async def desk(self, user_id: int, hotel: str) -> None:
        await self.roles.grant(user_id, Role.FRONTDESK, hotel_code=hotel)

    async def certificate(
        self, tourist_id: int = 4001, *, hotel: str = "wuzhen-xizha", check_in: date | None = None
    ) -> tuple[Issued, bytes]:
        """An approved application with its selfie in Telegram, and the certificate issued."""
        photo = selfie_jpeg()
        sizes = self.standin.state.files.add_photo(photo)
        seal = self.cipher.encrypt
        arrival = check_in or china_today()
        async with self.db.session() as session:
            application = Application(
                tourist_id=tourist_id,
                full_name_encrypted=seal(FULL_NAME),
                document_type=DocumentType.PRC_ID.value,
                document_number_encrypted=seal(DOCUMENT),
                phone_encrypted=seal("+8613800000000"),
                hotel_code=hotel,
                check_in=arrival,
                nights=2,
                selfie_file_id_encrypted=seal(sizes[-1]["file_id"]),
                status="approved",
            )
            session.add(application)
            await session.commit()
            application_id = application.id
        issued = await self.certificates.issue(
            holder_name=FULL_NAME,
            document_type=DocumentType.PRC_ID,
            document_number=DOCUMENT,
            hotel_code=hotel,
            check_in=arrival,
            nights=2,
            application_id=application_id,
        )
        return issued, photo

    async def purge(self, serial: str) -> None:
        """What the personal-data purge leaves of the application."""
        certificate = await self.certificates.get(serial)
        assert certificate is not None and certificate.application_id is not None
        async with self.db.session() as session:
            application = await session.get(Application, certificate.application_id)
            assert application is not None
            application.full_name_encrypted = ""
            application.document_number_encrypted = ""
            application.selfie_file_id_encrypted = ""
            application.purged_at = datetime.now(UTC)
            session.add(application)
            await session.commit()


def person(user_id: int, language: str = "en") -> dict[str, Any]:
    return {"id": user_id, "first_name": f"Person {user_id}", "language_code": language}


def tma(user: dict[str, Any], when: datetime | None = None, token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": "tma " + signed_init_data(token, user, when or datetime.now(UTC))}


async def ask(
    http: aiohttp.ClientSession,
    bot: RunningBot,
    path: str,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
) -> tuple[int, Any, aiohttp.typedefs.LooseHeaders]:
    """POST to the desk's API; (status, JSON or bytes, headers)."""
    async with http.post(f"{bot.web_url}{path}", json=body or {}, headers=headers) as response:
        if response.content_type == "application/json":
            return response.status, await response.json(), response.headers
        return response.status, await response.read(), response.headers
