"""Signed certificate tokens: Ed25519 keys in DATA_DIR, a compact token, offline verification.

The model is the EU Digital COVID Certificate: the QR carries the signed claims themselves, so
anyone with the published public keys (`/.well-known/linkage-keys.json`, a JWK set) checks a
certificate without asking the server. Only the server knows of a revocation, and of a token
signed with a stolen key for a certificate it never issued (services/certificates.py).

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

Keys
----

`KeyRing` keeps the keys in `DATA_DIR/signing-keys.json` (mode 0600), created with one key on
first use. `rotate()` makes a new active key and drops the old private key, keeping its public
key, so certificates it signed verify until they expire; `remove()` forgets a retired key and
`retire()` any key, the one signing too (a leaked key: it rotates first). Several processes may
share the file: each re-reads it when it changes, and creating or changing it takes a file lock.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import logging
import re
import struct
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from services.identity import DocumentType
from services.models import utcnow
from services.privacy import read_secret_file, write_secret_file

__all__ = [
    "INVALID",
    "KEYRING_FILE",
    "Claims",
    "CodeKind",
    "KeyInfo",
    "KeyRing",
    "Status",
    "TokenError",
    "UnknownKey",
    "Verification",
    "Verifier",
    "decode_token",
    "encode_token",
    "from_base32",
    "kid_of",
    "to_base32",
    "verify_token",
]

log = logging.getLogger(__name__)

KEYRING_FILE = "signing-keys.json"
REFRESH_SECONDS = 1.0  # how stale KeyRing.verify may be about keys another process removed
TOKEN_VERSION = 1
KID_BYTES = 5
SIGNATURE_BYTES = 64
MAX_TOKEN_CHARS = 1024  # anything longer is not ours; refused before decoding
_CONTEXT = b"linkage-certificate-v1\x00"
_EPOCH = date(2000, 1, 1)
_DOCUMENT_CODES = {DocumentType.PRC_ID: 1, DocumentType.PASSPORT: 2, DocumentType.TRAVEL_PERMIT: 3}
_DOCUMENT_TYPES = {code: kind for kind, code in _DOCUMENT_CODES.items()}
_BASE32 = re.compile(r"^[A-Z2-7]+$")
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


class TokenError(ValueError):
    """Not a well-formed token (says nothing about the signature)."""


class UnknownKey(LookupError):
    def __init__(self, kid: str) -> None:
        super().__init__(f"no signing key {kid}")
        self.kid = kid


# --- the token ------------------------------------------------------------------------------------


def kid_of(public_key: Ed25519PublicKey) -> str:
    """The key id: base32 of the first 5 bytes of SHA-256 of the raw public key (8 characters)."""
    return _b32(_kid_bytes(public_key))


def _kid_bytes(public_key: Ed25519PublicKey) -> bytes:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:KID_BYTES]


_TO_BASE32HEX = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHIJKLMNOPQRSTUV"
)


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def to_base32(data: bytes) -> str:
    """Unpadded upper-case RFC 4648 base32, as tokens are written."""
    return _b32(data)


def from_base32(text: str) -> bytes:
    """The bytes of canonical unpadded base32 (upper case); TokenError if it is not that."""
    return _unb32(text)


def _unb32(text: str) -> bytes:
    """Unpadded RFC 4648 base32, canonical only: as one integer, which is several times
    faster than base64.b32decode and encoding back to compare."""
    if not _BASE32.fullmatch(text):
        raise TokenError("not base32")
    size, spare = divmod(5 * len(text), 8)
    value = int(text.translate(_TO_BASE32HEX), 32)
    if spare >= 5 or value & ((1 << spare) - 1):  # an impossible length, or unused bits set
        raise TokenError("not canonical base32")
    return (value >> spare).to_bytes(size, "big")


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
        valid_from=_EPOCH + timedelta(days=from_days),
        valid_until=_EPOCH + timedelta(days=until_days),
        issued_at=datetime.fromtimestamp(issued, UTC),
    )


def encode_token(claims: Claims, key: Ed25519PrivateKey, *, kid: str | None = None) -> str:
    """Sign the claims. `kid` defaults to the key's own id (tests pass another to lie)."""
    kid_bytes = _unb32(kid) if kid is not None else _kid_bytes(key.public_key())
    if len(kid_bytes) != KID_BYTES:
        raise ValueError(f"a kid is {KID_BYTES} bytes")
    body = bytes([TOKEN_VERSION]) + kid_bytes + _claims_bytes(claims)
    return _b32(body + key.sign(_CONTEXT + body))


@dataclass(frozen=True)
class _Decoded:
    kid: str
    signed: bytes
    signature: bytes
    claims: Claims


def decode_token(token: str) -> _Decoded:
    """Split a token into its parts without checking the signature; TokenError if malformed."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        raise TokenError("not a token")
    data = _unb32(token.strip().upper())
    if len(data) < 1 + KID_BYTES + SIGNATURE_BYTES:
        raise TokenError("truncated")
    if data[0] != TOKEN_VERSION:
        raise TokenError(f"unknown token version {data[0]}")
    body, signature = data[:-SIGNATURE_BYTES], data[-SIGNATURE_BYTES:]
    claims = _parse_claims(body[1 + KID_BYTES :])
    return _Decoded(_b32(body[1 : 1 + KID_BYTES]), _CONTEXT + body, signature, claims)


def verify_token(token: str, keys: Mapping[str, Ed25519PublicKey], *, today: date) -> Verification:
    """valid, expired, not_yet_valid or invalid; revocation is the server's to add."""
    try:
        decoded = decode_token(token)
        key = keys.get(decoded.kid)
        if key is None:
            return INVALID
        key.verify(decoded.signature, decoded.signed)
    except (TokenError, InvalidSignature, ValueError, OverflowError):
        return INVALID
    return Verification(decoded.claims.status_on(today), decoded.claims, decoded.kid)


class Verifier:
    """Public keys only, as an offline verifier holds them (from a JWK set)."""

    def __init__(self, keys: Mapping[str, Ed25519PublicKey]) -> None:
        self.keys = dict(keys)

    @classmethod
    def from_jwks(cls, jwks: Mapping[str, Any]) -> Verifier:
        keys: dict[str, Ed25519PublicKey] = {}
        for jwk in jwks.get("keys", []):
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
                raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
                keys[str(jwk["kid"])] = Ed25519PublicKey.from_public_bytes(raw)
        return cls(keys)

    def verify(self, token: str, *, today: date) -> Verification:
        return verify_token(token, self.keys, today=today)


# --- the keys -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    public_key: Ed25519PublicKey = field(repr=False)
    created_at: datetime
    retired_at: datetime | None = None  # None: the active key

    @property
    def active(self) -> bool:
        return self.retired_at is None

    def jwk(self) -> dict[str, str]:
        raw = self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "alg": "EdDSA",
            "use": "sig",
            "kid": self.kid,
            "x": base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="),
        }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _raw_private(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


class KeyRing:
    """The signing keys in one file (mode 0600): one active private key, retired public keys."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(f".{path.name}.lock")
        self._stamp: tuple[int, int, int] | None = None
        self._keys: dict[str, KeyInfo] = {}
        self._active: tuple[str, Ed25519PrivateKey] | None = None
        self._public: dict[str, Ed25519PublicKey] = {}
        self._next_refresh = 0.0
        with self._locked():
            if not self.path.exists():
                self._save([self._new_key()])
                log.info("generated a signing key in %s", self.path)
        self._load()

    @classmethod
    def open(cls, data_dir: Path) -> KeyRing:
        return cls(data_dir / KEYRING_FILE)

    # reading

    @property
    def active_kid(self) -> str:
        self._refresh()
        assert self._active is not None
        return self._active[0]

    def list_keys(self) -> list[KeyInfo]:
        """Every key that verifies, the active one first, then the newest retired."""
        self._refresh()
        return sorted(self._keys.values(), key=lambda k: (not k.active, -k.created_at.timestamp()))

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        self._refresh()
        return {kid: info.public_key for kid, info in self._keys.items()}

    def current_kids(self) -> frozenset[str]:
        """The kids that verify as the file says this moment (one stat): what a verification
        checks last, so a key retired in another process is refused at once."""
        self._refresh()
        return frozenset(self._public)

    def jwks(self) -> dict[str, Any]:
        """The JWK set published at /.well-known/linkage-keys.json."""
        return {"keys": [info.jwk() for info in self.list_keys()]}

    # using

    def sign(self, claims: Claims) -> str:
        self._refresh()
        assert self._active is not None
        return encode_token(claims, self._active[1])

    def signer(self) -> tuple[str, Callable[[bytes], bytes]]:
        """The active kid and its signing function, a matching pair (services.live_codes)."""
        self._refresh()
        assert self._active is not None
        kid, key = self._active
        return kid, key.sign

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        """A key that verifies as the file says this moment; None if unknown or retired."""
        self._refresh()
        return self._public.get(kid)

    def verify(self, token: str, *, today: date) -> Verification:
        """The file is looked at again at most once every REFRESH_SECONDS, as a stat() per
        verification cost a tenth of the verification API's time; a token signed by a key not
        known here (another process rotated a moment ago) makes it look at once. So a key
        another process removes may verify here for up to that long."""
        if time.monotonic() >= self._next_refresh:
            self._refresh()
        result = verify_token(token, self._public, today=today)
        if result.status is Status.INVALID and self._refresh():
            result = verify_token(token, self._public, today=today)
        return result

    # changing

    def rotate(self, now: datetime | None = None) -> str:
        """Make a new active key; the old one only verifies from now on. Returns the new kid."""
        now = now or utcnow()
        with self._locked():
            self._load()
            entries = self._entries()
            for entry in entries:
                if entry["retired_at"] is None:
                    entry["retired_at"] = now.isoformat()
                    entry["private"] = None
            new = self._new_key(now)
            self._save([new, *entries])
        self._load()
        log.info("signing key rotated: %s is active", new["kid"])
        return str(new["kid"])

    def remove(self, kid: str) -> None:
        """Forget a retired key: certificates it signed become invalid."""
        with self._locked():
            self._load()
            if self._active is not None and self._active[0] == kid:
                raise ValueError("the active key cannot be removed; rotate first")
            entries = [entry for entry in self._entries() if entry["kid"] != kid]
            self._save(entries)
        self._load()

    def retire(self, kid: str, now: datetime | None = None) -> str | None:
        """Forget a key at once, as after a leak: certificates it signed become invalid.

        The key signing now is replaced by a new one in the same write, so there is never a
        moment without a signing key; returns the new kid then, else None. UnknownKey if no
        such key.
        """
        with self._locked():
            self._load()
            entries = self._entries()
            if kid not in {entry["kid"] for entry in entries}:
                raise UnknownKey(kid)
            kept = [entry for entry in entries if entry["kid"] != kid]
            new = None
            if self._active is not None and self._active[0] == kid:
                new = self._new_key(now)
                kept.insert(0, new)
            self._save(kept)
        self._load()
        log.warning("signing key %s retired", kid)
        return str(new["kid"]) if new is not None else None

    # the file

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _new_key(self, now: datetime | None = None) -> dict[str, Any]:
        private = Ed25519PrivateKey.generate()
        return {
            "kid": kid_of(private.public_key()),
            "public": _b64(_raw_public(private.public_key())),
            "private": _b64(_raw_private(private)),
            "created_at": (now or utcnow()).isoformat(),
            "retired_at": None,
        }

    def _entries(self) -> list[dict[str, Any]]:
        document = json.loads(read_secret_file(self.path))
        return list(document["keys"])

    def _save(self, entries: list[dict[str, Any]]) -> None:
        document = {"version": 1, "keys": entries}
        write_secret_file(self.path, json.dumps(document, indent=2).encode("utf-8") + b"\n")

    def _file_stamp(self) -> tuple[int, int, int]:
        status = self.path.stat()
        return (status.st_ino, status.st_mtime_ns, status.st_size)

    def _refresh(self) -> bool:
        """Reload if the file changed; True if it did."""
        self._next_refresh = time.monotonic() + REFRESH_SECONDS
        if self._stamp != self._file_stamp():
            self._load()
            return True
        return False

    def _load(self) -> None:
        stamp = self._file_stamp()
        keys: dict[str, KeyInfo] = {}
        active: tuple[str, Ed25519PrivateKey] | None = None
        for entry in self._entries():
            public = Ed25519PublicKey.from_public_bytes(_unb64(entry["public"]))
            kid = kid_of(public)
            if kid != entry["kid"]:
                raise ValueError(f"{self.path}: key {entry['kid']} does not match its public key")
            retired = entry.get("retired_at")
            keys[kid] = KeyInfo(
                kid,
                public,
                datetime.fromisoformat(entry["created_at"]),
                datetime.fromisoformat(retired) if retired else None,
            )
            if retired is None:
                private = Ed25519PrivateKey.from_private_bytes(_unb64(entry["private"]))
                if _raw_public(private.public_key()) != _raw_public(public):
                    raise ValueError(f"{self.path}: key {kid}: private and public do not match")
                active = (kid, private)
        if active is None:
            raise ValueError(f"{self.path}: no active signing key")
        self._keys, self._active, self._stamp = keys, active, stamp
        self._public = {kid: info.public_key for kid, info in keys.items()}
