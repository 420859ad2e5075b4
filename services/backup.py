"""Backups: the database and the keys in DATA_DIR, in one file encrypted with a passphrase.

The database is copied while the bot runs: PostgreSQL by pg_dump (one consistent snapshot),
SQLite through its online backup API (a consistent copy even while another connection writes).
The keys (the data key that opens personal data, the signing keys) travel with it: a backup
without them could not be read, and one with them must not be readable without the passphrase.

File format: a header line, a 16-byte salt, a 12-byte nonce, then the tar archive sealed with
AES-256-GCM under a key derived from the passphrase by scrypt (cryptography's primitives). A
wrong passphrase or a changed byte is refused as a whole.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy.engine import make_url

HEADER = b"LINKAGE-BACKUP-1\n"
SALT_BYTES, NONCE_BYTES = 16, 12
MANIFEST = "manifest.json"
SQLITE_COPY = "database.sqlite3"
POSTGRES_DUMP = "database.pgdump"
DATA = "data/"  # DATA_DIR's files in the archive
MIN_PASSPHRASE = 12


class BackupError(Exception):
    """Something an operator must fix; the message says what."""


@dataclass(frozen=True)
class Manifest:
    database: str  # "sqlite" or "postgresql"
    created_at: str
    files: list[str]


def derive_key(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode("utf-8"))


def seal(archive: bytes, passphrase: str) -> bytes:
    if len(passphrase) < MIN_PASSPHRASE:
        raise BackupError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")
    salt, nonce = os.urandom(SALT_BYTES), os.urandom(NONCE_BYTES)
    sealed = AESGCM(derive_key(passphrase, salt)).encrypt(nonce, archive, HEADER)
    return HEADER + salt + nonce + sealed


def unseal(blob: bytes, passphrase: str) -> bytes:
    if not blob.startswith(HEADER):
        raise BackupError("this is not a Linkage backup file")
    body = blob[len(HEADER) :]
    salt, nonce, sealed = body[:SALT_BYTES], body[SALT_BYTES : SALT_BYTES + NONCE_BYTES], body[28:]
    try:
        return AESGCM(derive_key(passphrase, salt)).decrypt(nonce, sealed, HEADER)
    except InvalidTag:
        raise BackupError("wrong passphrase, or the backup file was changed") from None


def is_sqlite(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "sqlite"


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database:
        raise BackupError("DATABASE_URL names no SQLite file")
    return Path(database)


def _libpq_url(database_url: str) -> str:
    """pg_dump's spelling of the same database (no "+asyncpg")."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _postgres_tool(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)),
        None,
    )
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt install postgresql-client)")
    return found


def _run(command: list[str], what: str) -> bytes:
    done = subprocess.run(command, capture_output=True, check=False)
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        raise BackupError(f"{what} failed: {said[-1] if said else done.returncode}")
    return done.stdout


def dump_database(database_url: str) -> tuple[str, bytes]:
    if is_sqlite(database_url):
        source = _sqlite_path(database_url)
        if not source.is_file():
            raise BackupError(f"there is no database at {source}")
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / SQLITE_COPY
            with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(copy)) as into:
                live.backup(into)  # the online backup API: consistent while the bot writes
            return SQLITE_COPY, copy.read_bytes()
    dump = _run(
        [
            _postgres_tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--dbname",
            _libpq_url(database_url),
        ],
        "pg_dump",
    )
    return POSTGRES_DUMP, dump


def _data_files(data_dir: Path, database_url: str) -> list[Path]:
    """DATA_DIR's files (keys, cards waiting to be sent), not the SQLite file itself."""
    skip: set[Path] = set()
    if is_sqlite(database_url):
        live = _sqlite_path(database_url).resolve()
        skip = {live, Path(f"{live}-wal"), Path(f"{live}-shm"), Path(f"{live}-journal")}
    return sorted(
        path
        for path in data_dir.rglob("*")
        if path.is_file() and path.resolve() not in skip and "sandbox" not in path.parts
    )


def make_backup(database_url: str, data_dir: Path, passphrase: str) -> bytes:
    name, database = dump_database(database_url)
    files = _data_files(data_dir, database_url)
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        manifest = Manifest(
            database="sqlite" if is_sqlite(database_url) else "postgresql",
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            files=[str(path.relative_to(data_dir)) for path in files],
        )
        _add(tar, MANIFEST, json.dumps(manifest.__dict__).encode())
        _add(tar, name, database)
        for path in files:
            _add(tar, DATA + str(path.relative_to(data_dir)), path.read_bytes())
    return seal(archive.getvalue(), passphrase)


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o600
    tar.addfile(info, io.BytesIO(data))


def restore_backup(blob: bytes, passphrase: str, database_url: str, data_dir: Path) -> Manifest:
    """Put the database and DATA_DIR's files back. Stop the bot first: the database is
    replaced as a whole (SQLite: the file; PostgreSQL: every object the dump holds)."""
    with tarfile.open(fileobj=io.BytesIO(unseal(blob, passphrase)), mode="r") as tar:
        members = {member.name: member for member in tar.getmembers()}
        manifest = Manifest(**json.loads(_read(tar, members[MANIFEST])))
        wanted = "sqlite" if is_sqlite(database_url) else "postgresql"
        if manifest.database != wanted:
            raise BackupError(
                f"this backup holds a {manifest.database} database and DATABASE_URL names a "
                f"{wanted} one"
            )
        if wanted == "sqlite":
            _restore_sqlite(_read(tar, members[SQLITE_COPY]), _sqlite_path(database_url))
        else:
            _restore_postgres(_read(tar, members[POSTGRES_DUMP]), database_url)
        data_dir.mkdir(parents=True, exist_ok=True)
        root = data_dir.resolve()
        for relative in manifest.files:
            target = (data_dir / relative).resolve()
            if not target.is_relative_to(root):  # never outside DATA_DIR
                raise BackupError(f"the backup names a file outside DATA_DIR: {relative}")
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_private(target, _read(tar, members[DATA + relative]))
    return manifest


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    extracted = tar.extractfile(member)
    if extracted is None:
        raise BackupError(f"the backup's {member.name} is not a file")
    return extracted.read()


def _write_private(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.restoring")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)


def _restore_sqlite(copy: bytes, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)  # they belong to the database being replaced
    _write_private(target, copy)


def _restore_postgres(dump: bytes, database_url: str) -> None:
    with tempfile.NamedTemporaryFile(suffix=".pgdump") as file:
        file.write(dump)
        file.flush()
        _run(
            [
                _postgres_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                _libpq_url(database_url),
                file.name,
            ],
            "pg_restore",
        )
