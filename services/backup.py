"""Backup and restore: a PostgreSQL dump plus the documents it names, and the way back into an
empty database and store (`python -m server.cli backup DEST`, `python -m server.cli restore SRC`).

Consistency: the dump is taken in one exported snapshot, and the document rows are read in that
same snapshot; documents are immutable once written, so copying those objects afterwards gives
exactly the files of the dump (each checked against the row's SHA-256). Objects written after
the snapshot belong to rows the dump does not have and are left out."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import asyncpg
from sqlalchemy import select

from core.config import get_settings
from core.db import get_sessionmaker
from core.storage import Storage, get_storage, sha256_hex
from models import Job
from models.enums import JobStatus
from services import jobs

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
DOCUMENTS = "documents"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (shown by the command)."""


@dataclass(frozen=True)
class Summary:
    path: Path
    documents: int
    bytes: int


def _dsn() -> str:
    url = get_settings().sqlalchemy_url
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _connect():
    return await asyncpg.connect(_dsn())


def _major(binary: Path) -> int:
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True).stdout
    return int(out.split()[-1].split(".")[0])


def pg_tool(name: str, server_major: int) -> Path:
    """pg_dump / pg_restore at least as new as the server: PG_BIN_DIR, then the binaries that
    ship with the embedded server (pgserver), then PATH."""
    candidates: list[Path] = []
    if bin_dir := os.environ.get("PG_BIN_DIR"):
        candidates.append(Path(bin_dir) / name)
    try:
        # pgserver is the embedded server of development and tests, absent where production runs
        import pgserver

        candidates.append(Path(pgserver.__file__).parent / "pginstall" / "bin" / name)
    except ImportError:
        pass
    if found := shutil.which(name):
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and _major(candidate) >= server_major:
            return candidate
    raise BackupError(f"找不到 PostgreSQL {server_major} 或更新版本的 {name}（可用 PG_BIN_DIR 指定其目录）")


async def _run(*args: str) -> None:
    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} 失败：{err.decode(errors='replace').strip()[-2000:]}")


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


async def backup(dest: Path, *, storage: Storage | None = None) -> Summary:
    """Writes DEST/database.dump, DEST/documents/<key> and DEST/manifest.json (DEST must be new or empty)."""
    storage = storage or get_storage()
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"备份目录 {dest} 不是空的")
    dest.mkdir(parents=True, exist_ok=True)
    conn = await _connect()
    try:
        server_major = int(await conn.fetchval("SHOW server_version_num")) // 10000
        pg_dump = pg_tool("pg_dump", server_major)
        # One snapshot for the dump and the list of documents: they describe the same moment.
        transaction = conn.transaction(isolation="repeatable_read", readonly=True)
        await transaction.start()
        try:
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            rows = await conn.fetch("SELECT id, storage_key, sha256, size_bytes FROM documents ORDER BY id")
            revision = await conn.fetchval("SELECT version_num FROM alembic_version")
            await _run(str(pg_dump), "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                       f"--file={dest / DUMP}", f"--dbname={_dsn()}")
        finally:
            await transaction.rollback()
    finally:
        await conn.close()

    total = 0
    for row in rows:
        try:
            data = await storage.read(row["storage_key"])
        except Exception as exc:
            raise BackupError(f"文件 {row['storage_key']}（文档 {row['id']}）读取失败：{type(exc).__name__}") from exc
        if sha256_hex(data) != row["sha256"]:
            raise BackupError(f"文件 {row['storage_key']}（文档 {row['id']}）与记录的 SHA-256 不符")
        target = dest / DOCUMENTS / row["storage_key"]
        target.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(target.write_bytes, data)
        total += len(data)
    manifest = {
        "format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(), "alembic_revision": revision,
        "database": DUMP, "database_sha256": await asyncio.to_thread(_file_sha256, dest / DUMP), "server_major": server_major,
        "documents": [{"id": r["id"], "key": r["storage_key"], "sha256": r["sha256"], "size": r["size_bytes"]} for r in rows],
    }
    # The manifest is written last: a backup without one is incomplete.
    (dest / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return Summary(dest, len(rows), total)


async def restore(src: Path, *, storage: Storage | None = None) -> Summary:
    """Restores a backup into an empty database and an empty document store, checking every file
    first; unfinished jobs are queued again (the restored Redis has none of them)."""
    storage = storage or get_storage()
    try:
        manifest = json.loads((src / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{src} 不是完整的备份（缺少或无法读取 {MANIFEST}）") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不支持的备份格式 {manifest.get('format')}")
    if not (src / DUMP).is_file() or await asyncio.to_thread(_file_sha256, src / DUMP) != manifest.get("database_sha256"):
        raise BackupError(f"备份中的 {DUMP} 缺失或已损坏")
    files = []
    for item in manifest["documents"]:
        path = src / DOCUMENTS / item["key"]
        if not path.is_file() or sha256_hex(path.read_bytes()) != item["sha256"]:
            raise BackupError(f"备份中的文件 {item['key']} 缺失或已损坏")
        files.append((item["key"], path))

    conn = await _connect()
    try:
        tables = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        server_major = int(await conn.fetchval("SHOW server_version_num")) // 10000
    finally:
        await conn.close()
    if tables:
        raise BackupError("目标数据库不是空的：恢复只写入新建的空数据库")
    try:
        async for _ in storage.objects():
            raise BackupError("目标文件存储不是空的：恢复只写入空的存储")
    except BackupError:
        raise
    except Exception as exc:
        raise BackupError(f"无法读取目标文件存储（存储桶是否已建好？）：{exc}") from exc

    pg_restore = pg_tool("pg_restore", server_major)
    # The documents first, then the database in one transaction: if either fails, the objects
    # written are removed again and both stay empty, so the restore can simply be run again.
    written: list[str] = []
    total = 0
    try:
        for key, path in files:
            data = await asyncio.to_thread(path.read_bytes)
            await storage.put_key(key, data)
            written.append(key)
            total += len(data)
        await _run(str(pg_restore), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                   f"--dbname={_dsn()}", str(src / DUMP))
    except BaseException:
        for key in written:
            try:
                await storage.delete(key)
            except Exception:
                pass  # reported by the emptiness check of the next run
        raise
    await _requeue_unfinished_jobs()
    return Summary(src, len(files), total)


async def _requeue_unfinished_jobs() -> None:
    """Jobs QUEUED or RUNNING at backup time were queued in the old Redis: queue them again
    (a job row makes a repeated run harmless, services/jobs.py)."""
    async with get_sessionmaker()() as session:
        unfinished = (await session.execute(select(Job.id, Job.kind).where(
            Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING])).order_by(Job.id))).all()
    try:
        for job_id, kind in unfinished:
            await jobs.enqueue(job_id, kind)
    finally:
        await jobs.close_pool()
