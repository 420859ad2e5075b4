"""The page's own words, in the gettext catalogs like every other string; served to the page."""

from __future__ import annotations

from aiogram.utils.i18n import I18n

from handlers.menu import N_

PAGE_STRINGS = (
    N_("Linkage sandbox"),
    N_(
        "Every role at once: a resident, a tourist, the staff, a verifier and a hotel front desk, "
        "all talking to the real bot. Nothing leaves this computer."
    ),
    N_("Start again"),
    N_("Start again with empty chats? Everything done in the sandbox is forgotten."),
    N_("Starting again…"),
    N_("Show Bot API calls"),
    N_("Bot API calls"),
    N_(
        "Each line is one request the bot sent to Telegram (here: the local Bot API server): "
        "the method, the chat, and a short payload. Long polls (getUpdates) are left out."
    ),
    N_("No calls yet."),
    N_("Live"),
    N_("Reconnecting…"),
    N_("Resident"),
    N_(
        "Lao Shen reports a problem in the neighbourhood. "
        "Try: “The drain at the east gate is blocked”."
    ),
    N_("Tourist"),
    N_(
        "Dai Lingling forgot her ID card. "
        "Press “Accommodation certificate” to apply for a certificate."
    ),
    N_("Staff"),
    N_(
        "Grid workers get a card for each report. Reply to a card to answer the resident, and use "
        "its buttons to take and resolve it."
    ),
    N_("Verifier"),
    N_("Officer Zhou approves or rejects the tourists' applications."),
    N_("Front desk"),
    N_(
        "The front desk of the Xizha Waterside Inn checks a guest's certificate: upload a picture "
        "of the card, or press “Scan a card”."
    ),
    N_("Acting as {name}"),
    N_("Chat"),
    N_("General"),
    N_("{count} new"),
    N_("Write a message…"),
    N_("Send"),
    N_("Send a photo"),
    N_("Reply"),
    N_("Replying to {name}"),
    N_("Cancel"),
    N_("Which place?"),
    N_("Somewhere else (in no grid)"),
    N_("Latitude"),
    N_("Longitude"),
    N_("Share this point"),
    N_("Location"),
    N_("Contact"),
    N_("Topic created: {name}"),
    N_("Topic renamed: {name}"),
    N_("Topic closed"),
    N_("Topic reopened"),
    N_("Scan a card"),
    N_("Which card? Pictures of certificate cards sent in the sandbox:"),
    N_("No certificate card yet: let the tourist apply and the verifier approve first."),
    N_("Card {number}"),
    N_("Open the verification page"),
    N_("Click the QR code to open the verification page, as a phone camera would."),
    N_("Language of this person"),
    N_("The sandbox is not answering. Is it still running?"),
    N_("That button is no longer there."),
    N_("The sandbox forgets everything when it stops or starts again."),
)


def page_strings(i18n: I18n, locale: str) -> dict[str, str]:
    """Every page string (msgid → translation) in one locale."""
    return {msgid: i18n.gettext(msgid, locale=locale) for msgid in PAGE_STRINGS}
