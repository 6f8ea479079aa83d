"""The async engine and session factory of this process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from core import tracing
from core.config import get_settings

# What a read function runs its statements on: a request's session, or the AUTOCOMMIT connection
# a DataLoader batch reads on (get_reader()); both have execute, scalar and scalars.
Reader = AsyncSession | AsyncConnection

_engine: AsyncEngine | None = None
_reader: AsyncEngine | None = None
_sessions: async_sessionmaker[AsyncSession] | None = None


def get_engine() -> AsyncEngine:
    global _engine, _reader, _sessions
    if _engine is None:
        s = get_settings()
        _engine = create_async_engine(
            s.sqlalchemy_url,
            # A fixed pool: under load a request waits its turn (up to DB_POOL_TIMEOUT_SECONDS) for
            # one of DB_POOL_SIZE warm connections. Overflow connections were opened and closed per
            # burst, each a PostgreSQL backend start, asyncpg's type introspection and an empty
            # prepared-statement cache, and throughput fell as clients were added (docs/benchmarks.md).
            # The default 20 covers a worker's 10 jobs (max_jobs) each holding its transaction
            # while it reports progress on a second connection; connections open as needed.
            pool_size=s.db_pool_size,
            max_overflow=s.db_max_overflow,
            pool_timeout=s.db_pool_timeout_seconds,
            # No pre-ping: it costs a round trip per checkout; connections are recycled instead,
            # and a dead one fails its statement (retried by the client) rather than every request paying.
            pool_recycle=1800,
            connect_args=_connect_args("wxfund"), pool_pre_ping=_pre_ping,
        )
        # Made once: execution_options() builds a new engine proxy (and copies its event
        # dispatch) on every call: 6 % of the server's samples under authenticated load when made per load.
        _reader = _engine.execution_options(isolation_level="AUTOCOMMIT")
        _sessions = async_sessionmaker(_engine, expire_on_commit=False)
        tracing.register_engine(_engine)
    return _engine


_pre_ping = False


def _connect_args(application_name: str) -> dict:
    """What every connection of both pools is set up with: China's clock, and a name that tells
    the pools apart in pg_stat_activity."""
    return {"server_settings": {"timezone": "Asia/Shanghai", "application_name": application_name}}


def use_pre_ping() -> None:
    """Workers (before their first query): test each pooled connection as it is taken, so the
    job after a PostgreSQL restart gets a live connection, not one the restart closed. A
    worker's round trip per checkout is cheap next to a job; the API does without."""
    global _pre_ping
    _pre_ping = True


def get_reader() -> AsyncEngine:
    """Connections for reads that need no transaction (DataLoaders): AUTOCOMMIT skips the
    BEGIN / ROLLBACK round trips a session would add to each load. Same pool as get_engine()."""
    get_engine()
    assert _reader is not None
    return _reader


def get_sessionmaker() -> async_sessionmaker[AsyncSession]:
    get_engine()
    assert _sessions is not None
    return _sessions


_counters: AsyncEngine | None = None


def get_counter_engine() -> AsyncEngine:
    """A pool of its own for drawing numbers (services/codes.next_number), each
    draw one AUTOCOMMIT statement. Taken while the caller holds a connection of the main pool:
    from that pool, requests that each hold one and wait for a second could empty it together.
    Pre-pinged (one round trip per draw): the main pool is emptied by the first request that meets a
    restarted PostgreSQL, this one would keep its dead connections and fail the next creation."""
    global _counters
    if _counters is None:
        s = get_settings()
        _counters = create_async_engine(
            s.sqlalchemy_url, pool_size=2, max_overflow=0, pool_timeout=s.db_pool_timeout_seconds, pool_recycle=1800,
            connect_args=_connect_args("wxfund-counters"), pool_pre_ping=True, isolation_level="AUTOCOMMIT")
    return _counters


async def dispose_engine() -> None:
    global _engine, _reader, _sessions, _counters
    if _counters is not None:
        await _counters.dispose()
    _counters = None
    if _engine is not None:
        await _engine.dispose()
    _engine = None
    _reader = None
    _sessions = None


T = TypeVar("T")


async def retrying_deadlocks(call: Callable[[], Awaitable[T]], *, tries: int = 3) -> T:
    """`call()` (one transaction of its own), made again when PostgreSQL chose it as a deadlock's
    victim: nothing of it was written, and what follows its commit (queueing, publishing) never
    ran. The last try's deadlock is raised (a CONFLICT to the user)."""
    for attempt in range(tries):
        try:
            return await call()
        except DBAPIError as exc:
            state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
            if state != "40P01" or attempt == tries - 1:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")
