"""CPU time of other processes from /proc (user + system, in clock ticks): the server's, and
PostgreSQL's backends'. Wall-clock time on a busy machine includes waiting for a core; CPU time
does not, so CPU ratios stay meaningful when other work competes for the two cores. Tick
resolution (10 ms) is fine for sums over many requests, not for one short request."""

from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int | str) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from the 3rd (state) on


def process_cpu(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICK if fields else 0.0


def children_cpu(parent: int) -> float:
    total = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(entry.name)
            if fields and int(fields[1]) == parent:
                total += int(fields[11]) + int(fields[12])
    return total / TICK


def postmaster_pid(pg_dir: Path) -> int | None:
    try:
        return int((pg_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


class CpuMeter:
    """CPU seconds used by the server process (with its children) and by PostgreSQL's backends
    between two reads."""

    def __init__(self, server_pid: int, postmaster: int | None):
        self.server_pid = server_pid
        self.postmaster = postmaster

    def read(self) -> tuple[float, float]:
        pg = children_cpu(self.postmaster) if self.postmaster else 0.0
        # The server's own children too: a worker's import reading process (import_process).
        return process_cpu(self.server_pid) + children_cpu(self.server_pid), pg
