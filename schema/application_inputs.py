"""Inputs of the application mutations (contract names)."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from schema.enums import ApplicationStatus, ApplicationType, BuildingStructure, DepositTiming, HouseUsage, IdType, SalesStatus


@strawberry.input
class OwnerInput:
    name: str
    id_type: IdType
    id_number: str
    phone: str
    share: Decimal | None = None


@strawberry.input
class ApplicationFilter:
    type: ApplicationType | None = None
    status: ApplicationStatus | None = None
    estate_id: strawberry.ID | None = None
    organization_id: strawberry.ID | None = None
    search: str | None = strawberry.field(default=None, description="matches the number")


@strawberry.input
class EstateCollectionInput:
    name: str
    district: str
    address: str
    remark: str | None = None
    deposit_timing: DepositTiming
    bank_id: strawberry.ID | None = strawberry.field(default=None, description="the 专户银行 the estate pays into; the default bank (Bank.isDefault) when omitted")


@strawberry.input
class UpdateEstateInput:
    address: str | None = None
    remark: str | None = None


@strawberry.input
class BuildingChangeItemInput:
    building_id: strawberry.ID
    estate_id: strawberry.ID | None = strawberry.field(default=None, description="moves the building to another estate of the same developer")
    name: str | None = None
    address: str | None = None
    built_year: int | None = None
    structure: BuildingStructure | None = None


@strawberry.input
class BuildingChangeInput:
    estate_id: strawberry.ID
    reason: str
    items: list[BuildingChangeItemInput]


@strawberry.input
class HouseSplitMergeInput:
    estate_id: strawberry.ID
    reason: str
    house_ids: list[strawberry.ID] = strawberry.field(description="the houses that are split or merged; the result houses come by importHouses")


@strawberry.input
class HouseSupplementInput:
    estate_id: strawberry.ID
    deposit_timing: DepositTiming


@strawberry.input
class HouseInfoChangeItemInput:
    house_id: strawberry.ID
    building_id: strawberry.ID | None = None
    unit: str | None = None
    floor: int | None = None
    room_number: str | None = None
    address: str | None = None
    usage: HouseUsage | None = None
    layout: str | None = strawberry.field(default=None, description="户型: omitted keeps it, an empty string clears it")
    has_elevator: bool | None = None
    building_area: Decimal | None = None
    inner_area: Decimal | None = None
    price: Decimal | None = None
    real_estate_unit_number: str | None = None
    sales_status: SalesStatus | None = None


@strawberry.input
class HouseInfoChangeInput:
    estate_id: strawberry.ID
    reason: str
    items: list[HouseInfoChangeItemInput]


@strawberry.input
class OwnershipChangeItemInput:
    house_id: strawberry.ID
    owners: list[OwnerInput] = strawberry.field(description="the complete new list of owners of the house")


@strawberry.input
class OwnershipChangeInput:
    estate_id: strawberry.ID
    items: list[OwnershipChangeItemInput]


@strawberry.input
class HouseCancellationInput:
    estate_id: strawberry.ID
    reason: str
    house_ids: list[strawberry.ID]


@strawberry.input
class RefundAccountInput:
    account_name: str
    bank_name: str
    account_number: str
