"""The process's one policy for Python's cyclic garbage collector.

The service makes many objects that live as long as a request or a job does (a large GraphQL
result, the cells of a workbook being read, the boxes of a PDF being laid out) and little cyclic
garbage. With the default thresholds the collector keeps re-scanning those live objects: about
40 % of the whole-estate query, a third of a 100 000-row workbook read and a fifth of a
1 000-page render (docs/benchmarks.md). So:

- `settle()`, once a process has started (API and worker): what start-up made is frozen out of
  every later collection, and young objects are collected less often.
- `quiet()`, around a block that makes many long-lived objects (a workbook read, a PDF render):
  the thresholds go higher while any such block runs anywhere in the process and come back when
  the last one ends. It is re-entrant and thread-safe (reads and renders run in threads), and
  the collector stays on: other jobs on the same worker still have their garbage collected.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SETTLED = (50_000, 20, 100)
QUIET = (200_000, 50, 1000)

_lock = threading.Lock()
_holders = 0
_before: tuple[int, int, int] | None = None


def settle() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SETTLED)


@contextmanager
def quiet() -> Iterator[None]:
    global _holders, _before
    with _lock:
        if _holders == 0:
            _before = gc.get_threshold()
            gc.set_threshold(*(max(now, wanted) for now, wanted in zip(_before, QUIET)))
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _before is not None:
                gc.set_threshold(*_before)
