"""Files the bot made for a notification (a certificate card), kept in DATA_DIR, not in its row.

A card is some 50 kB; as base64 in the outbox it would stay in the database (and every backup)
as long as the row does. Here it is a file named by a random id, encrypted with the data key
(the card shows a masked name and document), read by the sender just before the call and
deleted by `sweep` once no notification that still may be sent names it.
"""

from __future__ import annotations

import base64
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from services.privacy import FieldCipher

FILE_REF = "file:"  # a parameter naming a stored file: "file:<hex id>"
FOLDER = "outbox-files"


def file_refs(params: dict[str, Any]) -> Iterator[str]:
    """The stored files a notification's parameters name (also inside an InputMedia)."""
    for value in params.values():
        if isinstance(value, str) and value.startswith(FILE_REF):
            yield value
        elif isinstance(value, dict):
            yield from file_refs(value)


class FileStore:
    def __init__(self, data_dir: Path, cipher: FieldCipher | None) -> None:
        self.folder = data_dir / FOLDER
        self.cipher = cipher

    def put(self, data: bytes) -> str:
        """Keep `data`; returns its reference. Written before the row commits: a row rolled
        back leaves an orphan, which `sweep` removes."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = uuid.uuid4().hex
        stored = self._seal(data)
        partial = self.folder / f".{name}.partial"
        with open(partial, "wb") as file:
            file.write(stored)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, self.folder / name)
        return FILE_REF + name

    def get(self, reference: str) -> bytes:
        stored = (self.folder / self._name(reference)).read_bytes()
        if self.cipher is None:
            return stored
        return base64.b64decode(self.cipher.decrypt(stored.decode("ascii")))

    def _seal(self, data: bytes) -> bytes:
        if self.cipher is None:
            return data
        return self.cipher.encrypt(base64.b64encode(data).decode("ascii")).encode("ascii")

    def sweep(self, keep: Iterable[str], grace_seconds: float = 3600) -> int:
        """Delete files no notification still to be sent names (`keep`); files younger than
        `grace_seconds` stay, for their row may not have committed yet."""
        if not self.folder.is_dir():
            return 0
        kept = {self._name(reference) for reference in keep}
        cutoff = time.time() - grace_seconds
        deleted = 0
        for path in self.folder.iterdir():
            name = path.name.removeprefix(".").removesuffix(".partial")
            if name in kept or path.stat().st_mtime > cutoff:
                continue
            path.unlink(missing_ok=True)
            deleted += 1
        return deleted

    def count(self) -> int:
        return sum(1 for _ in self.folder.iterdir()) if self.folder.is_dir() else 0

    @staticmethod
    def _name(reference: str) -> str:
        name = reference.removeprefix(FILE_REF)
        if not name.isalnum():  # never a path outside the folder
            raise ValueError("not a stored file's reference")
        return name
