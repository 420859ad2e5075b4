"""The schema is Alembic's: on SQLite and on PostgreSQL alike, `python -m bot migrate` builds
exactly what the models describe, and running it again changes nothing."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import services.models  # noqa: F401  (registers the tables)
from services.migrate import current_revision, head_revision
from services.storage import Database
from tests.support.running import TOKEN, process_environment


async def migrate(database_url: str, directory: Path) -> str:
    """Run `python -m bot migrate` as a deployment would; returns what it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "migrate",
        cwd=directory,
        env=process_environment(
            BOT_TOKEN=TOKEN, DATABASE_URL=database_url, DATA_DIR=str(directory / "data")
        ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def differences(db: Database) -> list[object]:
    """What Alembic's autogenerate would change to make the database match the models."""
    async with db.engine.connect() as connection:
        found: list[object] = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata)
        )
    return found


async def test_migrations_build_what_the_models_describe(
    each_database: str, tmp_path: Path
) -> None:
    db = Database(each_database)
    try:
        assert await current_revision(db) is None
        said = f"database is at revision {head_revision()}\n"
        assert await migrate(each_database, tmp_path) == said
        assert await current_revision(db) == head_revision()
        assert await differences(db) == []

        assert await migrate(each_database, tmp_path) == said  # a second start changes nothing
        assert await current_revision(db) == head_revision()
        assert await differences(db) == []
    finally:
        await db.close()
