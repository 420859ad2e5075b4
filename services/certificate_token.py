"""Signed certificate tokens: what a certificate says, its compact signed form, and the check.

The model is the EU Digital COVID Certificate: the QR carries the signed claims themselves, so
anyone with the published public keys (`/.well-known/linkage-keys.json`, a JWK set) checks a
certificate without asking the server. Only the server knows of a revocation, and of a token
signed with a stolen key for a certificate it never issued (services/certificates.py). The keys
are in services.keyring; Ed25519 and base32 in services.signing.

The token
---------

Binary, then RFC 4648 base32 without padding: upper-case letters and the digits 2-7, all in the
QR code's alphanumeric mode (5.5 bits a character) and safe in a URL path or query without
escaping; lower-case input is accepted too. The bytes, big-endian::

    version      1 byte   (1)
    kid          5 bytes  (the first 5 bytes of SHA-256 of the raw public key)
    serial       str      certificate serial, ASCII
    holder       str      masked name, UTF-8 (戴*玲, D*** Lingling)
    doc type     1 byte   1 PRC ID, 2 passport, 3 travel permit
    doc          str, 1 byte, str   masked number: visible head, count of hidden characters, tail
    hotel        str      hotel code, ASCII
    valid_from   2 bytes  days since 2000-01-01
    valid_until  2 bytes  days since 2000-01-01 (the check-out day, inclusive)
    issued_at    4 bytes  Unix seconds
    signature    64 bytes Ed25519 over b"linkage-certificate-v1\\0" + everything above

where `str` is one length byte then the bytes. A certificate for a PRC ID is 6 + 53 + 64 = 123
bytes: 197 characters. With a base URL of up to about 40 characters the link is a version 9 QR
code at error correction level M (53x53 modules; version 11 if all of it were in byte mode).
The full document number is never in it.

Verification never raises: a token that is tampered with, truncated, signed by another key,
names an unknown key, or is not a token at all is `invalid`.
"""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.identity import DocumentType
from services.signing import (
    KID_BYTES,
    SIGNATURE_BYTES,
    SignatureCheck,
    TokenError,
    from_base32,
    kid_bytes,
    signature_check,
    to_base32,
)

__all__ = [
    "INVALID",
    "MAX_TOKEN_CHARS",
    "Claims",
    "CodeKind",
    "Status",
    "TokenError",
    "TokenKeys",
    "Verification",
    "Verifier",
    "decode_token",
    "encode_token",
]

TOKEN_VERSION = 1
MAX_TOKEN_CHARS = 1024  # anything longer is not ours; refused before decoding
_CONTEXT = b"linkage-certificate-v1\x00"
_EPOCH = date(2000, 1, 1)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_DOCUMENT_CODES = {DocumentType.PRC_ID: 1, DocumentType.PASSPORT: 2, DocumentType.TRAVEL_PERMIT: 3}
_DOCUMENT_TYPES = {code: kind for kind, code in _DOCUMENT_CODES.items()}
_MASKED = re.compile(r"^([^*]*)(\**)([^*]*)$")


class Status(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"
    INVALID = "invalid"
    STALE = "stale"  # a live code outside its time window (services.live_codes)


class CodeKind(StrEnum):
    """Which code was shown: the printable card's, or the live one from the Mini App."""

    STATIC = "static"
    LIVE = "live"


@dataclass(frozen=True)
class Claims:
    """What a certificate says, all of it masked: what a verifier needs and nothing more."""

    serial: str
    holder: str  # masked name
    document_type: DocumentType
    document: str  # masked number
    hotel: str  # hotel code (ROUTING_FILE)
    valid_from: date  # check-in day
    valid_until: date  # check-out day, inclusive
    issued_at: datetime  # UTC, whole seconds

    def status_on(self, today: date) -> Status:
        if today < self.valid_from:
            return Status.NOT_YET_VALID
        if today > self.valid_until:
            return Status.EXPIRED
        return Status.VALID


@dataclass(frozen=True)
class Verification:
    status: Status
    claims: Claims | None = None  # None when invalid
    kid: str | None = None
    revoked_at: datetime | None = None
    code: CodeKind = CodeKind.STATIC
    age: timedelta | None = None  # a live code: how long since its window began

    @property
    def is_valid(self) -> bool:
        return self.status is Status.VALID


INVALID = Verification(Status.INVALID)


# --- the token ------------------------------------------------------------------------------------


def _pack_str(value: str, encoding: str = "ascii") -> bytes:
    data = value.encode(encoding)
    if len(data) > 255:
        raise ValueError(f"too long for a token field: {value!r}")
    return bytes([len(data)]) + data


def _days(day: date) -> bytes:
    days = (day - _EPOCH).days
    if not 0 <= days <= 0xFFFF:
        raise ValueError(f"date out of range for a token: {day}")
    return struct.pack(">H", days)


def _claims_bytes(claims: Claims) -> bytes:
    match = _MASKED.match(claims.document)
    if match is None:
        raise ValueError("a masked document number has one run of '*'")
    head, hidden, tail = match.groups()
    if not hidden:
        head, tail = claims.document, ""
    if claims.valid_from > claims.valid_until:
        raise ValueError("valid_from is after valid_until")
    issued = int(claims.issued_at.timestamp())
    return b"".join(
        [
            _pack_str(claims.serial),
            _pack_str(claims.holder, "utf-8"),
            bytes([_DOCUMENT_CODES[DocumentType(claims.document_type)]]),
            _pack_str(head),
            bytes([len(hidden)]),
            _pack_str(tail),
            _pack_str(claims.hotel),
            _days(claims.valid_from),
            _days(claims.valid_until),
            struct.pack(">I", issued),
        ]
    )


def _text_at(data: bytes, at: int, encoding: str = "ascii") -> tuple[str, int]:
    """A length-prefixed string at `at`, and where the next field starts."""
    if at >= len(data):
        raise TokenError("truncated")
    end = at + 1 + data[at]
    if end > len(data):
        raise TokenError("truncated")
    try:
        return data[at + 1 : end].decode(encoding), end
    except UnicodeDecodeError as error:
        raise TokenError("bad text") from error


def _byte_at(data: bytes, at: int) -> int:
    if at >= len(data):
        raise TokenError("truncated")
    return data[at]


_TAIL = struct.Struct(">HHI")  # valid_from and valid_until (days since _EPOCH), issued_at


def _parse_claims(data: bytes) -> Claims:
    """The claims from their bytes (see `_claims_bytes`), read by offset: a reader object and
    a call per field cost a tenth of a verification."""
    serial, at = _text_at(data, 0)
    holder, at = _text_at(data, at, "utf-8")
    kind = _DOCUMENT_TYPES.get(_byte_at(data, at))
    if kind is None:
        raise TokenError("unknown document type")
    head, at = _text_at(data, at + 1)
    hidden = _byte_at(data, at)
    tail, at = _text_at(data, at + 1)
    hotel, at = _text_at(data, at)
    if len(data) - at != _TAIL.size:
        raise TokenError("truncated" if len(data) - at < _TAIL.size else "trailing bytes")
    from_days, until_days, issued = _TAIL.unpack_from(data, at)
    if from_days > until_days:
        raise TokenError("valid_from is after valid_until")
    return Claims(
        serial=serial,
        holder=holder,
        document_type=kind,
        document=head + "*" * hidden + tail,
        hotel=hotel,
        valid_from=date.fromordinal(_EPOCH_ORDINAL + from_days),
        valid_until=date.fromordinal(_EPOCH_ORDINAL + until_days),
        issued_at=datetime.fromtimestamp(issued, UTC),
    )


def encode_token(claims: Claims, key: Ed25519PrivateKey, *, kid: str | None = None) -> str:
    """Sign the claims. `kid` defaults to the key's own id (tests pass another to lie)."""
    kid_raw = from_base32(kid) if kid is not None else kid_bytes(key.public_key())
    if len(kid_raw) != KID_BYTES:
        raise ValueError(f"a kid is {KID_BYTES} bytes")
    body = bytes([TOKEN_VERSION]) + kid_raw + _claims_bytes(claims)
    return to_base32(body + key.sign(_CONTEXT + body))


def _split(token: str) -> tuple[bytes, bytes]:
    """A token's signed body (version, kid, claims) and its signature; TokenError if it
    cannot be a token of ours."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        raise TokenError("not a token")
    data = from_base32(token.strip().upper())
    if len(data) < 1 + KID_BYTES + SIGNATURE_BYTES:
        raise TokenError("truncated")
    if data[0] != TOKEN_VERSION:
        raise TokenError(f"unknown token version {data[0]}")
    return data[:-SIGNATURE_BYTES], data[-SIGNATURE_BYTES:]


@dataclass(frozen=True)
class _Decoded:
    kid: str
    signed: bytes
    signature: bytes
    claims: Claims


def decode_token(token: str) -> _Decoded:
    """Split a token into its parts without checking the signature; TokenError if malformed."""
    body, signature = _split(token)
    claims = _parse_claims(body[1 + KID_BYTES :])
    return _Decoded(to_base32(body[1 : 1 + KID_BYTES]), _CONTEXT + body, signature, claims)


class TokenKeys:
    """Public keys made ready for checking tokens: found by the kid's bytes as a token holds
    them (no base32 per check), each with its libsodium check (services.signing)."""

    def __init__(self, keys: Mapping[str, Ed25519PublicKey]) -> None:
        self._by_kid: dict[bytes, tuple[str, SignatureCheck]] = {}
        for kid, key in keys.items():
            try:
                raw = from_base32(kid)
            except TokenError:
                continue  # not a kid of ours (a JWK set may name its keys anyhow): matches nothing
            self._by_kid[raw] = (kid, signature_check(key))

    def verify(self, token: str, *, today: date) -> Verification:
        """valid, expired, not_yet_valid or invalid (never raises); revocation is the
        server's to add. The signature is checked before the claims are read."""
        try:
            body, signature = _split(token)
            found = self._by_kid.get(body[1 : 1 + KID_BYTES])
            if found is None or not found[1](signature, _CONTEXT + body):
                return INVALID
            claims = _parse_claims(body[1 + KID_BYTES :])
        except (TokenError, ValueError, OverflowError):
            return INVALID
        return Verification(claims.status_on(today), claims, found[0])


class Verifier:
    """Public keys only, as an offline verifier holds them (from a JWK set)."""

    def __init__(self, keys: Mapping[str, Ed25519PublicKey]) -> None:
        self.keys = dict(keys)
        self._token_keys = TokenKeys(self.keys)

    @classmethod
    def from_jwks(cls, jwks: Mapping[str, Any]) -> Verifier:
        keys: dict[str, Ed25519PublicKey] = {}
        for jwk in jwks.get("keys", []):
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
                raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
                keys[str(jwk["kid"])] = Ed25519PublicKey.from_public_bytes(raw)
        return cls(keys)

    def verify(self, token: str, *, today: date) -> Verification:
        return self._token_keys.verify(token, today=today)
