"""What the page draws: every pane's chats and messages, and the Bot API calls, as JSON."""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from functools import lru_cache
from typing import Any

import zxingcpp
from PIL import Image, UnidentifiedImageError

from bot.localapi import BotAPIStandin, Call
from bot.sandbox.runtime import Sandbox

QUIET_METHODS = frozenset({"getupdates"})  # long polls: one every few seconds, nothing to learn
SHOWN_CALLS = 200
SNIPPET = 90
SERVICE_KINDS = (
    "forum_topic_created",
    "forum_topic_edited",
    "forum_topic_closed",
    "forum_topic_reopened",
)


def snapshot(sandbox: Sandbox) -> dict[str, Any]:
    """The whole sandbox as the page shows it."""
    standin, world = sandbox.standin, sandbox.world
    panes = {}
    for key, pane in world.panes.items():
        panes[key] = {
            "user": standin.state.user_dict(pane.user_id) if pane.user_id else None,
            "locale": sandbox.locales.get(key, "en"),
            "chats": [chat_view(sandbox, chat_id) for chat_id in pane.chats],
        }
    return {
        "generation": sandbox.generation,
        "panes": panes,
        "places": [asdict(place) for place in world.places],
        "calls": [call_view(call) for call in shown_calls(standin)],
        "verify_base": sandbox.settings.effective_public_base_url,
    }


def chat_view(sandbox: Sandbox, chat_id: int) -> dict[str, Any]:
    standin = sandbox.standin
    chat = standin.state.chats[chat_id]
    actor = sandbox.world.actors.get(chat_id)
    return {
        "id": chat_id,
        "type": chat.type,
        "forum": chat.is_forum,
        "title": sandbox.world.titles.get(chat_id),
        "actor": standin.state.user_dict(actor) if actor else None,
        "topics": [
            {"id": topic.message_thread_id, "name": topic.name, "closed": topic.is_closed}
            for topic in standin.topics(chat_id)
        ],
        "messages": [message_view(standin, m) for m in standin.chat_history(chat_id)],
        "keyboard": standin.reply_keyboard_buttons(chat_id),
    }


def message_view(standin: BotAPIStandin, message: dict[str, Any]) -> dict[str, Any]:
    """A message reduced to what a Telegram client draws."""
    sender = message.get("from", {})
    view: dict[str, Any] = {
        "id": message["message_id"],
        "date": message["date"],
        "from_id": sender.get("id"),
        "from_bot": bool(sender.get("is_bot")),
        "from_name": " ".join(filter(None, [sender.get("first_name"), sender.get("last_name")])),
        "thread": message.get("message_thread_id"),
    }
    for key in ("text", "entities", "caption", "caption_entities", "location", "contact"):
        if key in message:
            view[key] = message[key]
    for kind in SERVICE_KINDS:
        if kind in message:
            view["service"] = {"kind": kind, "name": message[kind].get("name", "")}
    if "photo" in message:
        largest = message["photo"][-1]
        view["photo"] = largest["file_id"]
        if view["from_bot"]:
            stored = standin.file(largest["file_id"])
            view["qr"] = find_qr(stored.data) if stored is not None else None
    if "document" in message:
        view["document"] = {
            "file_id": message["document"]["file_id"],
            "name": message["document"].get("file_name") or "file",
        }
    for kind in ("voice", "audio", "video", "video_note", "animation", "sticker"):
        if kind in message:  # shown as a file to open: the page plays what the browser can
            view["document"] = {"file_id": message[kind]["file_id"], "name": kind}
    if "edit_date" in message:
        view["edited"] = True
    if "media_group_id" in message:
        view["album"] = message["media_group_id"]
    reply = message.get("reply_to_message")
    if reply is not None and reply.get("message_id") != message.get("message_thread_id"):
        view["reply_to"] = {
            "id": reply["message_id"],
            "name": reply.get("from", {}).get("first_name", ""),
            "snippet": short(reply.get("text") or reply.get("caption") or ""),
        }
    markup = message.get("reply_markup") or {}
    view["buttons"] = [
        [{"text": b["text"], "data": b.get("callback_data"), "url": b.get("url")} for b in row]
        for row in markup.get("inline_keyboard", [])
    ]
    return view


@lru_cache(maxsize=256)
def find_qr(data: bytes) -> dict[str, Any] | None:
    """The QR code on a picture (a certificate card): its text and box, as fractions of the size."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError):
        return None
    formats = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    found = zxingcpp.read_barcodes(image.convert("L"), formats=formats)
    if not found or not found[0].text:
        return None
    position = found[0].position
    corners = [position.top_left, position.top_right, position.bottom_right, position.bottom_left]
    xs, ys = [p.x for p in corners], [p.y for p in corners]
    width, height = image.size
    box = [min(xs) / width, min(ys) / height, max(xs) / width, max(ys) / height]
    return {"text": str(found[0].text), "box": [round(v, 4) for v in box]}


def shown_calls(standin: BotAPIStandin) -> list[Call]:
    calls = [c for c in standin.calls() if c.method.lower() not in QUIET_METHODS]
    return calls[-SHOWN_CALLS:]


def call_view(call: Call) -> dict[str, Any]:
    """Method, chat and a short payload: what the bot asked Telegram to do."""
    params = call.params
    chat = params.get("chat_id")
    payload = params.get("text") or params.get("caption")
    if payload is None:
        rest = {
            k: v
            for k, v in params.items()
            if k not in ("chat_id", "reply_markup") and isinstance(v, str | int | float | bool)
        }
        payload = json.dumps(rest, ensure_ascii=False) if rest else ""
    keyboard = params.get("reply_markup")
    return {
        "at": call.at,
        "method": call.method,
        "chat": chat if isinstance(chat, int | str) else None,
        "payload": short(str(payload)),
        "markup": _markup_kind(keyboard),
        "ok": call.response_ok,
        "error": f"{call.error_code} {call.description or ''}" if call.error_code else None,
    }


def _markup_kind(markup: Any) -> str | None:
    if not isinstance(markup, dict):
        return None
    for key in ("inline_keyboard", "keyboard", "remove_keyboard", "force_reply"):
        if key in markup:
            return key
    return None


def short(text: str, limit: int = SNIPPET) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
