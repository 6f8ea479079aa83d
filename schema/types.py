"""Object types of the contract. They read leaf fields straight off the read-side records of
services/records.py; lists come through the request's DataLoaders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from core.ids import encode_id
from resolvers import accounts as account_resolvers
from resolvers import applications as application_resolvers
from resolvers import tree as tree_resolvers
from schema.execution import objects_in_context
from schema.enums import (
    AccountStatus, BuildingStructure, DepositTiming, DocumentKind, HouseUsage, IdType, LedgerKind, RecordStatus,
    RegistrationFileKind, Role, SalesStatus, UserStatus,
)
from services import records
from services.pagination import Page


def of_record(record_cls: type):
    """A type's is_type_of: the object is its read record (services/records.py) or the type itself."""
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, (record_cls, cls))

    is_type_of.by_class = True  # type: ignore[attr-defined]  # the class decides: the executor asks once per class
    return classmethod(is_type_of)


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


def page_info(page: Page) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next, has_previous_page=page.has_previous,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None,
    )


@strawberry.type(description="专户银行: a bank that holds fund accounts; each estate pays into one of them.")
class Bank(Node):
    is_type_of = of_record(records.BankRecord)
    code: str
    name: str
    account_name: str
    account_number: str
    is_default: bool = strawberry.field(
        description="collections that name no bank pay into the default bank; exactly one bank is the default")

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Bank", self.id))


@strawberry.type
class Document(Node):
    is_type_of = of_record(records.DocumentRecord)
    kind: DocumentKind
    registration_kind: RegistrationFileKind | None = strawberry.field(description="for a registration 要件: which one")
    filename: str
    content_type: str
    size_bytes: int
    created_at: datetime

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Document", self.id))

    @strawberry.field(description="a time-limited link that downloads the file without further credentials")
    def url(self) -> str:
        return tree_resolvers.document_url(self)


@strawberry.type(description="机构注册协议: the text a registering developer accepts; the accepted version is stored.")
class Agreement:
    version: str
    text: str


@strawberry.type(description="one field of a record changed by an immediate change (机构信息变更, 物业区域变更)")
class FieldChange:
    field: str = strawberry.field(description="the input field's name, e.g. address")
    label: str = strawberry.field(description="its Chinese label, e.g. 地址")
    before: str | None
    after: str | None


@strawberry.type
class ChangeRecord:
    at: datetime
    changes: list[FieldChange]

    @strawberry.field
    async def by(self, info: Info) -> Annotated["User", strawberry.lazy("schema.types")] | None:
        return None if self.actor_id is None else await info.context.loaders.user_by_id.load(self.actor_id)


@strawberry.type
class User(Node):
    is_type_of = of_record(records.UserRecord)
    username: str
    name: str
    phone: str | None
    status: UserStatus

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("User", self.id))

    @strawberry.field
    def roles(self) -> list[Role]:
        return [Role(r) for r in self.roles]

    @strawberry.field(description="the developer organisation of an org user; null for clerks, banks and admins")
    async def organization(self, info: Info) -> Annotated["Organization", strawberry.lazy("schema.types")] | None:
        if self.organization_id is None:
            return None
        return await info.context.loaders.organization_by_id.load(self.organization_id)

    @strawberry.field(description="the bank of a BANK user")
    async def bank(self, info: Info) -> Bank | None:
        return None if self.bank_id is None else await info.context.loaders.bank_by_id.load(self.bank_id)


@strawberry.type
class Organization(Node):
    is_type_of = of_record(records.OrganizationRecord)
    name: str
    credit_code: str = strawberry.field(description="统一社会信用代码")
    legal_representative: str
    contact_name: str
    contact_phone: str
    address: str
    materials_verified: bool = strawberry.field(description="paper copies of the registration materials received by a clerk")
    created_at: datetime
    agreement_version: str = strawberry.field(description="the version of the registration agreement accepted")

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Organization", self.id))

    @strawberry.field(description="注册要件: for the organisation's admins, clerks and admins")
    async def attachments(self, info: Info) -> list[Document]:
        return await tree_resolvers.organization_attachments(info, self)

    @strawberry.field(description="every change of the organisation's information, newest first")
    async def history(self, info: Info) -> list[ChangeRecord]:
        return await account_resolvers.history(info, info.context.loaders.history_by_organization_id, self.id,
                                               organization_id=self.id)

    @strawberry.field(description="the organisation's users: for its org admins, clerks and admins")
    async def users(self, info: Info) -> list[User]:
        return await tree_resolvers.organization_users(info, self)

    @strawberry.field
    async def estates(self, info: Info, first: int | None = None, after: str | None = None) -> "EstateConnection":
        page = await tree_resolvers.organization_estates(info, self, first=first, after=after)
        return EstateConnection.of(page)


@strawberry.type
class LoginPayload:
    token: str
    expires_at: datetime
    user: User


# ---------------------------------------------------------------- the estate tree

@strawberry.type
class Owner:
    """业主. Its record holds the sealed numbers (services/pii.py), opened only when asked for;
    `masked` is set on the records a bank is given."""

    name: str
    id_type: IdType
    share: Decimal | None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Owner", self.id))

    @strawberry.field(description="证件号码: in full for the owning organisation, clerks and admins; masked for a bank")
    def id_number(self) -> str:
        return tree_resolvers.owner_id_number(self)

    @strawberry.field(description="手机号码: in full for the owning organisation, clerks and admins; masked for a bank")
    def phone(self) -> str:
        return tree_resolvers.owner_phone(self)


@strawberry.type
class LedgerEntry:
    kind: LedgerKind
    amount: Decimal
    balance_after: Decimal
    at: datetime
    memo: str | None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("LedgerEntry", self.id))


@strawberry.type
class Estate(Node):
    is_type_of = of_record(records.EstateRecord)
    code: str = strawberry.field(description="物业区域编号")
    name: str
    district: str = strawberry.field(description="行政区域, e.g. 蓬江区")
    address: str
    remark: str | None
    deposit_timing: DepositTiming
    status: RecordStatus

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Estate", self.id))

    @strawberry.field
    async def developer(self, info: Info) -> Organization:
        return await info.context.loaders.organization_by_id.load(self.developer_id)

    @strawberry.field(description="every immediate change of the estate (物业区域变更), newest first")
    async def history(self, info: Info) -> list[ChangeRecord]:
        return await account_resolvers.history(info, info.context.loaders.history_by_estate_id, self.id,
                                               organization_id=self.developer_id)

    @strawberry.field(description="the bank whose fund account the estate pays into")
    async def bank(self, info: Info) -> Bank:
        return await info.context.loaders.bank_by_id.load(self.bank_id)

    @strawberry.field
    async def buildings(self, info: Info) -> list[Annotated["Building", strawberry.lazy("schema.types")]]:
        return await info.context.loaders.buildings_by_estate_id.load(self.id)

    @strawberry.field
    async def house_count(self, info: Info) -> int:
        return (await info.context.loaders.totals_by_estate_id.load(self.id)).house_count

    @strawberry.field
    async def total_building_area(self, info: Info) -> Decimal:
        return (await info.context.loaders.totals_by_estate_id.load(self.id)).total_building_area

    @strawberry.field
    async def deposit_due(self, info: Info) -> Decimal:
        return (await info.context.loaders.totals_by_estate_id.load(self.id)).deposit_due

    @strawberry.field
    async def deposit_paid(self, info: Info) -> Decimal:
        return (await info.context.loaders.totals_by_estate_id.load(self.id)).deposit_paid

    @strawberry.field
    async def balance(self, info: Info) -> Decimal:
        return (await info.context.loaders.totals_by_estate_id.load(self.id)).balance


@strawberry.type
class House(Node):
    is_type_of = of_record(records.HouseRecord)
    code: str = strawberry.field(description="房屋编号: unique, human-readable, stable; used in exported workbooks")
    unit: str | None = strawberry.field(description="单元")
    floor: int = strawberry.field(description="楼层; negative below ground")
    room_number: str = strawberry.field(description="房号")
    address: str = strawberry.field(description="房屋坐落")
    usage: HouseUsage
    layout: str | None = strawberry.field(description="户型, e.g. 三房两厅")
    has_elevator: bool
    building_area: Decimal = strawberry.field(description="建筑面积, m²")
    inner_area: Decimal | None = strawberry.field(description="套内面积, m²")
    price: Decimal | None = strawberry.field(description="房款, yuan")
    real_estate_unit_number: str | None = strawberry.field(description="不动产单元号")
    sales_status: SalesStatus
    deposit_timing: DepositTiming = strawberry.field(description="交存时点 of the collection or supplement that created the house")
    status: RecordStatus
    account_status: AccountStatus
    account_number: str | None = strawberry.field(description="分户账号")
    deposit_due: Decimal = strawberry.field(description="应交: the first deposit due")
    deposit_paid: Decimal = strawberry.field(description="Σ DEPOSIT + Σ TRANSFER_IN − Σ TRANSFER_OUT − Σ REFUND")
    unpaid: Decimal = strawberry.field(description="max(0, depositDue − depositPaid)")
    balance: Decimal = strawberry.field(description="Σ of all ledger entries")

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("House", self.id))

    @strawberry.field
    async def building(self, info: Info) -> Annotated["Building", strawberry.lazy("schema.types")]:
        tree_resolvers.require_sees(info, self.developer_id)
        return await info.context.loaders.building_by_id.load(self.building_id)

    @strawberry.field
    @objects_in_context(tree_resolvers.visible_owners)
    def owners(self, info: Info) -> list[Owner]:
        """Attached when the house came with its building's houses; else through the loader
        (a sync resolver may return the loader's awaitable). In full for the developer and staff;
        anyone else (a bank, on its notices' payers) through tree_resolvers.masked_owners."""
        owners = self.owner_list if self.owner_list is not None else info.context.loaders.owners_by_house_id.load(self.id)
        viewer = info.context.viewer
        if viewer is not None and viewer.can_see_org(self.developer_id):
            return owners
        return tree_resolvers.masked_owners(info, self, owners)

    @strawberry.field
    async def ledger(self, info: Info) -> list[LedgerEntry]:
        tree_resolvers.require_sees(info, self.developer_id)
        return await info.context.loaders.ledger_by_house_id.load(self.id)

    @strawberry.field(description="the submitted or accepted application that currently locks this house")
    async def locked_by(self, info: Info) -> Annotated["Application", strawberry.lazy("schema.applications")] | None:
        tree_resolvers.require_sees(info, self.developer_id)
        return await application_resolvers.house_locker(info, self.id)


@strawberry.type
class FloorPlanRow:
    floor: int
    houses: list[House]


@strawberry.type
class FloorPlan:
    units: list[str] = strawberry.field(description="unit labels, left to right")
    floors: list[FloorPlanRow]


@strawberry.type
class Building(Node):
    is_type_of = of_record(records.BuildingRecord)
    name: str
    address: str | None
    built_year: int | None
    structure: BuildingStructure | None
    floors_above_ground: int | None
    floors_below_ground: int | None
    status: RecordStatus

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Building", self.id))

    @strawberry.field
    async def estate(self, info: Info) -> Estate:
        return await info.context.loaders.estate_by_id.load(self.estate_id)

    @strawberry.field
    async def houses(self, info: Info) -> list[House]:
        return await info.context.loaders.houses_by_building_id.load(self.id)

    @strawberry.field(description="楼盘表: the houses as a grid, highest floor first")
    async def floor_plan(self, info: Info) -> FloorPlan:
        return tree_resolvers.floor_plan(await info.context.loaders.houses_by_building_id.load(self.id))

    @strawberry.field(description="the submitted or accepted application that currently locks this building")
    async def locked_by(self, info: Info) -> Annotated["Application", strawberry.lazy("schema.applications")] | None:
        return await application_resolvers.building_locker(info, self.id)

    @strawberry.field
    async def house_count(self, info: Info) -> int:
        return (await info.context.loaders.totals_by_building_id.load(self.id)).house_count

    @strawberry.field
    async def deposit_due(self, info: Info) -> Decimal:
        return (await info.context.loaders.totals_by_building_id.load(self.id)).deposit_due

    @strawberry.field
    async def deposit_paid(self, info: Info) -> Decimal:
        return (await info.context.loaders.totals_by_building_id.load(self.id)).deposit_paid

    @strawberry.field
    async def balance(self, info: Info) -> Decimal:
        return (await info.context.loaders.totals_by_building_id.load(self.id)).balance


# ---------------------------------------------------------------- connections

def relay_connection(name: str, node_type: type):
    """The Relay connection and edge types of a node type (XConnection, XEdge)."""
    edge = strawberry.type(type(f"{name}Edge", (), {"__annotations__": {"node": node_type, "cursor": str}}))
    conn_annotations = {"edges": list[edge], "page_info": PageInfo, "total_count": int}

    def of(cls, page: Page):
        return cls(edges=[edge(node=n, cursor=c) for n, c in zip(page.items, page.cursors)],
                   page_info=page_info(page), total_count=page.total_count)

    conn = strawberry.type(type(f"{name}Connection", (), {"__annotations__": conn_annotations, "of": classmethod(of)}))
    return conn, edge


EstateConnection, EstateEdge = relay_connection("Estate", Estate)
HouseConnection, HouseEdge = relay_connection("House", House)
OrganizationConnection, OrganizationEdge = relay_connection("Organization", Organization)
UserConnection, UserEdge = relay_connection("User", User)

ALL_NODE_TYPES = [Bank, Document, User, Organization, Estate, Building, House]
