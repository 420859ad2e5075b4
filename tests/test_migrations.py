"""The schema is Alembic's: on SQLite and on PostgreSQL alike, `python -m bot migrate` builds
exactly what the models describe, and running it again changes nothing."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel, select

import services.models  # noqa: F401  (registers the tables)
from services.migrate import alembic_config, current_revision, head_revision, upgrade_to_head
from services.models import Application
from services.privacy import FieldCipher
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


async def at_revision(db: Database, revision: str) -> None:
    async with db.engine.begin() as connection:
        await connection.run_sync(
            lambda sync: command.upgrade(alembic_config(sync), revision)  # type: ignore[arg-type]
        )


async def test_0009_encrypts_the_personal_data_of_applications_already_there(
    each_database: str, tmp_path: Path
) -> None:
    """Rows written before 0009 kept name, birth date and selfie plain: 0009 encrypts them with
    the bot's key, refuses without it, and on SQLite leaves no plain copy in the file."""
    cipher = FieldCipher([Fernet.generate_key()])
    db = Database(each_database)
    try:
        await at_revision(db, "0008")
        async with db.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO application (tourist_id, tourist_locale, full_name, document_type,"
                    " document_number_encrypted, birth_date, phone_encrypted, hotel_code,"
                    " check_in, nights, selfie_file_id, status, submitted_at) VALUES (4001, 'en',"
                    " 'Dai Lingling', 'prc_id', :number, :born, :phone, 'wuzhen-xizha', :day, 2,"
                    " 'AgACAgselfie-file-id', 'submitted', :now)"
                ),
                {
                    "number": cipher.encrypt("11010519491231002X"),
                    "phone": cipher.encrypt("+86 138 0013 8000"),
                    "born": date(1949, 12, 31),
                    "day": date(2026, 12, 1),
                    "now": datetime(2026, 12, 1, tzinfo=UTC),
                },
            )

        if each_database.startswith("sqlite"):  # the search below sees the file's contents
            assert b"Dai Lingling" in sqlite_bytes(each_database)
        with pytest.raises(RuntimeError, match="needs the data key"):
            await upgrade_to_head(db)
        assert await current_revision(db) == "0008"  # nothing was changed

        await upgrade_to_head(db, lambda: cipher)
        assert await current_revision(db) == head_revision()
        assert await differences(db) == []
        async with db.session() as session:
            [application] = await session.exec(select(Application))
        assert cipher.decrypt(application.full_name_encrypted) == "Dai Lingling"
        assert application.birth_date_encrypted is not None
        assert cipher.decrypt(application.birth_date_encrypted) == "1949-12-31"
        assert cipher.decrypt(application.selfie_file_id_encrypted) == "AgACAgselfie-file-id"
    finally:
        await db.close()
    left = sqlite_bytes(each_database)  # freed cells zeroed (secure_delete), nothing kept
    assert b"Dai Lingling" not in left and b"AgACAgselfie-file-id" not in left


def sqlite_bytes(url: str) -> bytes:
    """A SQLite database's file with its write-ahead log; nothing for PostgreSQL."""
    database = make_url(url).database
    if not url.startswith("sqlite") or not database:
        return b""
    return b"".join(path.read_bytes() for path in Path(database).parent.glob("linkage.sqlite3*"))
