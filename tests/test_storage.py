"""The schema is Alembic's: migrations build exactly what the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import services.models  # noqa: F401  (registers the tables)
from services.migrate import current_revision, head_revision, upgrade_to_head
from services.storage import Database


async def test_migrations_build_what_the_models_describe(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}")
    try:
        assert await current_revision(db) is None
        assert await upgrade_to_head(db) == head_revision()
        assert await current_revision(db) == head_revision()
        async with db.engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata)
            )
        assert differences == []
        assert await upgrade_to_head(db) == head_revision()  # a second start changes nothing
    finally:
        await db.close()
