"""The in-memory side of the comparison: the same Strawberry schema and the same resolvers,
with a Loaders whose DataLoaders read records prefetched once from the database (by the very
services/tree functions the real loaders call) instead of reading the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from strawberry.dataloader import DataLoader

from schema.context import Context, Loaders
from services.tree import read as tree


@dataclass
class Snapshot:
    """Per loader function name: key → what the loader returns for it, and the value for a
    key that is not there (None for by-id loads, [] for lists, empty Totals)."""

    tables: dict[str, dict[int, Any]]
    missing: dict[str, Any]


async def snapshot(sessions, estate_ids: Sequence[int]) -> Snapshot:
    async with sessions() as s:
        estate_ids = list(estate_ids)
        building_lists = await tree.buildings_by_estate(s, estate_ids)
        building_ids = [b.id for group in building_lists for b in group]
        house_lists = await tree.houses_by_building(s, building_ids)
        house_ids = [h.id for group in house_lists for h in group]
        tables = {
            "estates_by_id": dict(zip(estate_ids, await tree.estates_by_id(s, estate_ids))),
            "estate_totals": dict(zip(estate_ids, await tree.estate_totals(s, estate_ids))),
            "buildings_by_estate": dict(zip(estate_ids, building_lists)),
            "buildings_by_id": dict(zip(building_ids, await tree.buildings_by_id(s, building_ids))),
            "building_totals": dict(zip(building_ids, await tree.building_totals(s, building_ids))),
            "houses_by_building": dict(zip(building_ids, house_lists)),
            "houses_by_id": {h.id: h for group in house_lists for h in group},
            "owners_by_house": dict(zip(house_ids, await tree.owners_by_house(s, house_ids))),
        }
    missing = {name: None for name in tables}
    missing.update(estate_totals=tree.Totals(), building_totals=tree.Totals(), buildings_by_estate=[],
                   houses_by_building=[], owners_by_house=[])
    return Snapshot(tables, missing)


class MemoryLoaders(Loaders):
    """Loaders with the same DataLoader settings; each load function returns from the snapshot.
    A loader the snapshot does not hold fails loudly (KeyError) rather than reading the DB."""

    def __init__(self, snap: Snapshot):
        self._snapshot = snap

    def _loader(self, fn: Callable[..., Any]) -> DataLoader:
        name = fn.__name__
        table = self._snapshot.tables[name]
        missing = self._snapshot.missing[name]

        async def load(keys: list[int]) -> list[Any]:
            return [table.get(k, missing) for k in keys]

        return DataLoader(load_fn=load, max_batch_size=20000)


def memory_context(snap: Snapshot, viewer) -> Context:
    ctx = Context(sessions=None, viewer=viewer, request_id=None)  # type: ignore[arg-type]
    ctx.loaders = MemoryLoaders(snap)
    return ctx
