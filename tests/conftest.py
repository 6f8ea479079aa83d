"""Test set-up: real PostgreSQL and Redis (embedded unless DATABASE_URL / REDIS_URL are set),
a fresh test database migrated to head, every table emptied before each test."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Each run has its own embedded servers and files, so parallel runs never meet.
TEST_DATA = ROOT / ".data" / "test" / f"run-{os.getpid()}"


def _test_database_url(admin_url: str) -> str:
    """A database of its own beside the one DATABASE_URL names, created fresh per run."""
    import asyncio

    import asyncpg

    parts = urlsplit(admin_url)
    name = f"wxfund_test_{int(time.time())}_{secrets.token_hex(3)}"

    async def create() -> None:
        conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            # Leftovers of runs that died over six hours ago (parallel runs keep theirs).
            stale = await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'wxfund_test_%'")
            for row in stale:
                started = row["datname"].split("_")[2]
                if not started.isdigit() or time.time() - int(started) < 6 * 3600:
                    continue
                try:
                    await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}"')
                except asyncpg.ObjectInUseError:
                    pass
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return urlunsplit(parts._replace(path=f"/{name}"))


def pytest_configure(config):
    os.environ.setdefault("DATA_DIR", str(TEST_DATA))
    os.environ.setdefault("SECRET_KEY", "test-secret-key")
    # Cheap password hashing in tests: argon2's cost is not what they check.
    os.environ.setdefault("ARGON2_TIME_COST", "1")
    os.environ.setdefault("ARGON2_MEMORY_KIB", "1024")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from core.embedded import start_postgres, start_redis

    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = start_postgres(TEST_DATA, database="postgres", cleanup_mode="delete")
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = start_redis(TEST_DATA)
    os.environ["WXFUND_ADMIN_DATABASE_URL"] = os.environ["DATABASE_URL"]
    os.environ["DATABASE_URL"] = _test_database_url(os.environ["DATABASE_URL"])

    from core.config import get_settings
    from core.migrate import upgrade

    get_settings.cache_clear()
    upgrade()


def pytest_unconfigure(config):
    import asyncio

    import asyncpg

    admin = os.environ.get("WXFUND_ADMIN_DATABASE_URL")
    name = urlsplit(os.environ.get("DATABASE_URL", "")).path.lstrip("/")
    if not admin or not name.startswith("wxfund_test_"):
        return

    async def drop() -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    try:
        asyncio.run(drop())
    except Exception:  # a leftover is dropped by a later run
        pass
    finally:
        import shutil

        shutil.rmtree(TEST_DATA, ignore_errors=True)




_worker = None  # the session's arq worker once a test has asked for it


@pytest.fixture(autouse=True)
async def clean_state():
    from sqlalchemy import text

    from core.db import get_engine
    from core.redis import get_redis

    from models import Base

    import asyncio

    from sqlalchemy.exc import DBAPIError

    # A job the previous test enqueued may still be finishing; TRUNCATE while it holds row
    # locks can deadlock, so wait for the shared worker to go idle and retry a deadlock.
    for _ in range(200):
        if _worker is None or all(t.done() for t in _worker.tasks.values()):
            break
        await asyncio.sleep(0.05)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    for attempt in range(5):
        try:
            async with get_engine().begin() as conn:
                await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            break
        except DBAPIError as exc:
            if "deadlock" not in str(exc) or attempt == 4:
                raise
            await asyncio.sleep(0.2)
    await get_redis().flushdb()
    from services import query_bounds

    query_bounds.forget()  # the query cost's bounds describe the data just emptied
    yield


@pytest.fixture
async def client():
    import httpx

    from server.asgi import app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


@pytest.fixture
async def session():
    from core.db import get_sessionmaker

    async with get_sessionmaker()() as s:
        yield s


@pytest.fixture(scope="session")
async def worker():
    """An arq worker on the test's event loop, for jobs the API enqueues."""
    import asyncio

    from arq.connections import RedisSettings
    from arq.worker import Worker

    from core.config import get_settings
    from jobs.worker import WorkerSettings

    w = Worker(functions=WorkerSettings.functions, redis_settings=RedisSettings.from_dsn(get_settings().redis_url),
               queue_name=get_settings().queue_name,
               burst=False, poll_delay=0.05, handle_signals=False, max_jobs=4, keep_result=0,
               on_job_start=WorkerSettings.on_job_start, on_job_end=WorkerSettings.on_job_end)
    task = asyncio.create_task(w.async_run())
    global _worker
    _worker = w
    yield w
    _worker = None
    task.cancel()
    await w.close()
