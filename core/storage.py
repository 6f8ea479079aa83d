"""File storage behind a small interface (put / open / delete by key), a local folder by default.
An object store would implement the same three calls."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import Protocol

from core.config import get_settings


class Storage(Protocol):
    def put(self, data: bytes, *, suffix: str = "") -> str: ...
    def read(self, key: str) -> bytes: ...
    def path(self, key: str) -> Path | None: ...
    def delete(self, key: str) -> None: ...


class LocalStorage:
    def __init__(self, root: Path):
        self.root = root

    def _file(self, key: str) -> Path:
        if "/" not in key or ".." in key or key.startswith("/"):
            raise ValueError("bad storage key")
        return self.root / key

    def put(self, data: bytes, *, suffix: str = "") -> str:
        key = f"{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}{suffix}"
        path = self._file(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # never a half-written file under a key
        return key

    def read(self, key: str) -> bytes:
        return self._file(key).read_bytes()

    def path(self, key: str) -> Path | None:
        return self._file(key)

    def delete(self, key: str) -> None:
        self._file(key).unlink(missing_ok=True)


def get_storage() -> Storage:
    return LocalStorage(get_settings().storage_dir)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
