"""Document storage behind a small async interface: a local folder by default, an S3-compatible
object store (AWS S3, MinIO, Alibaba Cloud OSS, Tencent COS) when STORAGE_URL=s3://bucket/prefix.

Keys look like `ab/<hex>.pdf` in both; a Document row names its object by key. A row and its
object never disagree: `put` is called before the row is committed, and keys written by a
transaction that does not commit are deleted when it ends (`track_written` and the session
events below); the sweeper (services/document_sweep.py) removes what a crash left behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import uuid
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from sqlalchemy import String, column, event, select, table
from sqlalchemy.exc import MissingGreenlet
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only

from core.config import get_settings
from core.db import get_engine

log = logging.getLogger(__name__)

CHUNK = 256 * 1024


@dataclass(frozen=True)
class StoredObject:
    key: str
    modified: float  # seconds since the epoch


class Storage(Protocol):
    async def put(self, data: bytes, *, suffix: str = "") -> str: ...
    async def put_key(self, key: str, data: bytes) -> None: ...
    async def read(self, key: str) -> bytes: ...
    async def exists(self, key: str) -> bool: ...
    async def stream(self, key: str) -> AsyncIterator[bytes] | None: ...
    async def delete(self, key: str) -> None: ...
    def objects(self) -> AsyncIterator[StoredObject]: ...
    def path(self, key: str) -> Path | None: ...


def new_key(suffix: str = "") -> str:
    return f"{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}{suffix}"


def check_key(key: str) -> str:
    if "/" not in key or ".." in key or key.startswith("/") or "\\" in key:
        raise ValueError("bad storage key")
    return key


class LocalStorage:
    """Files under DATA_DIR/files (one machine, or a shared disk)."""

    def __init__(self, root: Path):
        self.root = root

    def _file(self, key: str) -> Path:
        return self.root / check_key(key)

    def _write(self, key: str, data: bytes) -> None:
        path = self._file(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # never a half-written file under a key

    async def put(self, data: bytes, *, suffix: str = "") -> str:
        key = new_key(suffix)
        await asyncio.to_thread(self._write, key, data)
        return key

    async def put_key(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, key, data)

    async def read(self, key: str) -> bytes:
        return await asyncio.to_thread(self._file(key).read_bytes)

    async def exists(self, key: str) -> bool:
        return self._file(key).is_file()

    async def stream(self, key: str) -> AsyncIterator[bytes] | None:
        if not self._file(key).is_file():
            return None

        async def whole() -> AsyncIterator[bytes]:
            yield await self.read(key)

        return whole()

    async def delete(self, key: str) -> None:
        self._file(key).unlink(missing_ok=True)

    def path(self, key: str) -> Path | None:
        return self._file(key)

    def _folder_objects(self, folder: Path) -> list[StoredObject]:
        found = []
        for file in sorted(folder.iterdir()):  # a left-over `.tmp` is listed too: the sweeper removes it
            try:
                if file.is_file():
                    found.append(StoredObject(f"{folder.name}/{file.name}", file.stat().st_mtime))
            except FileNotFoundError:  # deleted meanwhile (a rollback)
                continue
        return found

    async def objects(self) -> AsyncIterator[StoredObject]:
        if not self.root.is_dir():
            return
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            # One folder at a time in a thread: a large store never stalls the event loop.
            for item in await asyncio.to_thread(self._folder_objects, folder):
                yield item


class S3Storage:
    """Objects in an S3-compatible bucket through aiobotocore. The endpoint, region and keys come
    from S3_ENDPOINT_URL (or AWS_ENDPOINT_URL), AWS_REGION, AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY; S3_ADDRESSING_STYLE=virtual for OSS and COS, which refuse path style."""

    def __init__(self, bucket: str, prefix: str, *, endpoint_url: str | None, region: str | None,
                 addressing_style: str = "auto", access_key: str | None = None, secret_key: str | None = None):
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url
        self.region = region
        self.addressing_style = addressing_style
        # Without keys, botocore's usual chain (instance role, ~/.aws) applies.
        self._keys = {"aws_access_key_id": access_key, "aws_secret_access_key": secret_key,
                      "aws_session_token": os.environ.get("AWS_SESSION_TOKEN") or None} if access_key else {}
        self._session = None
        # One client (and its connection pool) per event loop: a connection per call costs far
        # more than the request itself.
        self._clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _client(self):
        # The optional S3 backend takes seconds to import: loaded only when STORAGE_URL is s3://.
        from aiobotocore.config import AioConfig
        from aiobotocore.session import get_session

        if self._session is None:  # one session: it loads the S3 service model once
            self._session = get_session()
        config = AioConfig(s3={"addressing_style": self.addressing_style}, signature_version="s3v4",
                           retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=50)
        return self._session.create_client("s3", endpoint_url=self.endpoint_url, region_name=self.region, config=config,
                                           **self._keys)

    @asynccontextmanager
    async def _s3(self):
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = await self._client().__aenter__()
            if (other := self._clients.get(loop)) is not None:  # another task was first
                await client.close()
                client = other
            else:
                self._clients[loop] = client
        yield client

    async def aclose(self) -> None:
        """Closes this event loop's client (at shutdown)."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close()

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    async def put(self, data: bytes, *, suffix: str = "") -> str:
        key = new_key(suffix)
        await self.put_key(key, data)
        return key

    async def put_key(self, key: str, data: bytes) -> None:
        async with self._s3() as s3:
            await s3.put_object(Bucket=self.bucket, Key=self._name(key), Body=data)

    async def read(self, key: str) -> bytes:
        async with self._s3() as s3:
            response = await s3.get_object(Bucket=self.bucket, Key=self._name(key))
            async with response["Body"] as body:
                return await body.read()

    async def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError  # the optional S3 backend: only when STORAGE_URL is s3://

        async with self._s3() as s3:
            try:
                await s3.head_object(Bucket=self.bucket, Key=self._name(key))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise
            return True

    async def stream(self, key: str) -> AsyncIterator[bytes] | None:
        """The object's bytes in chunks, or None if there is no such object (one request: the
        answer to GET says whether it exists)."""
        from botocore.exceptions import ClientError  # the optional S3 backend: only when STORAGE_URL is s3://

        async with self._s3() as s3:
            try:
                response = await s3.get_object(Bucket=self.bucket, Key=self._name(key))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return None
                raise

        async def chunks() -> AsyncIterator[bytes]:
            async with response["Body"] as body:
                async for chunk in body.iter_chunks(CHUNK):
                    yield chunk

        return chunks()

    async def delete(self, key: str) -> None:
        async with self._s3() as s3:
            await s3.delete_object(Bucket=self.bucket, Key=self._name(key))

    def path(self, key: str) -> Path | None:
        return None  # no local file: read or stream it

    async def objects(self) -> AsyncIterator[StoredObject]:
        async with self._s3() as s3:
            paginator = s3.get_paginator("list_objects_v2")
            async for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
                for item in page.get("Contents", []):
                    yield StoredObject(item["Key"][len(self.prefix):], item["LastModified"].timestamp())

    async def create_bucket(self) -> None:
        """For tests and first set-up: the bucket, unless it exists."""
        from botocore.exceptions import ClientError  # the optional S3 backend: only when STORAGE_URL is s3://

        async with self._s3() as s3:
            try:
                await s3.head_bucket(Bucket=self.bucket)
            except ClientError:
                where = {} if self.region in (None, "us-east-1") else {
                    "CreateBucketConfiguration": {"LocationConstraint": self.region}}
                await s3.create_bucket(Bucket=self.bucket, **where)


@lru_cache(maxsize=4)
def storage_for(url: str, files_dir: str) -> Storage:
    """The store STORAGE_URL names: s3://bucket/prefix, file:///folder, or (empty) DATA_DIR/files."""
    if not url:
        return LocalStorage(Path(files_dir))
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalStorage(Path(parts.path))
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError("STORAGE_URL must look like s3://bucket/prefix or file:///folder")
    return S3Storage(parts.netloc, parts.path, endpoint_url=os.environ.get("S3_ENDPOINT_URL")
                     or os.environ.get("AWS_ENDPOINT_URL") or None,
                     region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None,
                     addressing_style=os.environ.get("S3_ADDRESSING_STYLE", "auto"),
                     access_key=os.environ.get("AWS_ACCESS_KEY_ID") or None,
                     secret_key=os.environ.get("AWS_SECRET_ACCESS_KEY") or None)


async def close_storage() -> None:
    """Releases the object store's connections of this event loop (a no-op for the folder)."""
    storage = get_storage()
    if isinstance(storage, S3Storage):
        await storage.aclose()


def get_storage() -> Storage:
    settings = get_settings()
    return storage_for(settings.storage_url, str(settings.storage_dir))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- A row and its object never disagree -------------------------------------------------

WRITTEN = "storage_written"  # session.info: keys put during the session's open transaction


def track_written(session: Session, key: str) -> None:
    """Remembers a key put for a row of this session; the key is deleted again unless the
    session's transaction commits."""
    session.info.setdefault(WRITTEN, []).append(key)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop(WRITTEN, None)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction) -> None:
    if transaction.parent is not None or not session.info.get(WRITTEN):
        return  # a savepoint: the outer transaction decides
    keys = session.info.pop(WRITTEN)
    _delete_quietly(keys)


_pending: set[asyncio.Task] = set()

# The one column of models.Document this module reads, named here: core/ knows no project model.
DOCUMENT_KEYS = table("documents", column("storage_key", String))


def _delete_quietly(keys: list[str]) -> None:
    """Deletes the objects of a transaction that rolled back. Inside AsyncSession's greenlet (the
    usual case) it waits for the deletion, so the rollback returns with the store clean;
    otherwise it leaves a task. A failure is only logged: the sweeper removes the object later."""
    async def delete_all() -> None:
        storage = get_storage()
        try:
            # A commit whose answer was lost may have committed: never delete what a row names.
            async with get_engine().connect() as connection:
                named = set((await connection.execute(
                    select(DOCUMENT_KEYS.c.storage_key).where(DOCUMENT_KEYS.c.storage_key.in_(keys)))).scalars())
        except Exception:
            log.warning("could not check the objects of a rolled-back transaction", exc_info=True)
            return
        for key in keys:
            if key in named:
                continue
            try:
                await storage.delete(key)
            except Exception:
                log.warning("could not delete the object %s of a rolled-back transaction", key, exc_info=True)

    coro = delete_all()
    try:
        await_only(coro)
        return
    except MissingGreenlet:  # not inside AsyncSession's greenlet: leave it to a task
        pass
    try:
        task = asyncio.get_running_loop().create_task(coro)
    except RuntimeError:
        coro.close()
        return  # no loop at all: the sweeper removes them
    _pending.add(task)
    task.add_done_callback(_pending.discard)


def orphan_age_seconds() -> int:
    """How old an unreferenced object must be before the sweeper deletes it: older than any
    transaction that may still be about to commit its row."""
    return int(os.environ.get("STORAGE_ORPHAN_MINUTES", "60")) * 60
