"""Schema management: Alembic migrations applied at start and by `python -m bot migrate`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from services.privacy import FieldCipher
from services.storage import Database

MIGRATIONS = Path(__file__).with_name("migrations")
LOCK_KEY = 0x4C494E4B  # "LINK": the advisory lock that serialises migrations


def alembic_config(
    connection: Connection | None = None, cipher: Callable[[], FieldCipher] | None = None
) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["cipher"] = cipher  # for migrations that encrypt what was kept plain
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


async def upgrade_to_head(db: Database, cipher: Callable[[], FieldCipher] | None = None) -> str:
    """Bring the schema to the newest revision; returns that revision.

    `cipher` gives the data key's cipher to a migration that must encrypt existing rows; it is
    called only then (a new, empty database needs no key).
    """
    async with db.engine.begin() as connection:
        if not db.is_sqlite:  # several processes start at once: one migrates, the rest wait
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        await connection.run_sync(_upgrade, cipher)
    return head_revision()


async def current_revision(db: Database) -> str | None:
    async with db.engine.connect() as connection:
        return await connection.run_sync(_current)


def _upgrade(connection: Connection, cipher: Callable[[], FieldCipher] | None) -> None:
    command.upgrade(alembic_config(connection, cipher), "head")


def _current(connection: Connection) -> Any:
    return MigrationContext.configure(connection).get_current_revision()
