"""Schema management: Alembic migrations applied at start and by `python -m bot migrate`."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from services.privacy import FieldCipher
from services.storage import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
LOCK_KEY = 0x4C494E4B  # "LINK": the advisory lock that serialises migrations


def alembic_config(
    connection: Connection | None = None, cipher: Callable[[], FieldCipher] | None = None
) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["cipher"] = cipher  # for migrations that encrypt what was kept plain
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


async def upgrade_to_head(db: Database, cipher: Callable[[], FieldCipher] | None = None) -> str:
    """Bring the schema to the newest revision; returns that revision.

    `cipher` gives the data key's cipher to a migration that must encrypt existing rows; it is
    called only then (a new, empty database needs no key). A database already at the head,
    as at almost every start, is left alone without loading Alembic and every migration
    module (about 14 MB the bot would keep for nothing).
    """
    heads = _heads_in_files()
    if heads is not None and await _stored_revisions(db) == heads:
        [head] = heads
        return head
    async with db.engine.begin() as connection:
        if not db.is_sqlite:  # several processes start at once: one migrates, the rest wait
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        await connection.run_sync(_upgrade, cipher)
    return head_revision()


async def current_revision(db: Database) -> str | None:
    async with db.engine.connect() as connection:
        return await connection.run_sync(_current)


def _upgrade(connection: Connection, cipher: Callable[[], FieldCipher] | None) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection, cipher), "head")


def _current(connection: Connection) -> Any:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _heads_in_files() -> set[str] | None:
    """The one head revision of the migration files, read as Alembic reads them (`revision`
    and `down_revision` in each file) without importing them; None if that is not plain
    (not exactly one head, or a value that is not a literal): then Alembic decides."""
    revisions: set[str] = set()
    below: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        values: dict[str, Any] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target: ast.expr
            value: ast.expr | None
            if isinstance(node, ast.AnnAssign):
                target, value = node.target, node.value
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in {"revision", "down_revision"}:
                try:
                    values[target.id] = ast.literal_eval(value) if value is not None else None
                except ValueError:
                    return None
        revision, down = values.get("revision"), values.get("down_revision")
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        below.update([down] if isinstance(down, str) else down or ())
    heads = revisions - below
    return heads if len(heads) == 1 else None


async def _stored_revisions(db: Database) -> set[str] | None:
    """The revisions alembic_version holds; None for a database never migrated."""
    try:
        async with db.engine.connect() as connection:
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return {str(row[0]) for row in rows}
    except DBAPIError:
        return None
