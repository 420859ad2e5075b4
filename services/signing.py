"""Ed25519 for every signed code of Linkage: key ids, the checks, and the base32 codes are
written in.

Certificates (services.certificate_token), live codes (services.live_codes) and mediation
agreements (services.mediation_agreement) are signed with the keys of one key ring
(services.keyring). cryptography makes, stores and uses the private keys; a signature is
checked with libsodium (PyNaCl), which does it in about 60% of OpenSSL's time through
cryptography, and the check is the biggest single cost of the verification API
(bench/README.md, "Verification API"). Both implement RFC 8032; libsodium is the stricter
(it also refuses small-order keys and non-canonical signatures, which we never make).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

__all__ = [
    "KID_BYTES",
    "SIGNATURE_BYTES",
    "SignatureCheck",
    "TokenError",
    "from_base32",
    "kid_bytes",
    "kid_of",
    "raw_private",
    "raw_public",
    "signature_check",
    "to_base32",
]

KID_BYTES = 5
SIGNATURE_BYTES = 64
_BASE32 = re.compile(r"^[A-Z2-7]+$")
_TO_BASE32HEX = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHIJKLMNOPQRSTUV"
)

# (signature, message) -> whether the signature is the key's over the message
SignatureCheck = Callable[[bytes, bytes], bool]


class TokenError(ValueError):
    """Not a well-formed code (says nothing about the signature)."""


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def raw_private(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def kid_bytes(public_key: Ed25519PublicKey) -> bytes:
    """The first 5 bytes of SHA-256 of the raw public key: how a code names its key."""
    return hashlib.sha256(raw_public(public_key)).digest()[:KID_BYTES]


def kid_of(public_key: Ed25519PublicKey) -> str:
    """The key id as written: base32 of `kid_bytes` (8 characters)."""
    return to_base32(kid_bytes(public_key))


def signature_check(public_key: Ed25519PublicKey) -> SignatureCheck:
    """The check of signatures by this key, with libsodium; never raises for a bad one."""
    verify_key = VerifyKey(raw_public(public_key))

    def holds(signature: bytes, message: bytes) -> bool:
        try:
            verify_key.verify(message, signature)
        except (BadSignatureError, ValueError):
            return False
        return True

    return holds


def to_base32(data: bytes) -> str:
    """Unpadded upper-case RFC 4648 base32, as codes are written."""
    return base64.b32encode(data).decode("ascii").rstrip("=")


def from_base32(text: str) -> bytes:
    """The bytes of canonical unpadded base32 (upper case); TokenError if it is not that.

    Read as one integer, which is several times faster than base64.b32decode and encoding
    back to compare."""
    if not _BASE32.fullmatch(text):
        raise TokenError("not base32")
    size, spare = divmod(5 * len(text), 8)
    value = int(text.translate(_TO_BASE32HEX), 32)
    if spare >= 5 or value & ((1 << spare) - 1):  # an impossible length, or unused bits set
        raise TokenError("not canonical base32")
    return (value >> spare).to_bytes(size, "big")
