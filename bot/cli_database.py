"""`python -m bot migrate`, `backup [FILE]` and `restore FILE`: the database (and, for a backup,
the keys in DATA_DIR) looked after from the command line (bot/__main__.py dispatches here).
"""

from __future__ import annotations

import sys

from bot.settings import SettingsError, load_settings


def _passphrase(confirm: bool) -> str:
    import getpass
    import os

    given = os.environ.get("BACKUP_PASSPHRASE")
    if given:
        return given
    if not sys.stdin.isatty():
        raise SettingsError("BACKUP_PASSPHRASE is not set (and there is no terminal to ask)")
    passphrase = getpass.getpass("Backup passphrase: ")
    if confirm and getpass.getpass("The same again: ") != passphrase:
        raise SettingsError("the two passphrases differ")
    return passphrase


def backup(file: str | None) -> int:
    from datetime import datetime
    from pathlib import Path

    from services.backup import BackupError, make_backup

    settings = load_settings()
    target = Path(file or f"linkage-{datetime.now():%Y%m%d-%H%M%S}.backup")
    try:
        blob = make_backup(settings.effective_database_url, settings.data_dir, _passphrase(True))
    except BackupError as error:
        raise SettingsError(f"backup: {error}") from None
    partial = target.with_name(f".{target.name}.partial")
    partial.write_bytes(blob)
    partial.chmod(0o600)
    partial.replace(target)
    print(f"backup written to {target} ({len(blob)} bytes); keep the passphrase apart from it")
    return 0


def restore(file: str | None) -> int:
    from pathlib import Path

    from services.backup import BackupError, restore_backup

    settings = load_settings()
    if not file or not Path(file).is_file():
        raise SettingsError("say which backup to restore: python -m bot restore FILE")
    try:
        manifest = restore_backup(
            Path(file).read_bytes(),
            _passphrase(False),
            settings.effective_database_url,
            settings.data_dir,
        )
    except BackupError as error:
        raise SettingsError(f"restore: {error}") from None
    print(
        f"restored the {manifest.database} database and {len(manifest.files)} files of DATA_DIR "
        f"from the backup of {manifest.created_at}"
    )
    return 0


async def migrate() -> int:
    from services.migrate import upgrade_to_head
    from services.privacy import FieldCipher
    from services.storage import Database

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.effective_database_url)
    data_key = settings.data_key.get_secret_value() if settings.data_key else None
    try:
        revision = await upgrade_to_head(
            db, lambda: FieldCipher.from_setting(data_key, settings.data_dir)
        )
    finally:
        await db.close()
    print(f"database is at revision {revision}")
    return 0
