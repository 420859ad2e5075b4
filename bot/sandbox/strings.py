"""The page's own words, in the gettext catalogs like every other string; served to the page.

The page asks for them by key (`title`, `hint_staff`...), so a changed English text needs no
change in app.js.
"""

from __future__ import annotations

from aiogram.utils.i18n import I18n

from handlers.menu import N_

PAGE_STRINGS = {
    "title": N_("Linkage sandbox"),
    "lead": N_(
        "Every role at once: a resident, a tourist, the staff, a verifier and a hotel front "
        "desk, all talking to the real bot. Nothing leaves this computer."
    ),
    "reset": N_("Start again"),
    "reset_confirm": N_(
        "Start again with empty chats? Everything done in the sandbox is forgotten."
    ),
    "resetting": N_("Starting again…"),
    "explain": N_("Show Bot API calls"),
    "calls": N_("Bot API calls"),
    "calls_hint": N_(
        "Each line is one request the bot sent to Telegram (here: the local Bot API server): "
        "the method, the chat, and a short payload. Long polls (getUpdates) are left out."
    ),
    "no_calls": N_("No calls yet."),
    "live": N_("Live"),
    "reconnecting": N_("Reconnecting…"),
    "role_resident": N_("Resident"),
    "hint_resident": N_(
        "Lao Shen reports a problem in the neighbourhood. Try: “The drain at the east gate is "
        "blocked”. He also lets a flat: “Rental housing” registers it and gives its join code. "
        "Or send /volunteer to offer help to the neighbours."
    ),
    "role_tourist": N_("Tourist"),
    "hint_tourist": N_(
        "Dai Lingling forgot her ID card. Press “Accommodation certificate” to apply; the "
        "sample ID number 11010519491231002X (born 1949-12-31) passes the checks. Renting Lao "
        "Shen's flat, she registers as its tenant: “Rental housing”, then his join code."
    ),
    "role_staff": N_("Staff"),
    "hint_staff": N_(
        "Each report's card goes to the chat of its grid (Grid 3 is a forum: a topic per "
        "report). Reply to the card, or write in its topic, to answer the resident; its buttons "
        "take and resolve it. /consult asks the grid's residents a question (the resident "
        "pane votes); /agenda lists what is still open. /inspect with a rental house's code "
        "inspects it; /houses counts the grid's houses by colour. /task asks the volunteers "
        "for help; /contacts lists the grid's contacts."
    ),
    "role_verifier": N_("Verifier"),
    "hint_verifier": N_("Officer Zhou approves or rejects the tourists' applications."),
    "role_frontdesk": N_("Front desk"),
    "hint_frontdesk": N_(
        "The front desk of the Xizha Waterside Inn checks a guest's certificate: upload a "
        "picture of the card, or press “Scan a card”."
    ),
    "acting_as": N_("Acting as {name}"),
    "chat": N_("Chat"),
    "general": N_("General"),
    "new_count": N_("{count} new"),
    "placeholder": N_("Write a message…"),
    "send": N_("Send"),
    "send_photo": N_("Send a photo"),
    "choose_file": N_("Choose a picture on this computer…"),
    "sample_selfie": N_("Send a sample selfie (a drawing)"),
    "sample_photo": N_("Send a sample photo (a drawing of a drain)"),
    "reply": N_("Reply"),
    "replying_to": N_("Replying to {name}"),
    "cancel": N_("Cancel"),
    "which_place": N_("Which place?"),
    "elsewhere": N_("Somewhere else (in no grid)"),
    "latitude": N_("Latitude"),
    "longitude": N_("Longitude"),
    "share_point": N_("Share this point"),
    "location": N_("Location"),
    "contact": N_("Contact"),
    "topic_created": N_("Topic created: {name}"),
    "topic_renamed": N_("Topic renamed: {name}"),
    "topic_closed": N_("Topic closed"),
    "topic_reopened": N_("Topic reopened"),
    "scan": N_("Scan a card"),
    "which_card": N_("Which card? Pictures of certificate cards sent in the sandbox:"),
    "no_card": N_("No certificate card yet: let the tourist apply and the verifier approve first."),
    "card_number": N_("Card {number}"),
    "open_verification": N_("Open the verification page"),
    "qr_hint": N_("Click the QR code to open the verification page, as a phone camera would."),
    "open_my_certificate": N_("📱 Open the “My certificate” Mini App"),
    "open_console": N_("🖥 Open the front desk console (Mini App)"),
    "close_miniapp": N_("✕ Close the Mini App"),
    "no_live_code": N_(
        "The tourist has no certificate to show yet: let her apply and the verifier approve."
    ),
    "person_language": N_("Language of this person"),
    "not_answering": N_("The sandbox is not answering. Is it still running?"),
    "button_gone": N_("That button is no longer there."),
    "forgets": N_("The sandbox forgets everything when it stops or starts again."),
    "board_link": N_("Public board"),
    "open311_link": N_("Open311 services"),
    "dashboard_link": N_("Dashboard (signed in as Officer Zhou)"),
}


def page_strings(i18n: I18n, locale: str) -> dict[str, str]:
    """Every page string (key → translation) in one locale."""
    return {key: i18n.gettext(msgid, locale=locale) for key, msgid in PAGE_STRINGS.items()}
