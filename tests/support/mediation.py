"""Filling in the mediation form through the Bot API stand-in, for the mediation tests: the
words a person sees in each language, and the chats of the bundled sample routing's
mediation organisations."""

from __future__ import annotations

import io
import re
import struct
from typing import Any

import zxingcpp
from PIL import Image

from bot.localapi import BotAPIStandin
from tests.support.people import inline_buttons
from tests.test_mediation import give_area
from tests.test_resident_requests import next_message

QIXING_CHAT = -1001000000095  # Qixing People's Mediation Committee: Sanjiabang only
MEDICAL_CHAT = -1001000000096
ODR_CHAT = -1001000000097  # Jiaxing Online Dispute Resolution Centre: everywhere
STREET_OFFICE_CHAT = -1001000000001

WORDS = {
    "en": {
        "where?": (
            "Where do you live? It decides which mediation organisation takes your case. Share "
            "your location with the button below, choose your area, or press “Skip”."
        ),
        "skip": "⏭ Skip",
        "done": "✅ Done",
        "submit": "📨 Submit",
        "family": "👪 Family",
        "grid 1": "Grid 1: east gate",
    },
    "zh": {
        "where?": (
            "您住在哪里？这决定由哪个调解组织受理您的案件。请用下方按钮发送位置、"
            "选择您所在的片区，或按“跳过”。"
        ),
        "skip": "⏭ 跳过",
        "done": "✅ 完成",
        "submit": "📨 提交",
        "family": "👪 婚姻家庭",
        "grid 1": "第一网格（东门）",
    },
}


async def file_case(
    standin: BotAPIStandin,
    resident: Any,
    locale: str,
    kind: str = "family",
    area: str | None = None,
    evidence: list[bytes] | None = None,
) -> dict[str, Any]:
    """/mediation to Submit (the other party's contact skipped); returns the thanks."""
    words = WORDS[locale]
    standin.send_command(resident, "/mediation")
    await next_message(standin, resident.id)  # what mediation is
    kinds = await next_message(standin, resident.id)
    standin.press_button(resident, kinds, inline_buttons(kinds)[words[kind]])
    await next_message(standin, resident.id)  # who is the other party
    standin.send_message(resident, "Li Ming")
    await next_message(standin, resident.id)  # how to reach them
    standin.press_reply_button(resident, words["skip"])
    await next_message(standin, resident.id)  # what happened
    standin.send_message(resident, "My brother keeps our late mother's flat to himself.")
    await next_message(standin, resident.id)  # what do you ask for
    standin.send_message(resident, "A fair share of the flat")
    await give_area(standin, resident, words, area)
    for data in evidence or []:
        standin.send_document(resident, data, file_name="will.pdf")
        await next_message(standin, resident.id)  # evidence added
    standin.press_reply_button(resident, words["done" if evidence else "skip"])
    await next_message(standin, resident.id)  # almost done
    summary = await next_message(standin, resident.id)
    standin.press_button(resident, summary, inline_buttons(summary)[words["submit"]])
    return await next_message(standin, resident.id)


def qr_codes_in_pdf(pdf: bytes) -> list[str]:
    """The QR codes a PDF's images hold, decoded by zxing-cpp. fpdf2 stores a one-bit image as
    a CCITT group 4 stream: it is wrapped in a minimal TIFF for Pillow to read."""
    found: list[str] = []
    pattern = re.compile(rb"<<((?:(?!>>\s*stream).)*?/Subtype /Image.*?)>>\s*stream\r?\n", re.S)
    for match in pattern.finditer(pdf):
        head = match.group(1)
        if b"/CCITTFaxDecode" not in head:
            continue
        width = int(re.search(rb"/Width (\d+)", head).group(1))  # type: ignore[union-attr]
        height = int(re.search(rb"/Height (\d+)", head).group(1))  # type: ignore[union-attr]
        length = int(re.search(rb"/Length (\d+)", head).group(1))  # type: ignore[union-attr]
        stream = pdf[match.end() : match.end() + length]
        black_is_1 = b"/BlackIs1 true" in head
        image = Image.open(io.BytesIO(_g4_tiff(stream, width, height, black_is_1)))
        found += [code.text for code in zxingcpp.read_barcodes(image.convert("L"))]
    return found


def _g4_tiff(stream: bytes, width: int, height: int, black_is_1: bool) -> bytes:
    tags = [
        (256, 4, width),  # ImageWidth
        (257, 4, height),  # ImageLength
        (258, 3, 1),  # BitsPerSample
        (259, 3, 4),  # Compression: CCITT group 4
        (262, 3, 0 if black_is_1 else 1),  # Photometric: WhiteIsZero when 1 is black
        (273, 4, 0),  # StripOffsets, filled below
        (277, 3, 1),  # SamplesPerPixel
        (278, 4, height),  # RowsPerStrip
        (279, 4, len(stream)),  # StripByteCounts
    ]
    directory = 8
    data_at = directory + 2 + 12 * len(tags) + 4
    body = struct.pack("<2sHI", b"II", 42, directory) + struct.pack("<H", len(tags))
    for tag, kind, value in tags:
        value = data_at if tag == 273 else value
        packed = struct.pack("<I", value) if kind == 4 else struct.pack("<HH", value, 0)
        body += struct.pack("<HHI", tag, kind, 1) + packed
    return body + struct.pack("<I", 0) + stream
