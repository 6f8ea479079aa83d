"""楼盘表: a building's houses laid out as a grid, floors from the top down."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

from models.enums import RecordStatus


@lru_cache(maxsize=4096)
def natural_key(text: str | None) -> tuple:
    """'2单元' after '1单元', '1001' after '201': digits compare as numbers."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.findall(r"\d+|\D+", text or ""))


@dataclass(frozen=True)
class FloorPlanRow:
    floor: int
    houses: list[Any]


@dataclass(frozen=True)
class FloorPlan:
    units: list[str]
    floors: list[FloorPlanRow]


def floor_plan(houses: Sequence[Any]) -> FloorPlan:
    """楼盘表: floors from the top down; on each floor houses by unit then room number, so the
    grid reads left to right as in the manual's selection screens. Cancelled houses are left out."""
    live = [h for h in houses if h.status != RecordStatus.CANCELLED]
    units = sorted({h.unit or "" for h in live}, key=natural_key)
    by_floor: dict[int, list[Any]] = defaultdict(list)
    for h in live:
        by_floor[h.floor].append(h)
    rows = [
        FloorPlanRow(floor, sorted(by_floor[floor], key=lambda h: (natural_key(h.unit), natural_key(h.room_number))))
        for floor in sorted(by_floor, reverse=True)
    ]
    return FloorPlan(units=units, floors=rows)
