"""Batched reads by key, as DataLoaders ask for them: one statement for a whole batch of ids,
answered in the order of the keys (None, or an empty group, where nothing matched)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Sequence

from sqlalchemy import BigInteger, Select, any_, bindparam, literal
from sqlalchemy.dialects.postgresql import ARRAY

from core.db import Reader
from services.records import to_record


def in_keys(column, keys: Sequence[int]):
    """`column = ANY(:keys)`: one array parameter, whatever the batch size (an IN list binds one
    parameter per key and is prepared again for each size)."""
    return column == any_(literal(list(keys), ARRAY(BigInteger)))


KEYS = "keys"


def any_key(column):
    """`column = ANY(:keys)`, the keys bound when it runs ({KEYS: [...]}): a loader's statement
    built once this way skips building a statement and its cache key on every batch (about a
    millisecond of a floor plan's three loads)."""
    return column == any_(bindparam(KEYS, type_=ARRAY(BigInteger)))


async def by_id(session: Reader, statement: Select, cls: type, ids: Sequence[int]) -> list[Any]:
    """One record per id of a statement built with any_key (None where there is no row)."""
    rows = (await session.execute(statement, {KEYS: list(ids)})).all()
    found = {r.id: to_record(cls, r) for r in rows}
    return [found.get(i) for i in ids]


async def grouped_by(session: Reader, statement: Select, key: str, cls: type, keys: Sequence[int]) -> list[list[Any]]:
    """The records of a statement built with any_key, grouped by the column `key`, one list per key."""
    groups: dict[int, list[Any]] = defaultdict(list)
    result = await session.execute(statement, {KEYS: list(keys)})
    at = list(result.keys()).index(key)  # by position: Row._mapping builds a mapping per row
    for row in result.all():
        groups[row[at]].append(cls(*row))
    return [groups.get(k, []) for k in keys]


async def rows_by_id(session: Reader, query: Select, id_column, cls: type, ids: Sequence[int]) -> list[Any]:
    """One record per id of `query` matched on `id_column` (None where there is no row)."""
    return await by_id(session, query.where(any_key(id_column)), cls, ids)
