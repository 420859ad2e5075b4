"""In-memory file storage with Telegram-like file ids and photo size lists."""

from __future__ import annotations

import base64
import itertools
import mimetypes
import secrets
import struct
from typing import Any

from .models import StoredFile

__all__ = ["FileStore", "image_size"]

# Prefixes resembling real Bot API file ids per file type.
_ID_PREFIX = {
    "photo": "AgACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "video": "BAACAgIAAxkBAAI",
    "audio": "CQACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI",
    "animation": "CgACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
    "video_note": "DQACAgIAAxkBAAI",
}
_FOLDER = {
    "photo": "photos",
    "document": "documents",
    "video": "videos",
    "audio": "music",
    "voice": "voice",
    "animation": "animations",
    "sticker": "stickers",
    "video_note": "video_notes",
}
_PHOTO_STEPS = (90, 320, 800)
_DEFAULT_PHOTO_SIZE = (800, 600)


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG image, or None if not recognised."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            (length,) = struct.unpack(">H", data[i + 2 : i + 4])
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + length
    return None


class FileStore:
    """Files by file_id and by file_path; photos keep their PhotoSize lists."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._photo_sets: dict[str, list[dict[str, Any]]] = {}
        self._counter = itertools.count(1)

    def get(self, file_id: str) -> StoredFile | None:
        """The file with this file_id, if known."""
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        """The file served at ``/file/bot<token>/<file_path>``."""
        return self._by_path.get(file_path)

    def add(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int | None = None,
        height: int | None = None,
    ) -> StoredFile:
        """Store ``data`` and give it a fresh file_id, unique id and file_path."""
        number = next(self._counter)
        token = base64.urlsafe_b64encode(number.to_bytes(4, "big") + secrets.token_bytes(24))
        file_id = _ID_PREFIX.get(kind, "BQACAgIAAxkBAAI") + token.decode().rstrip("=")
        unique_raw = base64.urlsafe_b64encode(number.to_bytes(4, "big") + secrets.token_bytes(5))
        unique = "AQAD" + unique_raw.decode().rstrip("=")
        extension = ""
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        elif kind == "photo":
            extension = ".jpg"
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=unique,
            kind=kind,
            data=data,
            file_path=f"{_FOLDER.get(kind, 'documents')}/file_{number}{extension}",
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def add_photo(self, data: bytes, file_name: str | None = None) -> list[dict[str, Any]]:
        """Store a photo and return its ``PhotoSize`` list, smallest first.

        Telegram stores several scaled copies; the stand-in cannot resize, so
        every size serves the original bytes but reports scaled dimensions.
        """
        width, height = image_size(data) or _DEFAULT_PHOTO_SIZE
        longest = max(width, height, 1)
        dimensions = [
            (max(1, round(width * step / longest)), max(1, round(height * step / longest)))
            for step in _PHOTO_STEPS
            if step < longest
        ]
        dimensions.append((width, height))
        sizes: list[dict[str, Any]] = []
        for w, h in dimensions:
            stored = self.add("photo", data, file_name=file_name, width=w, height=h)
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": stored.file_size,
                    "width": w,
                    "height": h,
                }
            )
        for size in sizes:
            self._photo_sets[size["file_id"]] = sizes
        return [dict(size) for size in sizes]

    def photo_sizes(self, file_id: str) -> list[dict[str, Any]] | None:
        """The PhotoSize list a photo file_id belongs to."""
        sizes = self._photo_sets.get(file_id)
        return [dict(size) for size in sizes] if sizes else None

    def describe(self, stored: StoredFile) -> dict[str, Any]:
        """The ``Document``-like JSON for a stored file."""
        data: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        if stored.file_name:
            data["file_name"] = stored.file_name
        if stored.mime_type:
            data["mime_type"] = stored.mime_type
        return data
