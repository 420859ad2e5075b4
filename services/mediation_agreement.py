"""The settlement agreement as a signed PDF, and the case file of a case referred to the court.

The agreement carries a serial and a QR code of `{PUBLIC_BASE_URL}/v/agreement/{token}`. The
token is signed with the certificates' key ring (services/keyring.py: the same Ed25519 keys, the
same published JWK set), over its own context so a certificate token can never pass for an
agreement. Its bytes, big-endian, then unpadded base32::

    version 1 byte (1) · kid 5 bytes · serial str · case number str · organisation code str ·
    settled day 2 bytes (days since 2000-01-01) · SHA-256 of the terms, first 16 bytes ·
    Ed25519 signature 64 bytes over b"linkage-agreement-v1\\0" + everything above

where `str` is a length byte then ASCII. No name is in it: the page it opens says which case and
organisation the agreement belongs to and that it is genuine; the parties hold the PDF.

The PDF is drawn with fpdf2, with the font the certificate card uses for Chinese
(services.certificate_card.find_cjk_font); without one it falls back to a Latin core font.
"""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature

from services.certificates import CHINA_TIME
from services.keyring import KeyRing
from services.signing import TokenError, from_base32, to_base32

VERSION = 1
_CONTEXT = b"linkage-agreement-v1\x00"
_EPOCH = date(2000, 1, 1)
MAX_TOKEN_CHARS = 400


@dataclass(frozen=True)
class AgreementClaims:
    serial: str
    case_number: str
    org_code: str
    settled_on: date
    terms_digest: bytes  # 16 bytes


def terms_digest(terms: str) -> bytes:
    return hashlib.sha256(terms.encode("utf-8")).digest()[:16]


def _str(value: str) -> bytes:
    data = value.encode("ascii")
    if len(data) > 255:
        raise ValueError(f"too long for a token field: {value!r}")
    return bytes([len(data)]) + data


def _body(claims: AgreementClaims, kid: str) -> bytes:
    return (
        bytes([VERSION])
        + from_base32(kid)
        + _str(claims.serial)
        + _str(claims.case_number)
        + _str(claims.org_code)
        + struct.pack(">H", (claims.settled_on - _EPOCH).days)
        + claims.terms_digest
    )


def sign_agreement(keys: KeyRing, claims: AgreementClaims) -> str:
    kid, sign = keys.signer()
    body = _body(claims, kid)
    return to_base32(body + sign(_CONTEXT + body))


def read_agreement(keys: KeyRing, token: str) -> AgreementClaims | None:
    """The claims of a genuine token signed by a key the ring still has; None otherwise."""
    token = token.strip().upper()
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        data = from_base32(token)
    except TokenError:
        return None
    if len(data) < 1 + 5 + 3 + 2 + 16 + 64 or data[0] != VERSION:
        return None
    body, signature = data[:-64], data[-64:]
    kid = to_base32(body[1:6])
    key = keys.public_key(kid)
    if key is None:
        return None
    try:
        key.verify(signature, _CONTEXT + body)
        at = 6
        texts = []
        for _ in range(3):
            size = body[at]
            texts.append(body[at + 1 : at + 1 + size].decode("ascii"))
            at += 1 + size
        (days,) = struct.unpack(">H", body[at : at + 2])
        digest = body[at + 2 : at + 18]
        if len(digest) != 16 or at + 18 != len(body):
            return None
    except (InvalidSignature, IndexError, UnicodeDecodeError, struct.error):
        return None
    return AgreementClaims(
        texts[0], texts[1], texts[2], date.fromordinal(_EPOCH.toordinal() + days), digest
    )


# --- the PDFs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    role: str  # bilingual label: 申请人 Applicant
    name: str
    contact: str | None = None


@dataclass(frozen=True)
class CasePaper:
    """What a PDF shows; the words are bilingual, as the agreement is read by both sides."""

    title: str
    case_number: str
    organisation: str
    kind: str
    parties: Sequence[Party]
    account: str
    claim: str
    body_title: str
    body: str  # the agreed terms, or the record of the case
    moment: datetime
    serial: str | None = None
    url: str | None = None  # the QR code's link
    lines: Sequence[str] = ()  # the steps of the case, for a case file


def render_pdf(paper: CasePaper, font: Path | None = None) -> bytes:
    # fpdf2 (with fontTools, about 25 MB) and Pillow load with the first paper, not at start
    from fpdf import FPDF

    from services.certificate_card import find_cjk_font, qr_image

    pdf = FPDF(format="A4")
    pdf.set_title(paper.title)
    pdf.set_creator("Linkage")
    pdf.add_page()
    found = find_cjk_font(font)
    if found is not None:
        pdf.add_font("cjk", fname=str(found), collection_font_number=0)
        family = "cjk"
    else:
        family = "helvetica"
    pdf.set_font(family, size=18)
    pdf.multi_cell(0, 10, paper.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(family, size=11)

    def line(label: str, value: str) -> None:
        pdf.multi_cell(0, 7, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")

    if paper.serial:
        line("编号 Serial", paper.serial)
    line("案件 Case", paper.case_number)
    line("调解组织 Mediation organisation", paper.organisation)
    line("纠纷类型 Kind of dispute", paper.kind)
    for party in paper.parties:
        line(party.role, party.name + (f" ({party.contact})" if party.contact else ""))
    line("时间 Date", paper.moment.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M"))
    pdf.ln(3)
    for label, value in (
        ("纠纷事实 What happened", paper.account),
        ("申请事项 What was asked", paper.claim),
        (paper.body_title, paper.body),
    ):
        pdf.set_font(family, size=13)
        pdf.multi_cell(0, 8, label, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, size=11)
        pdf.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    for step in paper.lines:
        pdf.multi_cell(0, 6, step, new_x="LMARGIN", new_y="NEXT")
    if paper.url:
        image = qr_image(paper.url, 10).convert("1")  # one bit a pixel: fpdf2 stores it as G4
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        pdf.ln(4)
        pdf.image(io.BytesIO(buffer.getvalue()), w=45)
        pdf.set_font(family, size=8)
        pdf.multi_cell(0, 5, "扫码核验 Scan to verify: " + paper.url, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
