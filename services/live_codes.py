"""Live codes: what the tourist's Mini App shows, a new one every window (30 s by default).

The model is China Railway 12306's temporary ID: a code that changes inside the app, so a
screenshot is worthless a minute later. A live code names a certificate by its serial and the
moment its window began, signed with the certificate keys (services/keyring.KeyRing, Ed25519,
with the kid). It carries nothing else: what the certificate says comes from the database, so an
unknown serial is `invalid`, a revocation shows, and a code signed by a key retired since is
`invalid` like any token of that key.

The token, then RFC 4648 base32 without padding (the QR code's alphanumeric mode)::

    version      1 byte   (2; a certificate's own token is 1)
    kid          5 bytes
    window       4 bytes  Unix seconds when its window began
    seconds      1 byte   the window's length
    serial       str      one length byte, then ASCII
    signature    64 bytes Ed25519 over b"linkage-live-code-v1\\0" + everything above

A code is fresh from its window's start to the end of GRACE_WINDOWS more windows (the desk's
scan and the clocks of several processes take a moment); before its start by more than the grace,
or after, it is stale, and the answer says how old it is.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature

from services.keyring import KeyRing
from services.models import utcnow
from services.signing import KID_BYTES, SIGNATURE_BYTES, TokenError, from_base32, to_base32

__all__ = ["GRACE_WINDOWS", "LIVE_VERSION", "LiveCode", "LiveCodes", "ShownCode", "is_live"]

LIVE_VERSION = 2
GRACE_WINDOWS = 2
_CONTEXT = b"linkage-live-code-v1\x00"
_HEAD = struct.Struct(">BIB")  # (kid before) window start, window seconds, serial length


@dataclass(frozen=True)
class LiveCode:
    """A live code whose signature held: the certificate it names and its window."""

    serial: str
    kid: str
    window_start: datetime
    window_seconds: int

    def age(self, now: datetime) -> timedelta:
        return now - self.window_start

    def is_fresh(self, now: datetime) -> bool:
        grace = timedelta(seconds=self.window_seconds * GRACE_WINDOWS)
        window = timedelta(seconds=self.window_seconds)
        return -grace <= self.age(now) < window + grace


@dataclass(frozen=True)
class ShownCode:
    """A code to show now, and when the next one is due."""

    token: str
    window_start: datetime
    next_at: datetime


def is_live(token: str) -> bool:
    """Whether a token is a live code by its version (says nothing about its signature)."""
    try:
        data = from_base32(token.strip().upper()[:8])
    except TokenError:
        return False
    return bool(data) and data[0] == LIVE_VERSION


class LiveCodes:
    """Makes and reads live codes with the certificate keys."""

    def __init__(
        self, keys: KeyRing, *, window_seconds: int = 30, clock: Callable[[], datetime] = utcnow
    ) -> None:
        if not 1 <= window_seconds <= 255:
            raise ValueError("a live code's window is 1 to 255 seconds")
        self.keys = keys
        self.window_seconds = window_seconds
        self.clock = clock

    def window_of(self, now: datetime) -> datetime:
        seconds = int(now.timestamp()) // self.window_seconds * self.window_seconds
        return datetime.fromtimestamp(seconds, UTC)

    def show(self, serial: str, now: datetime | None = None) -> ShownCode:
        """The live code of a certificate for the window `now` is in."""
        start = self.window_of(now or self.clock())
        encoded = serial.encode("ascii")
        if len(encoded) > 255:
            raise ValueError("serial too long")
        kid, sign = self.keys.signer()
        head = _HEAD.pack(LIVE_VERSION, int(start.timestamp()), self.window_seconds)
        body = head[:1] + from_base32(kid) + head[1:] + bytes([len(encoded)]) + encoded
        signature = sign(_CONTEXT + body)
        next_at = start + timedelta(seconds=self.window_seconds)
        return ShownCode(to_base32(body + signature), start, next_at)

    def read(self, token: str) -> LiveCode | None:
        """The live code in a token whose signature holds under a current key; else None."""
        try:
            data = from_base32(token.strip().upper())
        except TokenError:
            return None
        fixed = 1 + KID_BYTES + _HEAD.size - 1
        if len(data) < fixed + 1 + SIGNATURE_BYTES or data[0] != LIVE_VERSION:
            return None
        body, signature = data[:-SIGNATURE_BYTES], data[-SIGNATURE_BYTES:]
        kid = to_base32(body[1 : 1 + KID_BYTES])
        _version, start, seconds = _HEAD.unpack(body[:1] + body[1 + KID_BYTES : fixed])
        length = body[fixed]
        if len(body) != fixed + 1 + length or seconds == 0:
            return None
        key = self.keys.public_key(kid)
        if key is None:
            return None
        try:
            key.verify(signature, _CONTEXT + body)
            serial = body[fixed + 1 :].decode("ascii")
        except (InvalidSignature, UnicodeDecodeError):
            return None
        return LiveCode(serial, kid, datetime.fromtimestamp(start, UTC), seconds)
