"""`python -m bot` runs the bot; `migrate` only brings the database up to date; `rotate-keys`
starts signing certificates with a new key (the old ones keep verifying until they expire);
`retire-key KID` forgets a key at once, as after a leak (what it signed is invalid from the next
check; the key signing now is first replaced); `sandbox` runs the bot against a local Telegram
with every role on one web page, no token needed; `backup [FILE]` writes the database and the keys
in DATA_DIR to one file encrypted with BACKUP_PASSPHRASE (asked for when unset) and `restore
FILE` puts them back (stop the bot first); `api-key create NAME` makes an Open311 API key (shown
once), `api-key list` lists them, `api-key revoke NAME` stops one at once; `import-grids FILE`
merges the grids of a GIS export (GeoJSON, Shapefile, GeoPackage) into the routing data in the
database (every running bot follows within ROUTING_POLL_SECONDS), or into a routing file with
--output; `import-routing FILE` replaces the stored communities and grids with a routing file's;
`export-routing` writes the routing data as a routing file; `doctor` checks that every configured
chat is ready (the bot a member, an administrator with "Manage topics" where topics are used, able
to read and to send) and says how to fix each problem."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from bot.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from services.grid_import import Fields
    from services.routing_store import RoutingStore


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
            "import-grids",
            "import-routing",
            "export-routing",
            "doctor",
        ],
        help="run the bot (default), apply database migrations and exit, rotate the signing "
        "key, retire a key, try it all in a browser (sandbox), back up or restore, manage "
        "Open311 API keys, import grids from GIS, export the routing data, or check that every "
        "configured chat is ready (doctor)",
    )
    parser.add_argument(
        "kid",
        nargs="?",
        help="retire-key: the id of the key to retire; backup: the file to write "
        "(default linkage-YYYYmmdd-HHMMSS.backup); restore: the file to read; api-key: create, "
        "list or revoke; import-grids, import-routing: the file",
    )
    parser.add_argument("name", nargs="?", help="api-key create/revoke: the client's name")
    grids = parser.add_argument_group("import-grids")
    grids.add_argument("--code-field", default="code", help="attribute with the grid's code")
    grids.add_argument("--name-zh-field", help="attribute with its Chinese name")
    grids.add_argument("--name-en-field", help="attribute with its English name")
    grids.add_argument("--community-field", help="attribute with its community's code")
    grids.add_argument(
        "--community", default="imported", help="community of grids the file gives none"
    )
    grids.add_argument(
        "--crs",
        help="coordinate system of the file: EPSG:4490 (CGCS2000), EPSG:4549, GCJ-02 ... "
        "(default: the file's own, else WGS-84)",
    )
    grids.add_argument("--layer", help="the layer to read (GeoPackage)")
    grids.add_argument(
        "--routing",
        help="with --output: the routing file to merge into (default: ROUTING_FILE, else the "
        "sample)",
    )
    grids.add_argument(
        "--output",
        help="write a routing file there instead of changing the database (export-routing: "
        "default standard output)",
    )
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
        if args.command == "import-grids":
            return _import_grids(args)
        if args.command == "import-routing":
            return asyncio.run(_import_routing(args.kid))
        if args.command == "export-routing":
            return _export_routing(args.output)
        if args.command == "doctor":
            return asyncio.run(doctor(load_settings()))
        settings = load_settings()  # before the slow imports, so a bad setting fails fast
        from bot.logs import configure_logging
        from bot.runner import serve

        configure_logging(settings.log_format)

        asyncio.run(serve(settings))
    except SettingsError as error:
        print(f"linkage: {error}", file=sys.stderr)
        return 2
    return 0


async def doctor(settings: Settings) -> int:
    """Each problem of each configured chat on a line of its own; 1 if there is any.

    The chats are those of the routing in use: the database's once stored, else the file's."""
    from bot.doctor import configured_chats, diagnose, routing_in_use
    from bot.factory import build_bot
    from services.routing_file import RoutingError

    try:
        routing, source = await routing_in_use(settings)
    except RoutingError as error:
        raise SettingsError(f"the routing data is invalid: {error}") from None
    bot = build_bot(settings)
    try:
        problems = await diagnose(bot, settings, routing)
    finally:
        await bot.session.close()
    for problem in problems:
        print(problem)
    if problems:
        return 1
    count = len(configured_chats(settings, routing))
    print(f"every configured chat is ready ({count} chats, from {source})")
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


def _import_grids(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from services.grid_import import GridImportError, merge_grids, read_features, to_wgs84
    from services.routing import load_routing
    from services.routing_export import dump_routing, routing_document
    from services.routing_file import RoutingError, routing_from_data

    if not args.kid:
        raise SettingsError("say which file to import: python -m bot import-grids FILE")
    if not args.output:
        return asyncio.run(_import_grids_into_database(args))
    routing_file = args.routing or os.environ.get("ROUTING_FILE")
    output = args.output
    try:
        current = load_routing(Path(routing_file) if routing_file else None, None)
        features, file_crs = read_features(Path(args.kid), args.layer)
        transform = to_wgs84(args.crs or file_crs or "EPSG:4326")
        merged, report = merge_grids(
            routing_document(current), features, _grid_fields(args), transform
        )
        routing_from_data(merged, Path(output).name, None)  # the whole checked once more
    except (GridImportError, RoutingError) as error:
        raise SettingsError(str(error)) from None
    Path(output).write_text(dump_routing(merged), encoding="utf-8")
    for line in report.lines():
        print(line)
    print(f"wrote {output}")
    return 0


def _grid_fields(args: argparse.Namespace) -> Fields:
    from services.grid_import import Fields

    return Fields(
        args.code_field,
        args.name_zh_field,
        args.name_en_field,
        args.community_field,
        args.community,
    )


async def _import_grids_into_database(args: argparse.Namespace) -> int:
    from pathlib import Path

    from services.grid_import import GridImportError, merge_grids, read_features, to_wgs84
    from services.routing_file import RoutingError

    settings = load_settings()
    async with _routing_store(settings) as store:
        try:
            features, file_crs = read_features(Path(args.kid), args.layer)
            transform = to_wgs84(args.crs or file_crs or "EPSG:4326")
            _, document = await store.document()
            merged, report = merge_grids(document, features, _grid_fields(args), transform)
            note = f"import-grids {Path(args.kid).name}: {report.lines()[0]}"
            version = await store.save(merged, note)
        except (GridImportError, RoutingError) as error:
            raise SettingsError(str(error)) from None
    for line in report.lines():
        print(line)
    print(
        f"routing data at version {version}: running bots follow within "
        f"{settings.routing_poll_seconds:g} s"
    )
    return 0


async def _import_routing(file: str | None) -> int:
    from pathlib import Path

    from services.routing import load_routing
    from services.routing_export import routing_document
    from services.routing_file import RoutingError

    if not file:
        raise SettingsError("say which routing file: python -m bot import-routing FILE")
    settings = load_settings()
    try:
        routing = load_routing(Path(file), settings.staff_chat_id)
    except RoutingError as error:
        raise SettingsError(str(error)) from None
    async with _routing_store(settings) as store:
        _, document = await store.document()
        document["communities"] = routing_document(routing)["communities"]
        version = await store.save(document, f"import-routing {Path(file).name}")
    print(
        f"{len(routing.communities)} communities and {len(routing.grids)} grids from {file}; "
        f"routing data at version {version}"
    )
    return 0


def _export_routing(output: str | None) -> int:
    from pathlib import Path

    from services.routing_export import dump_routing

    version, document = asyncio.run(_stored_document())
    text = f"# exported from the routing data at version {version}\n" + dump_routing(document)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        print(f"wrote {output}")
    else:
        sys.stdout.write(text)
    return 0


async def _stored_document() -> tuple[int, dict[str, Any]]:
    async with _routing_store(load_settings()) as store:
        return await store.document()


@contextlib.asynccontextmanager
async def _routing_store(settings: Settings) -> AsyncIterator[RoutingStore]:
    """The routing data in the bot's database, migrated and seeded from ROUTING_FILE first."""
    from services.migrate import upgrade_to_head
    from services.privacy import FieldCipher
    from services.routing import load_routing
    from services.routing_file import RoutingError
    from services.routing_store import RoutingStore
    from services.storage import Database

    try:
        base = load_routing(settings.routing_file, settings.staff_chat_id)
    except RoutingError as error:
        raise SettingsError(f"ROUTING_FILE is invalid: {error}") from None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.effective_database_url)
    data_key = settings.data_key.get_secret_value() if settings.data_key else None
    try:
        await upgrade_to_head(db, lambda: FieldCipher.from_setting(data_key, settings.data_dir))
        store = RoutingStore(db, base)
        await store.seed()
        yield store
    finally:
        await db.close()


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
