from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers import accounts, tree
from schema.application_roots import ApplicationQuery
from schema.payment_roots import PaymentQuery
from schema.inputs import EstateFilter, HouseFilter, UserFilter
from schema.types import (
    Agreement, Bank, Building, Estate, EstateConnection, House, HouseConnection, Node, Organization,
    OrganizationConnection, User, UserConnection,
)
from services.organizations import AGREEMENT_TEXT, AGREEMENT_VERSION


@strawberry.type
class Query(ApplicationQuery, PaymentQuery):
    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await tree.node(info, id)

    @strawberry.field
    def me(self, info: Info) -> User | None:
        return accounts.me(info)

    @strawberry.field
    def registration_agreement(self) -> Agreement:
        return Agreement(version=AGREEMENT_VERSION, text=AGREEMENT_TEXT)

    @strawberry.field
    async def banks(self, info: Info) -> list[Bank]:
        return await tree.banks(info)

    @strawberry.field(description="ADMIN: every user of the platform")
    async def users(self, info: Info, filter: UserFilter | None = None, first: int | None = None,
                    after: str | None = None) -> UserConnection:
        return UserConnection.of(await accounts.all_users(info, filter=filter, first=first, after=after))

    @strawberry.field
    async def organization(self, info: Info, id: strawberry.ID) -> Organization | None:
        return await tree.organization(info, id)

    @strawberry.field(description="clerks and admins")
    async def organizations(self, info: Info, first: int | None = None, after: str | None = None,
                            search: str | None = None, materials_verified: bool | None = None) -> OrganizationConnection:
        return OrganizationConnection.of(await tree.organizations(
            info, first=first, after=after, search=search, materials_verified=materials_verified))

    @strawberry.field
    async def estates(self, info: Info, first: int | None = None, after: str | None = None,
                      filter: EstateFilter | None = None) -> EstateConnection:
        return EstateConnection.of(await tree.estates(info, first=first, after=after, filter=filter))

    @strawberry.field
    async def estate(self, info: Info, id: strawberry.ID) -> Estate | None:
        return await tree.estate(info, id)

    @strawberry.field
    async def building(self, info: Info, id: strawberry.ID) -> Building | None:
        return await tree.building(info, id)

    @strawberry.field
    async def house(self, info: Info, id: strawberry.ID) -> House | None:
        return await tree.house(info, id)

    @strawberry.field
    async def houses(self, info: Info, filter: HouseFilter, first: int | None = None,
                     after: str | None = None) -> HouseConnection:
        return HouseConnection.of(await tree.houses(info, filter=filter, first=first, after=after))
