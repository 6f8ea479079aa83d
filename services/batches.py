"""Batched reads by key, as DataLoaders ask for them: one statement for a whole batch of ids,
answered in the order of the keys (None, or an empty group, where nothing matched)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Callable, Sequence

from sqlalchemy import BigInteger, Enum, Select, any_, bindparam, literal
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection

from core import tracing
from core.db import Reader
from services.records import record_maker, to_record


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


@dataclass(frozen=True)
class _Plan:
    sql: str
    parameters: tuple  # the statement's bound values in order, the keys' place holding None
    keys_at: int
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column position, SQLAlchemy's conversion)


class DriverQuery:
    """A batched select built with any_key, run on the asyncpg connection under the pooled
    SQLAlchemy one when the reader is a loader's AUTOCOMMIT connection: the same SQL, the same
    values (each column goes through the result processor SQLAlchemy would apply, chosen by the
    type PostgreSQL reports), without SQLAlchemy's per-row work: its cursor adapter, Row objects
    and processor dispatch cost three times what asyncpg itself does for the 10 000 houses and
    owners of an estate tree (docs/benchmarks.md). A session (a transaction) reads the usual way
    (_records). The statement gets a tracing span of its own (core.tracing.statement), as
    SQLAlchemy's do."""

    def __init__(self, statement: Select) -> None:
        self.statement = statement
        self._plan: _Plan | None = None
        self._makers: dict[type, Callable[[Any], Any]] = {}

    async def records(self, reader: AsyncConnection, keys: Sequence[int], cls: type) -> list[Any]:
        """The rows as records of `cls` (its fields in the order of the selected columns)."""
        pooled = await reader.get_raw_connection()
        driver = pooled.driver_connection
        try:
            plan = self._plan or await self._prepare(reader.dialect, driver)
            parameters = list(plan.parameters)
            parameters[plan.keys_at] = list(keys)
            with tracing.statement(plan.sql):
                rows = await driver.fetch(plan.sql, *parameters)
        except Exception as error:
            if not driver.is_closed():
                raise
            # What SQLAlchemy does on a disconnect (its asyncpg dialect's is_disconnect is this
            # test): every pooled connection opened before now is replaced at its next checkout,
            # as a restarted PostgreSQL closed them all (Pool._invalidate has no public form), this
            # one is dropped, and the error says so (core/outage.py: an outage, not a bug).
            reader.sync_engine.pool._invalidate(pooled, error, _checkin=False)
            await reader.invalidate(error)
            raise DisconnectionError(f"PostgreSQL closed the connection: {type(error).__name__}") from error
        make = self._makers.get(cls)
        if make is None:
            make = self._makers[cls] = record_maker(cls, dict(plan.converters))
        return [make(row) for row in rows]

    async def _prepare(self, dialect, driver) -> _Plan:
        compiled = self.statement.compile(dialect=dialect)
        parameters, keys_at = [], None
        for at, name in enumerate(compiled.positiontup):
            bind = compiled.binds[name]
            if bind.key == KEYS:
                keys_at = at
                parameters.append(None)
                continue
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            parameters.append(process(bind.value) if process else bind.value)
        if keys_at is None:
            raise ValueError("a DriverQuery is built with any_key")
        sql = compiled.string
        attributes = (await driver.prepare(sql)).get_attributes()
        converters = []
        for at, (column, attribute) in enumerate(zip(self.statement.selected_columns, attributes, strict=True)):
            impl = column.type.dialect_impl(dialect)
            process = impl.result_processor(dialect, attribute.type.oid)
            if process is not None:
                converters.append((at, _lookup(impl, process).__getitem__ if isinstance(impl, Enum) else process))
        self._plan = _Plan(sql, tuple(parameters), keys_at, tuple(converters))
        return self._plan


class _Converted(dict):
    """An enum column's values, each already converted by SQLAlchemy's processor: a dict lookup
    where the processor is two Python calls per value. Anything else goes to the processor."""

    def __init__(self, process: Callable[[Any], Any], values: Sequence[Any]) -> None:
        super().__init__((value, process(value)) for value in values)
        self.process = process

    def __missing__(self, value: Any) -> Any:
        return self.process(value)


def _lookup(impl: Enum, process: Callable[[Any], Any]) -> _Converted:
    return _Converted(process, [None, *impl.enums])


async def _records(session: Reader, statement: Select | DriverQuery, cls: type, keys: Sequence[int]) -> list[Any]:
    if isinstance(statement, DriverQuery):
        if isinstance(session, AsyncConnection):  # a loader's connection: on the driver
            return await statement.records(session, keys, cls)
        statement = statement.statement
    return [to_record(cls, row) for row in (await session.execute(statement, {KEYS: list(keys)})).all()]


async def by_id(session: Reader, statement: Select | DriverQuery, cls: type, ids: Sequence[int]) -> list[Any]:
    """One record per id of a statement built with any_key (None where there is no row)."""
    found = {r.id: r for r in await _records(session, statement, cls, ids)}
    return [found.get(i) for i in ids]


async def grouped_by(session: Reader, statement: Select | DriverQuery, key: str, cls: type,
                     keys: Sequence[int]) -> list[list[Any]]:
    """The records of a statement built with any_key, grouped by the field `key`, one list per key."""
    groups: dict[int, list[Any]] = defaultdict(list)
    key_of = attrgetter(key)
    for record in await _records(session, statement, cls, keys):
        groups[key_of(record)].append(record)
    return [groups.get(k, []) for k in keys]


async def rows_by_id(session: Reader, query: Select, id_column, cls: type, ids: Sequence[int]) -> list[Any]:
    """One record per id of `query` matched on `id_column` (None where there is no row)."""
    return await by_id(session, query.where(any_key(id_column)), cls, ids)
