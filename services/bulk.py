"""Bulk writes with PostgreSQL COPY on the session's own connection (same transaction):
imports of 100 000 houses spend their time reading the workbook, not inserting."""

from __future__ import annotations

import json
from typing import Any, Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def next_ids(session: AsyncSession, table: str, count: int) -> list[int]:
    """Ids from the table's own sequence, taken ahead so rows can be copied with them."""
    if count == 0:
        return []
    assert table.isidentifier()  # a table name of ours, never input
    rows = await session.execute(text(f"SELECT nextval('{table}_id_seq') FROM generate_series(1, :n)"), {"n": count})
    return list(rows.scalars())


async def copy(session: AsyncSession, table: str, columns: Sequence[str], records: Sequence[Sequence[Any]]) -> None:
    if not records:
        return
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    await raw.copy_records_to_table(table, columns=list(columns), records=records)


def jsonb(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)
