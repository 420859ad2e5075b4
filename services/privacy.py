"""Personal data at rest: field encryption, and secret files only their owner can read.

Document numbers and phone numbers are stored encrypted with Fernet (AES-128-CBC with an
HMAC-SHA256, from `cryptography`). The key comes from the DATA_KEY setting, or is generated into
`DATA_DIR/data.key` (mode 0600) on first use. DATA_KEY may hold several keys separated by
commas: the first encrypts, all of them decrypt, so a key can be replaced without losing what
the old one encrypted (`FieldCipher.rotate` re-encrypts a value with the first key).

`FieldCipher.fingerprint` gives a keyed hash (HMAC-SHA256 with a key derived from the first key)
for finding equal values, such as a document number applying twice, without decrypting.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = [
    "DATA_KEY_FILE",
    "DecryptionError",
    "FieldCipher",
    "load_or_create_key",
    "parse_keys",
    "read_secret_file",
    "write_secret_file",
]

log = logging.getLogger(__name__)

DATA_KEY_FILE = "data.key"


class DecryptionError(ValueError):
    """The value was not encrypted with any of the keys, or was changed since."""


def write_secret_file(path: Path, data: bytes) -> None:
    """Write atomically, readable and writable by the owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise


def read_secret_file(path: Path) -> bytes:
    """Read a secret file, first taking away any access by others that crept in."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("%s was readable by others (mode %o); set to 0600", path, mode)
        path.chmod(0o600)
    return path.read_bytes()


def parse_keys(value: str) -> list[bytes]:
    """Comma-separated Fernet keys (url-safe base64 of 32 bytes); ValueError if one is not."""
    keys = [part.strip().encode("ascii") for part in value.split(",") if part.strip()]
    if not keys:
        raise ValueError("no key given")
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ValueError(
                "each key must be 32 bytes in url-safe base64, as Fernet.generate_key() makes"
            ) from None
    return keys


def load_or_create_key(path: Path) -> bytes:
    """The Fernet key in `path`, generated there (mode 0600) when the file does not exist."""
    try:
        return read_secret_file(path).strip()
    except FileNotFoundError:
        pass
    key = Fernet.generate_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # exclusive create: two processes starting at once end up with one key
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_secret_file(path).strip()
    with os.fdopen(descriptor, "wb") as file:
        file.write(key + b"\n")
        file.flush()
        os.fsync(file.fileno())
    log.info("generated the data encryption key in %s", path)
    return key


class FieldCipher:
    """Encrypts one field value at a time; the text it returns fits a VARCHAR column."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("FieldCipher needs at least one key")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self._hmac_key = hashlib.sha256(b"linkage-fingerprint:" + keys[0]).digest()

    @classmethod
    def from_setting(cls, data_key: str | None, data_dir: Path) -> FieldCipher:
        """Keys from the DATA_KEY setting when given, else the one in DATA_DIR/data.key."""
        if data_key:
            return cls(parse_keys(data_key))
        return cls([load_or_create_key(data_dir / DATA_KEY_FILE)])

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as error:
            raise DecryptionError("cannot decrypt: wrong key or changed value") from error

    def rotate(self, token: str) -> str:
        """The same value encrypted with the first key (after a new key was put first)."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError) as error:
            raise DecryptionError("cannot decrypt: wrong key or changed value") from error

    def fingerprint(self, value: str) -> str:
        """A keyed hash of the value: equal values, equal fingerprints; not reversible."""
        return hmac.new(self._hmac_key, value.encode("utf-8"), hashlib.sha256).hexdigest()
