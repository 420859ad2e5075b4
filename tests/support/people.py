"""Reading what the bot showed a person: texts, keyboards and buttons."""

from __future__ import annotations

from typing import Any


def reply_keyboard(message: dict[str, Any]) -> list[str]:
    """The labels of the reply keyboard (the menu under the input field), row by row."""
    markup = message.get("reply_markup") or {}
    return [button["text"] for row in markup.get("keyboard", []) for button in row]


def inline_buttons(message: dict[str, Any]) -> dict[str, str]:
    """Inline button label → callback_data."""
    markup = message.get("reply_markup") or {}
    return {
        button["text"]: button.get("callback_data", "")
        for row in markup.get("inline_keyboard", [])
        for button in row
    }


ENGLISH_MENU = [
    "📝 Report a problem",
    "📋 My requests",
    "⚖️ Mediation",
    "🏨 Accommodation certificate",
    "🌐 Language",
    "❓ Help",
]
CHINESE_MENU = ["📝 反映问题", "📋 我的诉求", "⚖️ 调解", "🏨 住宿证明", "🌐 语言", "❓ 帮助"]
