"""The certificate signing keys: one file in DATA_DIR, shared by every process.

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
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.certificate_token import Claims, Status, TokenKeys, Verification, encode_token
from services.models import utcnow
from services.privacy import read_secret_file, write_secret_file
from services.signing import kid_of, raw_private, raw_public

__all__ = ["KEYRING_FILE", "REFRESH_SECONDS", "KeyInfo", "KeyRing", "UnknownKey"]

log = logging.getLogger(__name__)

KEYRING_FILE = "signing-keys.json"
REFRESH_SECONDS = 1.0  # how stale KeyRing.verify may be about keys another process removed


class UnknownKey(LookupError):
    def __init__(self, kid: str) -> None:
        super().__init__(f"no signing key {kid}")
        self.kid = kid


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
        raw = raw_public(self.public_key)
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


class KeyRing:
    """The signing keys in one file (mode 0600): one active private key, retired public keys."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(f".{path.name}.lock")
        self._stamp: tuple[int, int, int] | None = None
        self._keys: dict[str, KeyInfo] = {}
        self._active: tuple[str, Ed25519PrivateKey] | None = None
        self._public: dict[str, Ed25519PublicKey] = {}
        self._token_keys = TokenKeys({})
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
        result = self._token_keys.verify(token, today=today)
        if result.status is Status.INVALID and self._refresh():
            result = self._token_keys.verify(token, today=today)
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
            "public": _b64(raw_public(private.public_key())),
            "private": _b64(raw_private(private)),
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
                if raw_public(private.public_key()) != raw_public(public):
                    raise ValueError(f"{self.path}: key {kid}: private and public do not match")
                active = (kid, private)
        if active is None:
            raise ValueError(f"{self.path}: no active signing key")
        self._keys, self._active, self._stamp = keys, active, stamp
        self._public = {kid: info.public_key for kid, info in keys.items()}
        self._token_keys = TokenKeys(self._public)
