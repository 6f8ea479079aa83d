"""Counting what a request does to the database, in-process: SQL statements and connection
checkouts from the pool (each one a pre-ping round trip, and a BEGIN … ROLLBACK around the
statements of its session).

Statements are read from their tracing spans (core/tracing.py), which cover both the statements
run through SQLAlchemy and those the tree's loaders run on asyncpg directly
(services/batches.DriverQuery), as tests/test_tree.count_statements does; SQLAlchemy's
before_cursor_execute adds the number of bound parameters of its own statements (a driver read
binds one array of keys: shown as its keys' count is not known here, "–")."""

from __future__ import annotations

import re
from collections import defaultdict, deque
from dataclasses import dataclass, field

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import event

from core import tracing


@dataclass
class Statement:
    sql: str
    parameters: int | None  # None: run on the driver, past SQLAlchemy

    @property
    def summary(self) -> str:
        text = re.sub(r"\s+", " ", self.sql).strip()
        match = re.search(r"\bFROM (\w+)", text)
        table = match.group(1) if match else "?"
        rest = text[match.end():] if match else text
        where = re.search(r"\bWHERE (.*?)(?: GROUP BY| ORDER BY|$)", rest)
        condition = re.sub(r"\(\$\d+(?:::\w+)?(?:, \$\d+(?:::\w+)?)*\)", "(…)", where.group(1)) if where else ""
        condition = re.sub(r"\$\d+(?:::\w+)?", "?", condition)
        grouped = " (grouped totals)" if " GROUP BY " in rest else ""
        return f"{table}: {condition[:110]}{grouped}"


@dataclass
class Counter:
    engine: object
    statements: list[Statement] = field(default_factory=list)
    checkouts: int = 0
    _bound: dict[str, deque[int]] = field(default_factory=lambda: defaultdict(deque))
    _exporter: InMemorySpanExporter = field(default_factory=InMemorySpanExporter)

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        self._bound[statement[:4000]].append(len(parameters) if isinstance(parameters, (list, tuple, dict)) else 0)

    def _on_checkout(self, *args):
        self.checkouts += 1

    def __enter__(self) -> "Counter":
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(self._exporter))
        tracing.install(provider)
        sync = self.engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._on_execute)
        event.listen(sync.pool, "checkout", self._on_checkout)
        return self

    def __exit__(self, *exc) -> None:
        sync = self.engine.sync_engine
        event.remove(sync, "before_cursor_execute", self._on_execute)
        event.remove(sync.pool, "checkout", self._on_checkout)
        tracing.uninstall()
        for span in self._exporter.get_finished_spans():
            if span.attributes.get("db.system") == "postgresql":
                sql = span.attributes["db.statement"]
                bound = self._bound.get(sql)
                self.statements.append(Statement(sql, bound.popleft() if bound else None))
