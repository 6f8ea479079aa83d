"""Counting what a request does to the database, in-process: SQL statements (SQLAlchemy's
before_cursor_execute on the engine) and connection checkouts from the pool (each one a
pre-ping round trip, and a BEGIN … ROLLBACK around the statements of its session)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import event


@dataclass
class Statement:
    sql: str
    parameters: int

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

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        n = len(parameters) if isinstance(parameters, (list, tuple, dict)) else 0
        self.statements.append(Statement(statement, n))

    def _on_checkout(self, *args):
        self.checkouts += 1

    def __enter__(self) -> "Counter":
        sync = self.engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._on_execute)
        event.listen(sync.pool, "checkout", self._on_checkout)
        return self

    def __exit__(self, *exc) -> None:
        sync = self.engine.sync_engine
        event.remove(sync, "before_cursor_execute", self._on_execute)
        event.remove(sync.pool, "checkout", self._on_checkout)
