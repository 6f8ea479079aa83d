"""The environment of a benchmark run, set before any application module is imported
(get_settings() is lru_cached): data folder .data/bench, cheap argon2 for the bench user,
PostgreSQL and Redis (embedded unless DATABASE_URL / REDIS_URL are set), and a fresh database
`wxfund_bench`, dropped and recreated every run and migrated to head."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data" / "bench"
DATABASE = "wxfund_bench"


@dataclass(frozen=True)
class Environment:
    database_url: str
    redis_url: str
    embedded_postgres: bool
    embedded_redis: bool


def _recreate_database(admin_url: str, name: str) -> str:
    import asyncpg

    async def recreate() -> None:
        conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(recreate())
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))


def prepare() -> Environment:
    os.environ.setdefault("DATA_DIR", str(DATA))
    os.environ.setdefault("SECRET_KEY", "bench-secret-key")
    # The bench user's password hash: argon2's cost is not what is measured (login happens once).
    os.environ.setdefault("ARGON2_TIME_COST", "1")
    os.environ.setdefault("ARGON2_MEMORY_KIB", "1024")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    DATA.mkdir(parents=True, exist_ok=True)

    from core.embedded import start_postgres, start_redis

    embedded_pg = not os.environ.get("DATABASE_URL")
    embedded_redis = not os.environ.get("REDIS_URL")
    admin_url = start_postgres(DATA, database="postgres") if embedded_pg else os.environ["DATABASE_URL"]
    if embedded_redis:
        os.environ["REDIS_URL"] = start_redis(DATA)
    os.environ["DATABASE_URL"] = _recreate_database(admin_url, DATABASE)

    from core.config import get_settings
    from core.migrate import upgrade

    get_settings.cache_clear()
    upgrade()
    return Environment(os.environ["DATABASE_URL"], os.environ["REDIS_URL"], embedded_pg, embedded_redis)
