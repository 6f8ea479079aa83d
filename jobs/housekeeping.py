"""Housekeeping jobs."""

from __future__ import annotations

from core.db import get_sessionmaker
from services.auth import purge_expired_sessions as purge
from services.document_sweep import sweep_orphans


async def purge_expired_sessions(ctx) -> int:
    """Deletes login sessions that expired or were revoked more than a day ago (idempotent)."""
    async with get_sessionmaker()() as session:
        return await purge(session)


async def sweep_document_orphans(ctx) -> int:
    """Deletes stored objects that no document row names (services/document_sweep.py)."""
    return len(await sweep_orphans(get_sessionmaker()))
