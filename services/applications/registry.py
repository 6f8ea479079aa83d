"""Every business type, by ApplicationType, and what the life cycle and the import may ask of
one. The table is written out here: a new type is one module and one line below, and nothing
registers itself by being imported."""

from __future__ import annotations

from typing import Any, Protocol, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import AppError
from models import Application
from models.enums import ApplicationType
from services.access import Viewer
from services.applications.building_change import BuildingChange
from services.applications.common import Impact
from services.applications.estate_collection import Creating
from services.applications.house_changes import Cancellation, InfoChange, OwnershipChange
from services.applications.split_merge import SplitMerge
from services.houses.fields import BuildingFields, HouseRow


class BusinessType(Protocol):
    """What each business type provides to the life cycle (services/applications/lifecycle.py)."""

    async def lock_targets(self, session: AsyncSession, app: Application) -> list[tuple[str, int]]:
        """The houses, buildings or estate the application holds from submit to its decision."""

    async def check_submit(self, session: AsyncSession, app: Application) -> list[AppError]:
        """Every problem that blocks submit; none: the application may be submitted."""

    async def deposit_impacts(self, session: AsyncSession, app: Application) -> list[Impact]:
        """What approving would do to each house's deposit, from the data as it is now
        (services/applications/deposit_effects.py applies them); [] when nothing."""

    async def approve(self, session: AsyncSession, app: Application, viewer: Viewer, impacts: list[Impact]) -> None:
        """The application's changes, in the approval's transaction; `impacts` are the ones
        deposit_impacts gave just before in it."""

    async def discard(self, session: AsyncSession, app: Application) -> None:
        """What a withdrawn application leaves behind goes (houses created for it, …)."""


class HouseWriter(Protocol):
    """An import's houses written into the application, in the import's transaction, while
    (or once) the sheet is read: `start`, then `write` for each part read without an error,
    then `finish` once every row passed validate_import. The caller commits or rolls back."""

    rows: list[HouseRow]  # every house given to write so far, in the sheet's order

    def prepare(self, rows: Sequence[HouseRow]) -> Any:
        """What `write` will need of a part that needs no database (pure; called in the reading
        thread, so that it overlaps PostgreSQL's writing of the part before)."""

    async def start(self) -> None: ...

    async def write(self, rows: Sequence[HouseRow], prepared: Any) -> None:
        """`prepared`: what prepare(rows) returned."""

    async def finish(self, buildings: dict[str, BuildingFields]) -> None:
        """`buildings`: each building name → its columns as the sheet states them (first row)."""


class ImportsHouses(BusinessType, Protocol):
    """A business type whose houses come from the Excel template (files.run_import)."""

    with_code: bool  # the sheet carries 房屋编号 (an export re-imported: houses that exist)

    def import_writer(self, session: AsyncSession, app: Application) -> HouseWriter: ...

    async def validate_import(self, session: AsyncSession, app: Application, rows: Sequence[HouseRow]) -> list[dict]:
        """The row errors against the database (the sheet checked itself already)."""


class AppliesSheetAtEnd(ImportsHouses, Protocol):
    """An importing type that compares each row with the application (split/merge, info
    change), so it applies the sheet only once all of it is read and has passed
    validate_import: its import_writer is common.AppliedAtEnd(self.apply_import, …)."""

    async def apply_import(self, session: AsyncSession, app: Application, rows: Sequence[HouseRow]) -> None: ...


_ESTATE_COLLECTION = Creating(supplement=False)
_HOUSE_SUPPLEMENT = Creating(supplement=True)
_SPLIT_MERGE: AppliesSheetAtEnd = SplitMerge()
_INFO_CHANGE: AppliesSheetAtEnd = InfoChange()

IMPORTERS: dict[ApplicationType, ImportsHouses] = {
    ApplicationType.ESTATE_COLLECTION: _ESTATE_COLLECTION,
    ApplicationType.HOUSE_SUPPLEMENT: _HOUSE_SUPPLEMENT,
    ApplicationType.HOUSE_SPLIT_MERGE: _SPLIT_MERGE,
    ApplicationType.HOUSE_INFO_CHANGE: _INFO_CHANGE,
}

TYPES: dict[ApplicationType, BusinessType] = {
    **IMPORTERS,
    ApplicationType.BUILDING_CHANGE: BuildingChange(),
    ApplicationType.OWNERSHIP_CHANGE: OwnershipChange(),
    ApplicationType.HOUSE_CANCELLATION: Cancellation(),
}


def handler_of(app: Application) -> BusinessType:
    return TYPES[app.type]


def importer_of(app: Application) -> ImportsHouses | None:
    """The application's type if it imports houses, else None."""
    return IMPORTERS.get(app.type)
