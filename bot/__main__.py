"""`python -m bot` runs the bot; `migrate` only brings the database up to date; `rotate-keys`
starts signing certificates with a new key (the old ones keep verifying until they expire);
`retire-key KID` forgets a key at once, as after a leak (what it signed is invalid from the next
check; the key signing now is first replaced); `sandbox` runs the bot against a local Telegram
with every role on one web page, no token needed; `doctor` checks that every configured chat is
ready (the bot a member, an administrator with "Manage topics" where topics are used, able to read
and to send) and says how to fix each problem."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.settings import Settings, SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "migrate", "rotate-keys", "retire-key", "sandbox", "doctor"],
        help="run the bot (default), apply database migrations and exit, rotate the signing "
        "key, retire a key, try it all in a browser (sandbox), or check that every configured "
        "chat is ready (doctor)",
    )
    parser.add_argument("kid", nargs="?", help="retire-key: the id of the key to retire")
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
        if args.command == "doctor":
            return asyncio.run(doctor(load_settings()))
        settings = load_settings()  # before the slow imports, so a bad setting fails fast
        from bot.runner import serve

        asyncio.run(serve(settings))
    except SettingsError as error:
        print(f"linkage: {error}", file=sys.stderr)
        return 2
    return 0


async def doctor(settings: Settings) -> int:
    """Each problem of each configured chat on a line of its own; 1 if there is any."""
    from bot.doctor import configured_chats, diagnose
    from bot.factory import build_bot
    from services.routing import RoutingError, load_routing

    try:
        routing = load_routing(settings.routing_file, settings.staff_chat_id)
    except RoutingError as error:
        raise SettingsError(f"ROUTING_FILE is invalid: {error}") from None
    bot = build_bot(settings)
    try:
        problems = await diagnose(bot, settings, routing)
    finally:
        await bot.session.close()
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"every configured chat is ready ({len(configured_chats(settings, routing))} chats)")
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
