"""`python -m bot rotate-keys`, `retire-key KID` and `api-key create|list|revoke`: the keys that
sign certificates and the keys Open311 clients call with (bot/__main__.py dispatches here).
"""

from __future__ import annotations

from bot.cli_database import migrate
from bot.settings import SettingsError, load_settings


def rotate_keys() -> int:
    from services.keyring import KeyRing

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    kid = KeyRing.open(settings.data_dir).rotate()
    print(f"certificates are now signed with key {kid}; older keys still verify")
    return 0


async def retire_key(kid: str | None) -> int:
    from services.certificates import CertificateService
    from services.keyring import KEYRING_FILE, KeyRing, UnknownKey
    from services.storage import Database

    settings = load_settings()
    if not kid:
        raise SettingsError(
            "say which key to retire: python -m bot retire-key KID (the kids are in "
            "/.well-known/linkage-keys.json)"
        )
    if not (settings.data_dir / KEYRING_FILE).is_file():
        raise SettingsError(f"there are no signing keys in DATA_DIR ({settings.data_dir})")
    keys = KeyRing.open(settings.data_dir)
    db = Database(settings.effective_database_url)
    certificates = CertificateService(db, keys, settings.effective_public_base_url)
    try:
        retired = await certificates.retire_key(kid)
    except UnknownKey:
        kids = [f"{key.kid} (signing)" if key.active else key.kid for key in keys.list_keys()]
        raise SettingsError(
            f"there is no signing key {kid}; the keys are: {', '.join(kids)}"
        ) from None
    finally:
        await db.close()
    if retired.replaced_by:
        print(f"certificates are now signed with a new key {retired.replaced_by}")
    serials = retired.still_in_use
    if not serials:
        print(f"key {retired.kid} is retired: no certificate it signed is still in use")
    elif len(serials) == 1:
        print(
            f"key {retired.kid} is retired: the 1 certificate it signed that is still in use is "
            f"invalid from now on; issue it again: {serials[0]}"
        )
    else:
        print(
            f"key {retired.kid} is retired: the {len(serials)} certificates it signed that are "
            f"still in use are invalid from now on; issue them again: {', '.join(serials)}"
        )
    return 0


async def api_key(action: str | None, name: str | None) -> int:
    from services.api_keys import ApiKeyError, ApiKeys
    from services.storage import Database

    if action not in ("create", "list", "revoke") or (action != "list" and not name):
        raise SettingsError(
            "say what to do: python -m bot api-key create NAME, api-key list, "
            "or api-key revoke NAME"
        )
    settings = load_settings()
    await migrate()
    db = Database(settings.effective_database_url)
    keys = ApiKeys(db)
    try:
        if action == "create":
            assert name is not None
            key = await keys.create(name)
            print(f"API key for {name} (shown only now; keep it secret):\n{key}")
        elif action == "revoke":
            assert name is not None
            await keys.revoke(name)
            print(f"the API key of {name} is revoked: its requests are refused from now on")
        else:
            for row in await keys.list():
                state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
                print(f"{row.name}\tmade {row.created_at:%Y-%m-%d}\t{state}")
    except ApiKeyError as failure:
        raise SettingsError(str(failure)) from None
    finally:
        await db.close()
    return 0
