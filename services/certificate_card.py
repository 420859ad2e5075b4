"""The certificate card: a PNG the tourist shows at the front desk, with its QR code.

The card is bilingual by design (a front desk in China, a tourist from anywhere), so its fixed
words are in both languages rather than in the reader's. It needs a font with Chinese glyphs:
the CARD_FONT setting, else the first of the usual Debian fonts that is installed
(`fonts-wqy-microhei`, `fonts-wqy-zenhei`, `fonts-noto-cjk`), else any font fontconfig lists for
Chinese (`fc-list :lang=zh`). Without one the card is still drawn, with Pillow's own Latin font,
and a warning is logged: the QR code, which is what gets checked, does not depend on it.

The QR code holds the certificate URL at error correction level M (15% of the code can be
damaged or covered), the base URL in byte mode and the base32 token in alphanumeric mode (the
writer, zxing-cpp's, chooses the segments), and is drawn at least 8 pixels a module so a phone
camera reads it off another phone's screen.
"""

from __future__ import annotations

import functools
import io
import logging
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import zxingcpp
from PIL import Image, ImageDraw, ImageFont

from services.certificates import CHINA_TIME
from services.identity import DocumentType
from services.models import Certificate

__all__ = [
    "CJK_FONT_CANDIDATES",
    "CertificateCard",
    "find_cjk_font",
    "qr_image",
    "qr_matrix",
    "render_card",
]

log = logging.getLogger(__name__)

CJK_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # Debian: fonts-wqy-microhei
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # Debian: fonts-wqy-zenhei
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),  # Debian: fonts-noto-cjk
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),  # Arch, Fedora
)

DOCUMENT_LABELS = {
    DocumentType.PRC_ID: "居民身份证 PRC ID card",
    DocumentType.PASSPORT: "护照 Passport",
    DocumentType.TRAVEL_PERMIT: "通行证 Travel permit",
}

WIDTH = 1080
MARGIN = 72
QR_TARGET = 600  # pixels the QR code (with its quiet zone) aims at
QR_MIN_MODULE = 8
# zlib's fastest level: half the encoding time of the default (6) for a file about a fifth
# larger (130 KB rather than 110 KB); Telegram turns a photo into a JPEG anyway.
PNG_COMPRESS_LEVEL = 1
INK = (28, 33, 40)
MUTED = (99, 108, 118)
BAND = (22, 62, 116)
PAPER = (255, 255, 255)
BAND_HEIGHT = 230


def _ramp(start: tuple[int, int, int], end: tuple[int, int, int], steps: int) -> list[int]:
    pairs = list(zip(start, end, strict=True))
    return [round(a + (b - a) * step / (steps - 1)) for step in range(steps) for a, b in pairs]


# The card is drawn in one byte a pixel and saved as a palette PNG: a quarter of the encoding
# time of RGB (Pillow's PNG filter tries five filters on every row, three bytes a pixel). Two
# ramps of 128 shades each keep the text anti-aliased: 0-127 from the band's blue to white (the
# title on the band), 128-255 from the ink to the paper (the body; the labels are a lighter
# shade of the ink, close to MUTED, drawn as 168 so their edges blend along the same ramp).
_PALETTE = _ramp(BAND, PAPER, 128) + _ramp(INK, PAPER, 128)
_BAND, _ON_BAND, _INK, _PAPER = 0, 127, 128, 255
_MUTED = 128 + round(127 * (MUTED[0] - INK[0]) / (PAPER[0] - INK[0]))


@dataclass(frozen=True)
class CertificateCard:
    """What the card shows; all of it already masked."""

    serial: str
    holder: str
    document_type: DocumentType
    document: str
    hotel_name: Mapping[str, str]  # {"zh": ..., "en": ...}
    valid_from: date
    valid_until: date
    issued_at: datetime
    url: str

    @classmethod
    def of(
        cls, certificate: Certificate, url: str, hotel_name: Mapping[str, str]
    ) -> CertificateCard:
        return cls(
            serial=certificate.serial,
            holder=certificate.holder_masked,
            document_type=DocumentType(certificate.document_type),
            document=certificate.document_masked,
            hotel_name=dict(hotel_name) or {"en": certificate.hotel_code},
            valid_from=certificate.valid_from,
            valid_until=certificate.valid_until,
            issued_at=_utc(certificate.issued_at),
            url=url,
        )


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# --- the QR code ------------------------------------------------------------------------------


QUIET_ZONE = 4  # modules of white around the code, as the standard asks


def qr_modules(url: str) -> Image.Image:
    """The QR code at level M, one pixel a module (0 dark, 255 light), quiet zone included.

    zxing-cpp's writer (zint) splits the content into the cheapest segments itself (the base URL
    in byte mode, the base32 token in alphanumeric mode) and picks the mask the standard's
    penalty rules choose, in C++: about 0.6 ms against 10 ms for the pure-Python `qrcode`."""
    code = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    written: Any = zxingcpp.write_barcode_to_image(code, scale=1, add_quiet_zones=False)
    pixels = memoryview(written)  # a buffer of bytes, rows by columns (the stub omits it)
    rows, columns = pixels.shape or (0, 0)
    bare = Image.frombytes("L", (columns, rows), pixels.tobytes())
    size = columns + 2 * QUIET_ZONE
    image = Image.new("L", (size, size), 255)
    image.paste(bare, (QUIET_ZONE, QUIET_ZONE))
    return image


def qr_image(url: str, module_pixels: int) -> Image.Image:
    """The QR code as a black and white image, `module_pixels` a module (a PDF's, a page's)."""
    modules = qr_modules(url)
    size = modules.width * module_pixels
    return modules.resize((size, size), Image.Resampling.NEAREST)


def qr_matrix(url: str) -> tuple[list[list[bool]], int]:
    """The modules (quiet zone included, True is dark) and the QR version (1-40)."""
    modules = qr_modules(url)
    size = modules.width
    values = modules.tobytes()
    matrix = [[values[row * size + x] == 0 for x in range(size)] for row in range(size)]
    return matrix, (size - 2 * QUIET_ZONE - 17) // 4


def _qr_image(url: str, target: int) -> Image.Image:
    modules = qr_modules(url).point(lambda value: _INK if value == 0 else _PAPER)
    size = modules.width
    scale = max(QR_MIN_MODULE, target // size)
    return modules.resize((size * scale, size * scale), Image.Resampling.NEAREST)


# --- fonts --------------------------------------------------------------------------------------

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@functools.cache
def find_cjk_font(explicit: Path | None = None) -> Path | None:
    """The font file to draw Chinese with (see the module doc), or None if there is none."""
    if explicit is not None:
        if explicit.is_file():
            return explicit
        log.warning("CARD_FONT %s does not exist; looking for another font", explicit)
    for candidate in CJK_FONT_CANDIDATES:
        if candidate.is_file():
            return candidate
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            listed = subprocess.run(
                [fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=10
            ).stdout
        except (OSError, subprocess.SubprocessError):
            listed = ""
        for line in sorted(listed.splitlines()):
            path = Path(line.split(":", 1)[0].strip())
            if path.suffix.lower() in {".ttf", ".ttc", ".otf", ".otc"} and path.is_file():
                return path
    log.warning(
        "no font with Chinese characters: certificate cards use a Latin font "
        "(install fonts-wqy-microhei or set CARD_FONT)"
    )
    return None


class _Fonts:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._sizes: dict[int, Font] = {}

    def get(self, size: int) -> Font:
        if size not in self._sizes:
            self._sizes[size] = self._load(size)
        return self._sizes[size]

    def _load(self, size: int) -> Font:
        if self.path is not None:
            try:
                # no text on the card needs shaping (Chinese and Latin): the basic layout
                # measures and draws several times faster than raqm
                basic = ImageFont.Layout.BASIC
                return ImageFont.truetype(str(self.path), size, index=0, layout_engine=basic)
            except OSError:
                log.warning("cannot read the font %s; using Pillow's own", self.path)
        return ImageFont.load_default(size)


# --- the card ---------------------------------------------------------------------------------


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int) -> list[str]:
    """Lines no wider than `width`: broken at spaces in Latin text, anywhere in Chinese.

    Most values fit on one line, and measuring it once is enough; measuring every prefix, as
    breaking does, took a third of a card's time."""
    if draw.textlength(text, font=font) <= width:
        return [text.strip()]
    lines: list[str] = []
    line = ""
    for character in text:
        candidate = line + character
        if line and draw.textlength(candidate, font=font) > width:
            cut = line.rfind(" ")
            if cut > 0 and character != " ":
                lines.append(line[:cut])
                line = line[cut + 1 :] + character
            else:
                lines.append(line.rstrip())
                line = character.lstrip()
        else:
            line = candidate
    if line.strip():
        lines.append(line.strip())
    return lines or [""]


def _hotel_lines(names: Mapping[str, str]) -> Sequence[str]:
    zh, en = names.get("zh"), names.get("en")
    lines = [name for name in (zh, en) if name]
    if not lines:
        lines = list(names.values())[:1]
    return list(dict.fromkeys(lines))  # one line when both are the same


def render_card(card: CertificateCard, *, font_path: Path | None = None) -> bytes:
    """The card as PNG bytes: a palette image (see `_PALETTE`) drawn in one byte a pixel."""
    fonts = _Fonts(find_cjk_font(font_path))
    label, value, small = fonts.get(28), fonts.get(46), fonts.get(28)
    qr = _qr_image(card.url, QR_TARGET)

    scratch = ImageDraw.Draw(Image.new("L", (1, 1)))
    text_width = WIDTH - 2 * MARGIN
    issued = card.issued_at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
    rows: list[tuple[str, list[str]]] = [
        ("持证人 Holder", [card.holder]),
        ("证件 Document", [DOCUMENT_LABELS[card.document_type], card.document]),
        ("住宿酒店 Hotel", list(_hotel_lines(card.hotel_name))),
        ("有效期 Valid", [f"{card.valid_from:%Y-%m-%d} — {card.valid_until:%Y-%m-%d}"]),
        ("编号 Serial", [card.serial, f"签发 Issued {issued} (UTC+8)"]),
    ]
    laid: list[tuple[str, list[str]]] = [
        (name, [w for line in lines for w in _wrap(scratch, line, value, text_width)])
        for name, lines in rows
    ]
    row_gap, label_height, line_height = 30, 40, 60
    body = sum(label_height + line_height * len(lines) + row_gap for _, lines in laid)
    height = BAND_HEIGHT + 50 + body + 30 + qr.height + 110

    image = Image.new("L", (WIDTH, height), _PAPER)
    image.paste(_header(fonts.path), (0, 0))
    draw = ImageDraw.Draw(image)
    y = BAND_HEIGHT + 50
    for name, lines in laid:
        draw.text((MARGIN, y), name, font=label, fill=_MUTED)
        y += label_height
        for line in lines:
            draw.text((MARGIN, y), line, font=value, fill=_INK)
            y += line_height
        y += row_gap
    y += 10
    image.paste(qr, ((WIDTH - qr.width) // 2, y))
    y += qr.height + 20
    draw.text(
        (WIDTH // 2, y + 20), "扫码核验 · Scan to verify", font=small, fill=_MUTED, anchor="mm"
    )
    draw.rectangle((0, 0, WIDTH - 1, height - 1), outline=_BAND, width=6)

    image.putpalette(_PALETTE)  # "L" becomes "P": the same bytes, read through the palette
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


@functools.cache
def _header(font_path: Path | None) -> Image.Image:
    """The band with the title, the same on every card: drawn once per font."""
    fonts = _Fonts(font_path)
    band = Image.new("L", (WIDTH, BAND_HEIGHT + 1), _BAND)
    draw = ImageDraw.Draw(band)
    draw.text((WIDTH // 2, 95), "临时住宿证明", font=fonts.get(68), fill=_ON_BAND, anchor="mm")
    title = "Temporary accommodation certificate"
    draw.text((WIDTH // 2, 170), title, font=fonts.get(36), fill=_ON_BAND, anchor="mm")
    return band
