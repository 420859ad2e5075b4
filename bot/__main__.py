"""`python -m bot` runs the bot; `migrate` only brings the database up to date; `rotate-keys`
starts signing certificates with a new key (the old ones keep verifying until they expire)."""

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
        choices=["run", "migrate", "rotate-keys"],
        help="run the bot (default) or apply database migrations and exit",
    )
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
        settings = load_settings()  # before the slow imports, so a bad setting fails fast
        from bot.runner import serve

        asyncio.run(serve(settings))
    except SettingsError as error:
        print(f"linkage: {error}", file=sys.stderr)
        return 2
    return 0


def _rotate_keys() -> int:
    from services.signing import KeyRing

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    kid = KeyRing.open(settings.data_dir).rotate()
    print(f"certificates are now signed with key {kid}; older keys still verify")
    return 0


async def _migrate() -> int:
    from services.migrate import upgrade_to_head
    from services.storage import Database

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.effective_database_url)
    try:
        revision = await upgrade_to_head(db)
    finally:
        await db.close()
    print(f"database is at revision {revision}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
