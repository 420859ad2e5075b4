"""What a front desk is told, in the bot and in the console alike, and the verifiers' flag.

A code of another hotel's certificate, or a stale live code (a screenshot), shown at a desk is
flagged to the desk and written to the verifier chat through the outbox, naming the certificate,
the hotel and the desk: the verifiers decide whether to revoke.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from handlers.roles import china_time, hotel_name
from services.checkins import DeskAnswer, Suspicion
from services.models import CheckIn
from services.outbox import Outbox, Outgoing, Priority
from services.routing import Routing

log = logging.getLogger(__name__)

Translate = Callable[[str], str]


def N_(message: str) -> str:
    """Marks a message for extraction; translated where it is shown."""
    return message


OTHER_HOTEL = N_(
    "⚠️ This certificate is for {hotel}, not your hotel ({yours}). Do not check the guest in here."
)
STALE = N_(
    "⚠️ This live code is {seconds} s old: it is a screenshot or an old copy. Ask the guest to "
    "open the live code in Telegram, and do not check them in on this one."
)
FLAGGED = N_("The verifiers have been told.")
HOLDER_SEEN = N_("Compare the face with the photo the reviewers approved.")
NO_SELFIE = N_("The photo the reviewers approved has been deleted (personal data purged).")
CHECKED_IN = N_("Checked in at {hotel} on {time} (China time).")
CHECKED_OUT = N_("Checked out on {time} (China time).")
VERIFIER_FLAG = {
    Suspicion.OTHER_HOTEL: N_(
        "🚩 Certificate {serial} (for {hotel}) was shown at the front desk of {desk_hotel} "
        "(desk user {desk}).{standing}"
    ),
    Suspicion.STALE: N_(
        "🚩 A stale live code of certificate {serial} ({seconds} s old) was shown at the front "
        "desk of {desk_hotel} (desk user {desk}): a screenshot or a copy."
    ),
}
STANDING = N_(" It is checked in at {hotel} since {time} (China time).")


def warning(
    answer: DeskAnswer, desk_hotel: str, routing: Routing, locale: str, _: Translate
) -> str:
    """The desk's warning for a suspicious code; "" when there is none."""
    claims = answer.result.claims
    if answer.suspicion is None or claims is None:
        return ""
    if answer.suspicion is Suspicion.OTHER_HOTEL:
        text = _(OTHER_HOTEL).format(
            hotel=hotel_name(routing, claims.hotel, locale),
            yours=hotel_name(routing, desk_hotel, locale),
        )
    else:
        age = answer.result.age.total_seconds() if answer.result.age is not None else 0
        text = _(STALE).format(seconds=int(age))
    return f"{text} {_(FLAGGED)}"


def actions(check_in: CheckIn | None, hotel: str, *, may_check_in: bool) -> list[str]:
    """What a desk may do next: check in (a valid code of its hotel), or check out and undo
    its own standing check-in."""
    if check_in is None:
        return ["checkin"] if may_check_in else []
    if check_in.hotel_code != hotel:
        return []
    return ["undo"] if check_in.checked_out_at is not None else ["checkout", "undo"]


def standing_of(check_in: CheckIn, routing: Routing, locale: str, _: Translate) -> str:
    """Where and when a certificate is checked in, and out."""
    text = _(CHECKED_IN).format(
        hotel=hotel_name(routing, check_in.hotel_code, locale), time=china_time(check_in.at)
    )
    if check_in.checked_out_at is not None:
        text += " " + _(CHECKED_OUT).format(time=china_time(check_in.checked_out_at))
    return text


async def flag_for_verifiers(
    answer: DeskAnswer,
    *,
    desk_hotel: str,
    desk_user: int,
    outbox: Outbox,
    verifier_chat_id: int | None,
    routing: Routing,
    locale: str,
    _: Translate,
) -> None:
    """Tell the verifier chat of a suspicious code (and log it); nothing for a plain one."""
    claims = answer.result.claims
    if answer.suspicion is None or claims is None:
        return
    log.warning(
        "certificate %s: %s at the desk of %s (user %s)",
        claims.serial,
        answer.suspicion.value,
        desk_hotel,
        desk_user,
    )
    if verifier_chat_id is None:
        return
    standing = ""
    if answer.check_in is not None:
        standing = _(STANDING).format(
            hotel=hotel_name(routing, answer.check_in.hotel_code, locale),
            time=china_time(answer.check_in.at),
        )
    age = answer.result.age.total_seconds() if answer.result.age is not None else 0
    text = _(VERIFIER_FLAG[answer.suspicion]).format(
        serial=claims.serial,
        hotel=hotel_name(routing, claims.hotel, locale),
        desk_hotel=hotel_name(routing, desk_hotel, locale),
        desk=desk_user,
        standing=standing,
        seconds=int(age),
    )
    await outbox.send(
        Outgoing.text(
            verifier_chat_id,
            text,
            priority=Priority.NORMAL,
            reference=f"certificate:{claims.serial}",
        )
    )
