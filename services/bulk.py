"""Bulk writes with PostgreSQL COPY on the session's own connection (same transaction):
imports of 100 000 houses spend their time reading the workbook, not inserting."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def next_ids(session: AsyncSession, table: str, count: int) -> list[int]:
    """Ids from the table's own sequence, taken ahead so rows can be copied with them."""
    if count == 0:
        return []
    assert table.isidentifier()  # a table name of ours, never input
    return await take(session, f"{table}_id_seq", count)


async def take(session: AsyncSession, sequence: str, count: int) -> list[int]:
    """`count` values of a sequence in one round trip, as one array (100 000 rows of one value
    each took a tenth of a second to decode)."""
    assert sequence.isidentifier()
    values = await session.scalar(text(f"SELECT array_agg(nextval('{sequence}')) FROM generate_series(1, :n)"), {"n": count})
    return list(values or [])


async def take_many(session: AsyncSession, counts: Sequence[tuple[str, int]]) -> list[list[int]]:
    """take() of several sequences, (sequence, count) each, in one round trip."""
    assert all(sequence.isidentifier() for sequence, _ in counts)
    parts = ", ".join(f"(SELECT array_agg(nextval('{sequence}')) FROM generate_series(1, :n{i}))"
                      for i, (sequence, _) in enumerate(counts))
    row = (await session.execute(text(f"SELECT {parts}"), {f"n{i}": count for i, (_, count) in enumerate(counts)})).one()
    return [list(values or []) for values in row]


async def copy(session: AsyncSession, table: str, columns: Sequence[str], records: Sequence[Sequence[Any]]) -> None:
    if not records:
        return
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    await raw.copy_records_to_table(table, columns=list(columns), records=records)


def jsonb(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


# ---------------------------------------------------------------- rows whose references are known

async def may_skip_reference_triggers(session: AsyncSession) -> bool:
    """Whether this transaction may set session_replication_role: a superuser may, and from
    PostgreSQL 15 a role granted it (`GRANT SET ON PARAMETER session_replication_role TO …`,
    README). Asked per import, in its transaction: a grant revoked meanwhile is seen."""
    connection = await session.connection()
    if connection.dialect.server_version_info >= (15,):
        sql = ("SELECT current_setting('is_superuser')::boolean "
               "OR has_parameter_privilege('session_replication_role', 'SET')")
    else:
        sql = "SELECT current_setting('is_superuser')::boolean"
    return bool(await session.scalar(text(sql)))


@asynccontextmanager
async def references_checked_by_caller(session: AsyncSession, allowed: bool) -> AsyncIterator[None]:
    """Inside, the rows written skip PostgreSQL's per-row foreign-key triggers
    (session_replication_role = replica, as `pg_restore --disable-triggers` loads): for rows
    whose every reference the caller has made sure of itself, set-wise. The imports' houses,
    owners and application rows spent more than half of PostgreSQL's time in those triggers,
    one query a row (docs/decisions.md, imports). Only foreign keys are skipped there (the
    append-only triggers guard other tables); unique and check constraints still hold.
    `SET LOCAL`: it ends with the transaction, which the caller rolls back on any error;
    `allowed` False (may_skip_reference_triggers) leaves the triggers on."""
    if not allowed:
        yield
        return
    await session.execute(text("SET LOCAL session_replication_role = replica"))
    yield
    await session.execute(text("SET LOCAL session_replication_role = origin"))
