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
import ctypes
import logging
import os
import sys

# the subcommands, one module per thing they administer
from bot.cli_database import backup, migrate, restore
from bot.cli_keys import api_key, retire_key, rotate_keys
from bot.cli_routing import export_routing, import_grids, import_routing
from bot.settings import Settings, SettingsError, load_settings

M_ARENA_MAX = -8  # glibc's malloc.h
MALLOC_ARENAS = 2


def limit_malloc_arenas(count: int = MALLOC_ARENAS) -> bool:
    """At most `count` glibc malloc arenas for the process's threads; whether the limit was set.

    glibc gives each thread that allocates an arena of its own, up to eight per core, and keeps
    what they held: the database threads (one per aiosqlite connection) and asyncio's executor
    left about 6 MB more with 1,000 forms open than two arenas do (bench/memory.py). Threads
    only wait on SQLite and DNS here, so sharing arenas costs no measurable time.
    MALLOC_ARENA_MAX, when set, is glibc's to apply; other C libraries have nothing to limit."""
    if "MALLOC_ARENA_MAX" in os.environ or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    return bool(libc.mallopt(M_ARENA_MAX, count))


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
            return asyncio.run(migrate())
        if args.command == "rotate-keys":
            return rotate_keys()
        if args.command == "retire-key":
            return asyncio.run(retire_key(args.kid))
        if args.command == "sandbox":
            return asyncio.run(_sandbox(args))
        if args.command == "backup":
            return backup(args.kid)
        if args.command == "restore":
            return restore(args.kid)
        if args.command == "api-key":
            return asyncio.run(api_key(args.kid, args.name))
        if args.command == "import-grids":
            return import_grids(args)
        if args.command == "import-routing":
            return asyncio.run(import_routing(args.kid))
        if args.command == "export-routing":
            return export_routing(args.output)
        if args.command == "doctor":
            return asyncio.run(doctor(load_settings()))
        settings = load_settings()  # before the slow imports, so a bad setting fails fast
        limit_malloc_arenas()  # before any thread starts
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


if __name__ == "__main__":
    sys.exit(main())
