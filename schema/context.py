"""Per request: the viewer, the request id and the DataLoaders. Every batch load reads on an
AUTOCOMMIT connection of its own (core.db.get_reader), so concurrently resolved sibling fields
never share one; the loaders' functions are the services' batched reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Sequence

from strawberry.dataloader import DataLoader

from core.db import get_reader
from services import history
from services.payments import read as payments_read
from services.access import Viewer
from services.applications import read as applications
from services.records import with_owners
from services.tree import read as tree_read

if TYPE_CHECKING:  # types only: schema runs no SQL itself
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker


class Loaders:
    """Named XByYLoader after Saleor; one set per request (or per subscription event). Each batch
    reads on a connection of its own from get_reader(), not on the request's sessions."""

    def _loader(self, fn: Callable[[AsyncConnection, Sequence[int]], Awaitable[list[Any]]]) -> DataLoader:
        async def load(keys: list[int]) -> list[Any]:
            # Each batch reads on its own AUTOCOMMIT connection (Core selects only).
            async with get_reader().connect() as connection:
                return await fn(connection, keys)

        return DataLoader(load_fn=load, max_batch_size=20000)

    @cached_property
    def estate_by_id(self) -> DataLoader:
        return self._loader(tree_read.estates_by_id)

    @cached_property
    def building_by_id(self) -> DataLoader:
        return self._loader(tree_read.buildings_by_id)

    @cached_property
    def house_by_id(self) -> DataLoader:
        return self._loader(tree_read.houses_by_id)

    @cached_property
    def history_by_organization_id(self) -> DataLoader:
        return self._loader(history.organization_history)

    @cached_property
    def history_by_estate_id(self) -> DataLoader:
        return self._loader(history.estate_history)

    @cached_property
    def organization_by_id(self) -> DataLoader:
        return self._loader(tree_read.organizations_by_id)

    @cached_property
    def bank_by_id(self) -> DataLoader:
        return self._loader(tree_read.banks_by_id)

    @cached_property
    def user_by_id(self) -> DataLoader:
        return self._loader(tree_read.users_by_id)

    @cached_property
    def buildings_by_estate_id(self) -> DataLoader:
        return self._loader(tree_read.buildings_by_estate)

    @cached_property
    def houses_by_building_id(self) -> DataLoader:
        """Houses with their owners attached, in one connection: a floor plan or a tree costs
        no extra round trip, and House.owners no loader call, for them."""

        async def load(keys: list[int]) -> list[Any]:
            async with get_reader().connect() as connection:
                groups = await tree_read.houses_by_building(connection, keys)
                ids = [h.id for group in groups for h in group]
                owners = iter(await tree_read.owners_by_house(connection, ids) if ids else [])
            return [[with_owners(h, next(owners)) for h in group] for group in groups]

        return DataLoader(load_fn=load, max_batch_size=20000)

    @cached_property
    def owners_by_house_id(self) -> DataLoader:
        return self._loader(tree_read.owners_by_house)

    @cached_property
    def ledger_by_house_id(self) -> DataLoader:
        return self._loader(tree_read.ledger_by_house)

    @cached_property
    def users_by_organization_id(self) -> DataLoader:
        return self._loader(tree_read.users_by_organization)

    @cached_property
    def attachments_by_organization_id(self) -> DataLoader:
        return self._loader(tree_read.attachments_by_organization)

    @cached_property
    def totals_by_building_id(self) -> DataLoader:
        return self._loader(tree_read.building_totals)

    @cached_property
    def totals_by_estate_id(self) -> DataLoader:
        return self._loader(tree_read.estate_totals)

    @cached_property
    def application_by_id(self) -> DataLoader:
        return self._loader(applications.applications_by_id)

    @cached_property
    def job_by_id(self) -> DataLoader:
        return self._loader(applications.jobs_by_id)

    @cached_property
    def document_by_id(self) -> DataLoader:
        return self._loader(applications.documents_by_id)

    @cached_property
    def events_by_application_id(self) -> DataLoader:
        return self._loader(applications.events_by_application)

    @cached_property
    def attachments_by_application_id(self) -> DataLoader:
        return self._loader(applications.attachments_by_application)

    @cached_property
    def house_change_count_by_application_id(self) -> DataLoader:
        return self._loader(applications.house_change_counts)

    @cached_property
    def building_changes_by_application_id(self) -> DataLoader:
        return self._loader(applications.building_changes_by_application)

    @cached_property
    def payment_by_id(self) -> DataLoader:
        return self._loader(payments_read.payments_by_id)

    @cached_property
    def refund_by_id(self) -> DataLoader:
        return self._loader(payments_read.refunds_by_id)

    @cached_property
    def deposit_standard_by_id(self) -> DataLoader:
        return self._loader(payments_read.deposit_standards_by_id)

    @cached_property
    def notice_by_id(self) -> DataLoader:
        return self._loader(payments_read.notices_by_id)

    @cached_property
    def payment_by_notice_id(self) -> DataLoader:
        return self._loader(payments_read.payments_by_notice)

    @cached_property
    def lines_by_notice_id(self) -> DataLoader:
        return self._loader(payments_read.lines_by_notice)

    @cached_property
    def notices_by_application_id(self) -> DataLoader:
        return self._loader(payments_read.notices_by_application)

    @cached_property
    def notices_by_job_id(self) -> DataLoader:
        return self._loader(payments_read.notices_by_job)

    @cached_property
    def refunds_by_application_id(self) -> DataLoader:
        return self._loader(payments_read.refunds_by_application)

    @cached_property
    def owner_notice_banks_by_house_id(self) -> DataLoader:
        return self._loader(payments_read.owner_notice_banks_by_house)

    @cached_property
    def locker_by_house_id(self) -> DataLoader:
        return self._loader(applications.house_lockers)

    @cached_property
    def locker_by_building_id(self) -> DataLoader:
        return self._loader(applications.building_lockers)


@dataclass
class Context:
    sessions: async_sessionmaker[AsyncSession]
    viewer: Viewer | None
    request_id: str | None
    request: Any = None
    response: Any = None
    connection_params: dict[str, Any] | None = None
    token_rejected: bool = False
    viewer_user: Any = None  # the viewer's UserRecord, read with the token (services/auth.check_token)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders()

    def renew_loaders(self) -> None:
        """Forget what the loaders have cached (per operation, or per subscription event)."""
        self.loaders = Loaders()

    @property
    def client_address(self) -> str | None:
        """The peer's address; behind a proxy, uvicorn's --forwarded-allow-ips makes it the client's."""
        client = getattr(self.request, "client", None)
        return client.host if client else None
