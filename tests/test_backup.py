"""An operator backs up a running Linkage and restores it elsewhere, on SQLite and PostgreSQL.

Real parts: `python -m bot backup` and `restore` as an operator types them (the passphrase in
BACKUP_PASSPHRASE), the real databases, pg_dump and pg_restore, the keys in DATA_DIR.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.__main__ import main
from services.keyring import KeyRing
from services.migrate import upgrade_to_head
from services.models import Notification, Person
from services.outbox import Outbox, Outgoing
from services.privacy import FieldCipher
from services.storage import Database
from tests.support.running import TOKEN

PASSPHRASE = "correct horse battery staple"


def operator_environment(
    monkeypatch: pytest.MonkeyPatch, database_url: str, data_dir: Path, passphrase: str
) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.setenv("BACKUP_PASSPHRASE", passphrase)
    monkeypatch.chdir(data_dir.parent)  # no stray .env is read


async def a_year_of_work(database_url: str, data_dir: Path) -> FieldCipher:
    """A database with people and a sealed notification; the data key and signing keys."""
    os.makedirs(data_dir, exist_ok=True)
    cipher = FieldCipher.from_setting(None, data_dir)
    KeyRing.open(data_dir)
    db = Database(database_url)
    try:
        await upgrade_to_head(db, lambda: cipher)
        async with db.session() as session:
            session.add(Person(telegram_id=4001, locale="zh"))
            await session.commit()
        await Outbox(db, cipher).send(
            Outgoing(4001, "sendMessage", {"text": "Dai Lingling 11010519491231002X"}, sealed=True)
        )
    finally:
        await db.close()
    return cipher


async def test_backup_and_restore_round_trip(
    each_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request
) -> None:
    office = tmp_path / "office"
    office.mkdir()
    data_dir = office / "data"
    await a_year_of_work(each_database, data_dir)
    keys = {
        path.name: path.read_bytes() for path in data_dir.iterdir() if path.suffix != ".sqlite3"
    }
    operator_environment(monkeypatch, each_database, data_dir, PASSPHRASE)
    backup = office / "nightly.backup"
    assert main(["backup", str(backup)]) == 0
    sealed = backup.read_bytes()
    assert b"11010519491231002X" not in sealed and keys["data.key"].strip() not in sealed
    assert backup.stat().st_mode & 0o077 == 0

    # A new machine: empty DATA_DIR, an empty database of the same kind.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if each_database.startswith("sqlite"):
        target_url = f"sqlite+aiosqlite:///{elsewhere / 'data' / 'linkage.sqlite3'}"
    else:
        target_url = await request.getfixturevalue("postgres_server").create_database()
    operator_environment(monkeypatch, target_url, elsewhere / "data", "not the passphrase")
    assert main(["restore", str(backup)]) == 2  # refused whole; nothing restored
    assert not (elsewhere / "data" / "data.key").exists()
    operator_environment(monkeypatch, target_url, elsewhere / "data", PASSPHRASE)
    assert main(["restore", str(backup)]) == 0

    restored = {
        p.name: p.read_bytes() for p in (elsewhere / "data").iterdir() if p.suffix != ".sqlite3"
    }
    assert restored == keys
    cipher = FieldCipher.from_setting(None, elsewhere / "data")
    db = Database(target_url)
    try:
        async with db.session() as session:
            people = (await session.exec(select(func.count()).select_from(Person))).one()
            [row] = list(await session.exec(select(Notification)))
        assert people == 1
        assert Outbox(db, cipher).opened(row)["text"] == "Dai Lingling 11010519491231002X"
    finally:
        await db.close()


async def test_a_short_passphrase_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'linkage.sqlite3'}"
    await a_year_of_work(url, tmp_path / "data")
    operator_environment(monkeypatch, url, tmp_path / "data", "short")
    assert main(["backup", str(tmp_path / "b.backup")]) == 2
    assert "at least 12 characters" in capsys.readouterr().err
    assert not (tmp_path / "b.backup").exists()
