"""Certificates: real Ed25519 signatures, real keys on disk, a real QR code decoded by zxing-cpp."""

from __future__ import annotations

import base64
import io
import json
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from sqlmodel import select

from services.certificate_card import CertificateCard, find_cjk_font, qr_matrix, render_card
from services.certificate_token import Claims, Status, Verifier, decode_token, encode_token
from services.certificates import (
    CertificateNotFound,
    CertificateService,
    Channel,
    Issued,
    china_today,
    token_from_text,
)
from services.identity import DocumentType, InvalidDocument, generate_prc_id
from services.keyring import KEYRING_FILE, KeyInfo, KeyRing
from services.migrate import upgrade_to_head
from services.models import VerificationLog
from services.privacy import DecryptionError, FieldCipher, load_or_create_key
from services.signing import SIGNATURE_BYTES, from_base32, to_base32
from services.storage import Database

STANDARD_EXAMPLE = "11010519491231002X"
BASE_URL = "https://linkage.example.org"
NOW = datetime(2026, 11, 22, 6, 25, tzinfo=UTC)  # 14:25 in Wuzhen
TODAY = date(2026, 11, 22)
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    db: Database
    keys: KeyRing
    service: CertificateService
    clock: Clock
    data_dir: Path


@pytest.fixture
async def world(tmp_path: Path, database_url: str) -> AsyncIterator[World]:
    db = Database(database_url)
    await upgrade_to_head(db)
    keys = KeyRing.open(tmp_path)
    clock = Clock()
    service = CertificateService(db, keys, BASE_URL, clock=clock)
    yield World(db, keys, service, clock, tmp_path)
    await db.close()


async def issue(world: World, check_in: date = TODAY, nights: int = 2, **changes: Any) -> Issued:
    details: dict[str, Any] = {
        "holder_name": "戴美玲",
        "document_type": DocumentType.PRC_ID,
        "document_number": STANDARD_EXAMPLE,
        "hotel_code": "wuzhen-xizha",
        "check_in": check_in,
        "nights": nights,
        **changes,
    }
    return await world.service.issue(**details)


def flip(token: str, index: int) -> str:
    """The token with one character changed to another base32 character."""
    replacement = BASE32[(BASE32.index(token[index]) + 1) % 32]
    return token[:index] + replacement + token[index + 1 :]


async def test_issue_then_verify_is_valid_with_masked_claims_only(world: World) -> None:
    issued = await issue(world)
    assert issued.url == f"{BASE_URL}/v/{issued.token}"
    assert issued.certificate.serial == "C2026-000001"
    assert issued.certificate.valid_until == TODAY + timedelta(days=2)  # the check-out day
    assert issued.certificate.kid == world.keys.active_kid

    result = await world.service.verify(issued.token, Channel.WEB)
    assert result.status is Status.VALID
    assert result.claims == Claims(
        serial="C2026-000001",
        holder="戴*玲",
        document_type=DocumentType.PRC_ID,
        document="110***********002X",
        hotel="wuzhen-xizha",
        valid_from=TODAY,
        valid_until=date(2026, 11, 24),
        issued_at=NOW,
    )
    # the full number is nowhere: not in the token's bytes, not in the row
    raw = base64.b32decode(issued.token + "=" * (-len(issued.token) % 8))
    assert b"19491231" not in raw and b"\xe7\xbe\x8e" not in raw  # nor 美, the hidden character
    assert STANDARD_EXAMPLE not in json.dumps(issued.certificate.model_dump(), default=str)
    # the checkout day still counts; the day after does not
    assert (await world.service.verify(issued.token, today=date(2026, 11, 24))).is_valid


async def test_token_is_compact_and_alphanumeric(world: World) -> None:
    issued = await issue(world)
    assert set(issued.token) <= set(BASE32)
    assert len(issued.token) <= 200
    _matrix, version = qr_matrix(issued.url)
    assert version <= 9  # 53x53 modules at level M


async def test_lower_case_and_whole_links_are_read(world: World) -> None:
    issued = await issue(world)
    assert (await world.service.verify(issued.token.lower())).is_valid
    assert token_from_text(issued.url) == issued.token
    assert token_from_text(f"  {issued.url.lower()}/ ") == issued.token
    assert token_from_text(issued.token.lower()) == issued.token
    assert token_from_text("hello") is None
    assert token_from_text(f"{issued.token[:30]}\n{issued.token[30:]}") == issued.token
    assert token_from_text("Loud karaoke every night near the kindergarten") is None  # 40 letters
    assert token_from_text("https://example.org/") is None


async def test_a_tampered_token_is_invalid_wherever_it_is_changed(world: World) -> None:
    issued = await issue(world)
    token = issued.token
    # version, kid, serial, holder, dates, signature, the very last character
    for index in (0, 3, 12, 20, 60, 100, 150, len(token) - 2, len(token) - 1):
        result = await world.service.verify(flip(token, index))
        assert result.status is Status.INVALID, index
        assert result.claims is None


async def test_truncated_and_garbage_tokens_are_invalid_never_an_error(world: World) -> None:
    issued = await issue(world)
    token = issued.token
    for bad in (
        token[:-1],
        token[:-13],
        token[:40],
        token + "A",
        token + "AAAAAAAA",
        "",
        "   ",
        "hello",
        "!!!!",
        "0189",
        "临时住宿证明",
        "A" * 5000,
        "A" * 200,
        token.replace("A", "8"),
    ):
        result = await world.service.verify(bad, Channel.API)
        assert result.status is Status.INVALID, bad[:30]


async def test_a_token_signed_by_another_key_with_the_same_kid_is_invalid(world: World) -> None:
    issued = await issue(world)
    forger = Ed25519PrivateKey.generate()
    forged = encode_token(issued.claims, forger, kid=world.keys.active_kid)
    assert decode_token(forged).kid == world.keys.active_kid
    assert (await world.service.verify(forged)).status is Status.INVALID


async def test_a_token_with_an_unknown_kid_is_invalid(world: World) -> None:
    issued = await issue(world)
    stranger = Ed25519PrivateKey.generate()
    assert (await world.service.verify(encode_token(issued.claims, stranger))).status is (
        Status.INVALID
    )
    # the right signature bytes under a kid nobody has are not enough either
    assert (await world.service.verify(flip(issued.token, 2))).status is Status.INVALID


async def test_a_signature_made_non_canonical_is_invalid(world: World) -> None:
    """Ed25519 malleability: S + L is the same signature to a lax checker; ours refuses it."""
    issued = await issue(world)
    data = from_base32(issued.token)
    body, signature = data[:-SIGNATURE_BYTES], data[-SIGNATURE_BYTES:]
    order = 2**252 + 27742317777372353535851937790883648493
    s = int.from_bytes(signature[32:], "little") + order
    malleated = to_base32(body + signature[:32] + s.to_bytes(32, "little"))
    assert (await world.service.verify(malleated)).status is Status.INVALID
    assert (await world.service.verify(issued.token)).status is Status.VALID


async def test_an_offline_verifier_ignores_keys_it_cannot_match(world: World) -> None:
    """A JWK set may name a key anything: such a key matches no token, the others still do."""
    jwks = world.keys.jwks()
    stranger = Ed25519PrivateKey.generate().public_key()
    odd = {**jwks["keys"][0], "kid": "not base32!", "x": KeyInfo("X", stranger, NOW).jwk()["x"]}
    verifier = Verifier.from_jwks({"keys": [odd, *jwks["keys"]]})
    claims = Claims("C1", "戴*玲", DocumentType.PRC_ID, "110***2X", "h", TODAY, TODAY, NOW)
    assert verifier.verify(world.keys.sign(claims), today=TODAY).status is Status.VALID
    forged = encode_token(claims, Ed25519PrivateKey.generate())
    assert verifier.verify(forged, today=TODAY).status is Status.INVALID


async def test_expired_and_not_yet_valid_follow_the_injected_clock(world: World) -> None:
    issued = await issue(world, check_in=date(2026, 12, 1), nights=3)
    service = world.service
    assert (await service.verify(issued.token, today=date(2026, 11, 30))).status is (
        Status.NOT_YET_VALID
    )
    assert (await service.verify(issued.token, today=date(2026, 12, 1))).status is Status.VALID
    assert (await service.verify(issued.token, today=date(2026, 12, 4))).status is Status.VALID
    assert (await service.verify(issued.token, today=date(2026, 12, 5))).status is Status.EXPIRED
    # without `today`, the service's clock decides, in China time
    world.clock.now = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 00:30 on 1 December in China
    assert china_today(world.clock.now) == date(2026, 12, 1)
    assert (await service.verify(issued.token)).status is Status.VALID
    world.clock.now = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # 00:00 on 5 December in China
    assert (await service.verify(issued.token)).status is Status.EXPIRED


async def test_revoke_makes_it_revoked_at_once(world: World) -> None:
    issued = await issue(world)
    world.clock.now = NOW + timedelta(hours=1)
    revocation = await world.service.revoke(issued.certificate.serial.lower(), "photo unclear")
    assert revocation.newly
    assert revocation.certificate.revoke_reason == "photo unclear"
    result = await world.service.verify(issued.token)
    assert result.status is Status.REVOKED
    assert result.claims is not None and result.claims.serial == issued.certificate.serial
    assert result.revoked_at == NOW + timedelta(hours=1)
    # a second revocation keeps the first
    again = await world.service.revoke(issued.certificate.serial, "other")
    assert not again.newly and again.certificate.revoke_reason == "photo unclear"
    with pytest.raises(CertificateNotFound):
        await world.service.revoke("C2026-999999", "nope")
    # another certificate is not affected
    other = await issue(world, holder_name="Dai Lingling")
    assert (await world.service.verify(other.token)).is_valid


async def test_issue_refuses_what_the_form_should_have_refused(world: World) -> None:
    with pytest.raises(InvalidDocument):
        await issue(world, document_number=STANDARD_EXAMPLE[:17] + "1")
    with pytest.raises(ValueError):
        await issue(world, nights=31)
    with pytest.raises(ValueError):
        await issue(world, nights=0)
    passport = await issue(world, document_type="passport", document_number="e12345678")
    assert passport.claims.document == "E1*****78"


async def test_rotation_keeps_old_certificates_valid_and_lists_both_keys(world: World) -> None:
    old = await issue(world)
    old_kid = world.keys.active_kid
    new_kid = world.service.rotate_keys()
    assert new_kid != old_kid == old.certificate.kid
    new = await issue(world, holder_name="Dai Lingling")
    assert new.certificate.kid == new_kid

    assert (await world.service.verify(old.token)).is_valid
    assert (await world.service.verify(new.token)).is_valid

    jwks = world.service.jwks()
    assert [key["kid"] for key in jwks["keys"]] == [new_kid, old_kid]
    for key in jwks["keys"]:
        assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA"
        assert len(base64.urlsafe_b64decode(key["x"] + "=")) == 32
        assert "d" not in key  # never a private part

    # offline: the published keys alone verify both
    verifier = Verifier.from_jwks(json.loads(json.dumps(jwks)))
    assert verifier.verify(old.token, today=TODAY).status is Status.VALID
    assert verifier.verify(new.token, today=TODAY).status is Status.VALID

    # the file: owner-only, and the old private key is gone
    path = world.data_dir / KEYRING_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())["keys"]
    assert [entry["private"] is None for entry in stored] == [False, True]


async def test_another_process_sees_a_rotation(world: World) -> None:
    elsewhere = KeyRing.open(world.data_dir)  # as a second bot process sharing DATA_DIR would
    assert elsewhere.active_kid == world.keys.active_kid
    new_kid = world.keys.rotate()
    assert elsewhere.active_kid == new_kid
    issued = await issue(world)
    assert elsewhere.verify(issued.token, today=TODAY).status is Status.VALID


async def test_retired_keys_are_pruned_once_their_certificates_expired(world: World) -> None:
    old = await issue(world, nights=3)
    old_kid = world.keys.active_kid
    world.service.rotate_keys()
    # just retired: a certificate signed as it was rotated may not be in the database yet
    assert await world.service.prune_keys(today=date(2026, 12, 25)) == []
    world.clock.now = NOW + timedelta(hours=2)
    assert await world.service.prune_keys(today=date(2026, 11, 25)) == []  # still in use
    assert (await world.service.verify(old.token)).is_valid
    assert await world.service.prune_keys(today=date(2026, 11, 26)) == [old_kid]
    assert old_kid not in {key["kid"] for key in world.service.jwks()["keys"]}
    assert (await world.service.verify(old.token)).status is Status.INVALID
    with pytest.raises(ValueError):
        world.keys.remove(world.keys.active_kid)


async def test_every_verification_is_logged_without_who_asked(world: World) -> None:
    issued = await issue(world)
    await world.service.verify(issued.token, Channel.WEB)
    await world.service.verify(issued.token, Channel.BOT)
    await world.service.verify("garbage", Channel.API)
    async with world.db.session() as session:
        rows = (await session.exec(select(VerificationLog))).all()
    assert [(row.channel, row.result, row.serial) for row in rows] == [
        ("web", "valid", "C2026-000001"),
        ("bot", "valid", "C2026-000001"),
        ("api", "invalid", None),
    ]
    assert set(VerificationLog.model_fields) == {"id", "at", "channel", "result", "serial"}
    assert await world.service.verification_counts() == {"valid": 2, "invalid": 1}


async def test_the_card_is_a_png_whose_qr_decodes_to_the_exact_url(world: World) -> None:
    issued = await issue(world)
    names = {"en": "Xizha Waterside Inn", "zh": "西栅水岸客栈"}
    png = render_card(CertificateCard.of(issued.certificate, issued.url, names))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.width >= 1000
    [found] = zxingcpp.read_barcodes(image)
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    assert found.text == issued.url
    assert found.ec_level in {"M", "Q", "H"}
    # and a phone-sized photo of it (half the resolution) still reads
    small = image.resize((image.width // 2, image.height // 2))
    assert [b.text for b in zxingcpp.read_barcodes(small)] == [issued.url]
    # the URL goes to the verification that says valid
    assert (await world.service.verify(token_from_text(found.text) or "")).is_valid


def test_a_chinese_font_is_installed_for_cards() -> None:
    font = find_cjk_font()
    assert font is not None, "install fonts-wqy-microhei (or set CARD_FONT)"


def test_claims_outside_the_token_range_are_refused() -> None:
    claims = Claims(
        serial="C2026-000001",
        holder="戴*玲",
        document_type=DocumentType.PRC_ID,
        document="110***********002X",
        hotel="wuzhen-xizha",
        valid_from=TODAY,
        valid_until=TODAY - timedelta(days=1),
        issued_at=NOW,
    )
    with pytest.raises(ValueError):
        encode_token(claims, Ed25519PrivateKey.generate())
    with pytest.raises(ValueError):
        encode_token(
            replace(claims, valid_until=TODAY, holder="x" * 300), Ed25519PrivateKey.generate()
        )


def test_generated_documents_issue_too() -> None:
    assert len(generate_prc_id()) == 18


# --- personal data at rest ------------------------------------------------------------------------


def test_field_cipher_round_trip_with_a_generated_key_file(tmp_path: Path) -> None:
    cipher = FieldCipher.from_setting(None, tmp_path)
    key_file = tmp_path / "data.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    secret = cipher.encrypt(STANDARD_EXAMPLE)
    assert STANDARD_EXAMPLE not in secret and secret != cipher.encrypt(STANDARD_EXAMPLE)
    assert cipher.decrypt(secret) == STANDARD_EXAMPLE
    # the same file gives the same key in the next process
    assert FieldCipher.from_setting(None, tmp_path).decrypt(secret) == STANDARD_EXAMPLE
    assert load_or_create_key(key_file) == key_file.read_bytes().strip()
    # fingerprints find equal values without decrypting
    assert cipher.fingerprint("13800138000") == cipher.fingerprint("13800138000")
    assert cipher.fingerprint("13800138000") != cipher.fingerprint("13800138001")


def test_field_cipher_keys_from_the_setting_rotate(tmp_path: Path) -> None:
    old_text = FieldCipher.from_setting(None, tmp_path / "a").encrypt("13800138000")
    first = (tmp_path / "a" / "data.key").read_text().strip()
    second = FieldCipher.from_setting(None, tmp_path / "b")
    second_key = (tmp_path / "b" / "data.key").read_text().strip()
    both = FieldCipher.from_setting(f"{second_key}, {first}", tmp_path)
    assert both.decrypt(old_text) == "13800138000"
    rotated = both.rotate(old_text)
    assert second.decrypt(rotated) == "13800138000"
    with pytest.raises(DecryptionError):
        second.decrypt(old_text)
    with pytest.raises(DecryptionError):
        both.decrypt("not a token")
    with pytest.raises(ValueError):
        FieldCipher.from_setting("not-a-key", tmp_path)
