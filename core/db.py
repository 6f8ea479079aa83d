"""The async engine and session factory of this process."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from core.config import get_settings

_engine: AsyncEngine | None = None
_sessions: async_sessionmaker[AsyncSession] | None = None


def get_engine() -> AsyncEngine:
    global _engine, _sessions
    if _engine is None:
        _engine = create_async_engine(
            get_settings().sqlalchemy_url,
            pool_size=10,
            max_overflow=20,
            # No pre-ping: it costs a round trip per checkout; connections are recycled instead,
            # and a dead one fails its statement (retried by the client) rather than every request paying.
            pool_recycle=1800,
            connect_args={"server_settings": {"timezone": "Asia/Shanghai", "application_name": "wxfund"}},
            pool_pre_ping=_pre_ping,
        )
        _sessions = async_sessionmaker(_engine, expire_on_commit=False)
    return _engine


_pre_ping = False


def use_pre_ping() -> None:
    """Workers (before their first query): test each pooled connection as it is taken, so the
    job after a PostgreSQL restart gets a live connection, not one the restart closed. A
    worker's round trip per checkout is cheap next to a job; the API does without."""
    global _pre_ping
    _pre_ping = True


def get_reader():
    """Connections for reads that need no transaction (DataLoaders): AUTOCOMMIT skips the
    BEGIN / ROLLBACK round trips a session would add to each load."""
    return get_engine().execution_options(isolation_level="AUTOCOMMIT")


def get_sessionmaker() -> async_sessionmaker[AsyncSession]:
    get_engine()
    assert _sessions is not None
    return _sessions


async def dispose_engine() -> None:
    global _engine, _sessions
    if _engine is not None:
        await _engine.dispose()
    _engine = None
    _sessions = None
