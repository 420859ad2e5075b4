"""Verifiers and administrators revoke a certificate with /revoke; the tourist is told why."""

from __future__ import annotations

import logging
import re

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.roles import china_time
from services.authorization import Actor, Authorization
from services.certificates import CertificateNotFound, CertificateService
from services.checkins import CheckInService
from services.outbox import Outbox, Outgoing, Priority

log = logging.getLogger(__name__)
SERIAL = re.compile(r"^C\d{4}-\d{6}$", re.IGNORECASE)


async def revoke(
    message: Message,
    command: CommandObject,
    certificates: CertificateService,
    checkins: CheckInService,
    authorization: Authorization,
    outbox: Outbox,
    i18n: I18n,
) -> None:
    user = message.from_user
    if user is None:
        return
    if not authorization.is_admin(user.id) and not await authorization.is_verifier(user.id):
        authorization.refused(Actor(user.id, user.full_name), "/revoke", "certificates", "no role")
        await message.answer(_("Only verifiers and administrators can revoke certificates."))
        return
    parts = (command.args or "").split(maxsplit=1)
    if not parts or not SERIAL.match(parts[0]):
        await message.answer(
            _(
                "Send /revoke with the serial and the reason, for example: "
                "/revoke C2026-000001 the details do not match the guest"
            )
        )
        return
    serial = parts[0].upper()
    reason = parts[1].strip() if len(parts) > 1 else ""
    if not reason:
        await message.answer(
            _("Please give the reason too: /revoke {serial} and why.").format(serial=serial)
        )
        return
    try:
        revocation = await certificates.revoke(serial, reason)
    except CertificateNotFound:
        await message.answer(_("There is no certificate {serial}.").format(serial=serial))
        return
    certificate = revocation.certificate
    if not revocation.newly:
        assert certificate.revoked_at is not None
        await message.answer(
            _("Certificate {serial} was already revoked on {time} (China time).").format(
                serial=serial, time=china_time(certificate.revoked_at)
            )
        )
        return
    log.info("user %s revoked certificate %s", user.id, serial)
    await message.answer(_("Certificate {serial} is revoked.").format(serial=serial))
    tourist = await checkins.tourist_of(certificate)
    if tourist is not None:
        chat_id, locale = tourist
        notice = i18n.gettext(
            "Your accommodation certificate {serial} has been revoked: {reason}\n\n"
            "If you think this is a mistake, apply again or ask the local police station.",
            locale=locale,
        ).format(serial=serial, reason=reason)
        await outbox.send(
            Outgoing.text(
                chat_id, notice, priority=Priority.URGENT, reference=f"certificate:{serial}"
            )
        )


def router() -> Router:
    """A new Router for every Dispatcher."""
    router = Router(name="revocation")
    router.message.register(revoke, Command("revoke"))
    return router
