"""The orphan sweeper: objects in the document store that no Document row names.

A transaction that rolls back deletes its objects at once (core/storage.py); a process that
died between writing an object and committing its row leaves one behind, and this removes it.
Only objects older than STORAGE_ORPHAN_MINUTES are touched: a younger one may belong to a
transaction that is about to commit."""

from __future__ import annotations

import logging
import time

from sqlalchemy import select

from core.storage import Storage, get_storage, orphan_age_seconds
from models import Document

log = logging.getLogger(__name__)

BATCH = 1000


async def sweep_orphans(sessionmaker, *, storage: Storage | None = None, older_than_seconds: int | None = None,
                        now: float | None = None) -> list[str]:
    """Deletes the unreferenced objects older than the limit; returns their keys."""
    storage = storage or get_storage()
    limit = (now or time.time()) - (orphan_age_seconds() if older_than_seconds is None else older_than_seconds)
    removed: list[str] = []
    batch: list[str] = []

    async def settle() -> None:
        async with sessionmaker() as session:
            named = set(await session.scalars(select(Document.storage_key).where(Document.storage_key.in_(batch))))
        for key in batch:
            if key not in named:
                await storage.delete(key)
                removed.append(key)
        batch.clear()

    async for item in storage.objects():
        if item.modified < limit:
            batch.append(item.key)
            if len(batch) >= BATCH:
                await settle()
    if batch:
        await settle()
    if removed:
        log.info("removed %d orphaned document objects", len(removed))
    return removed
