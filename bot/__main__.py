"""`python -m bot` runs the bot; `migrate` only brings the database up to date; `rotate-keys`
starts signing certificates with a new key (the old ones keep verifying until they expire);
`retire-key KID` forgets a key at once, as after a leak (what it signed is invalid from the next
check; the key signing now is first replaced); `sandbox` runs the bot against a local Telegram
with every role on one web page, no token needed; `backup [FILE]` writes the database and the keys
in DATA_DIR to one file encrypted with BACKUP_PASSPHRASE (asked for when unset) and `restore
FILE` puts them back (stop the bot first); `api-key create NAME` makes an Open311 API key (shown
once), `api-key list` lists them, `api-key revoke NAME` stops one at once."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.settings import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=[
            "run",
            "migrate",
            "rotate-keys",
            "retire-key",
            "sandbox",
            "backup",
            "restore",
            "api-key",
        ],
        help="run the bot (default), apply database migrations and exit, rotate the signing "
        "key, retire a key, try it all in a browser (sandbox), back up or restore, or manage "
        "Open311 API keys",
    )
    parser.add_argument(
        "kid",
        nargs="?",
        help="retire-key: the id of the key to retire; backup: the file to write "
        "(default linkage-YYYYmmdd-HHMMSS.backup); restore: the file to read; api-key: create, "
        "list or revoke",
    )
    parser.add_argument("name", nargs="?", help="api-key create/revoke: the client's name")
    sandbox = parser.add_argument_group("sandbox")
    sandbox.add_argument("--host", default="127.0.0.1", help="address of the sandbox page")
    sandbox.add_argument("--port", type=int, default=8080, help="port of the page (8080)")
    sandbox.add_argument("--api-port", type=int, help="port of its Bot API server (port + 1)")
    sandbox.add_argument("--web-port", type=int, help="port of the bot's web server (port + 2)")
    sandbox.add_argument(
        "--data-dir",
        default="./data/sandbox",
        help="made by the sandbox and wiped at every start; a folder it did not make is refused",
    )
    sandbox.add_argument("--locale", choices=["en", "zh"], default="en", help="first language")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        if args.command == "migrate":
            return asyncio.run(_migrate())
        if args.command == "rotate-keys":
            return _rotate_keys()
        if args.command == "retire-key":
            return asyncio.run(_retire_key(args.kid))
        if args.command == "sandbox":
            return asyncio.run(_sandbox(args))
        if args.command == "backup":
            return _backup(args.kid)
        if args.command == "restore":
            return _restore(args.kid)
        if args.command == "api-key":
            return asyncio.run(_api_key(args.kid, args.name))
        settings = load_settings()  # before the slow imports, so a bad setting fails fast
        from bot.logs import configure_logging
        from bot.runner import serve

        configure_logging(settings.log_format)

        asyncio.run(serve(settings))
    except SettingsError as error:
        print(f"linkage: {error}", file=sys.stderr)
        return 2
    return 0


async def _sandbox(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.runner import stop_on_signals
    from bot.sandbox.runtime import SandboxConfig, run_sandbox

    config = SandboxConfig(
        host=args.host,
        port=args.port,
        api_port=args.api_port or args.port + 1,
        web_port=args.web_port or args.port + 2,
        data_dir=Path(args.data_dir),
        default_locale=args.locale,
    )
    stop = asyncio.Event()
    stop_on_signals(stop)
    try:
        await run_sandbox(config, stop)
    except OSError as error:
        ports = f"{config.port}, {config.api_port} and {config.web_port}"
        raise SettingsError(
            f"the sandbox cannot listen on {config.host}, ports {ports} ({error.strerror}); "
            "another program may use them: choose others with --port"
        ) from None
    return 0


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


def _backup(file: str | None) -> int:
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


def _restore(file: str | None) -> int:
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


def _rotate_keys() -> int:
    from services.signing import KeyRing

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    kid = KeyRing.open(settings.data_dir).rotate()
    print(f"certificates are now signed with key {kid}; older keys still verify")
    return 0


async def _retire_key(kid: str | None) -> int:
    from services.certificates import CertificateService
    from services.signing import KEYRING_FILE, KeyRing, UnknownKey
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


async def _api_key(action: str | None, name: str | None) -> int:
    from services.api_keys import ApiKeyError, ApiKeys
    from services.storage import Database

    if action not in ("create", "list", "revoke") or (action != "list" and not name):
        raise SettingsError(
            "say what to do: python -m bot api-key create NAME, api-key list, "
            "or api-key revoke NAME"
        )
    settings = load_settings()
    await _migrate()
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


async def _migrate() -> int:
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


if __name__ == "__main__":
    sys.exit(main())
