"""Resolvers of the estate tree and of organisations: check who may see, call services/tree."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

from core.errors import Forbidden, NotFound, ValidationFailed
from core.ids import decode_any, decode_id
from models.enums import Role
from resolvers import applications, payments
from services import documents, pii
from services.tree import floor_plan as floor_plan_service
from services.tree import read as tree_read
from services.access import require_org_admin_of, require_role, require_sees_org, require_tree_reader, require_viewer


def _viewer(info):
    return info.context.viewer


async def _tree_node(info, gid: str, type_name: str, loader) -> Any:
    """An estate, building or house by id, if the viewer may see it; else None (never a hint
    that it exists). Each record carries its developer for this check."""
    viewer = _viewer(info)
    if viewer is None or not (viewer.is_staff or viewer.organization_id):
        return None
    pk = decode_id(gid, type_name)
    record = None if pk is None else await loader.load(pk)
    return record if record is not None and viewer.can_see_org(record.developer_id) else None


async def estate(info, gid: str):
    return await _tree_node(info, gid, "Estate", info.context.loaders.estate_by_id)


async def building(info, gid: str):
    return await _tree_node(info, gid, "Building", info.context.loaders.building_by_id)


async def house(info, gid: str):
    return await _tree_node(info, gid, "House", info.context.loaders.house_by_id)


async def organization(info, gid: str):
    viewer = _viewer(info)
    pk = decode_id(gid, "Organization")
    if viewer is None or pk is None or not viewer.can_see_org(pk):
        return None
    return await info.context.loaders.organization_by_id.load(pk)


async def user(info, gid: str):
    viewer = _viewer(info)
    pk = decode_id(gid, "User")
    if viewer is None or pk is None:
        return None
    record = await info.context.loaders.user_by_id.load(pk)
    return record if record is not None and viewer.can_see_user(record) else None


async def bank(info, gid: str):
    viewer = _viewer(info)
    pk = decode_id(gid, "Bank")
    return None if viewer is None or pk is None else await info.context.loaders.bank_by_id.load(pk)


async def document(info, gid: str):
    viewer = _viewer(info)
    pk = decode_id(gid, "Document")
    if viewer is None or pk is None:
        return None
    record = await info.context.loaders.document_by_id.load(pk)
    return record if record is not None and viewer.can_see_document(record) else None


def _payments(type_name):
    async def lookup(info, gid):
        return await payments.node(info, type_name, gid)

    return lookup


NODE_LOOKUPS = {
    "Application": applications.application, "Job": applications.job,
    **{t: _payments(t) for t in ("PaymentNotice", "Payment", "Refund", "DepositStandard")},
    "Estate": estate, "Building": building, "House": house, "Organization": organization, "User": user,
    "Bank": bank, "Document": document,
}


async def node(info, gid: str):
    decoded = decode_any(gid)
    if decoded is None or decoded[0] not in NODE_LOOKUPS:
        return None
    return await NODE_LOOKUPS[decoded[0]](info, gid)


async def banks(info):
    require_viewer(_viewer(info))
    async with info.context.sessions() as session:
        return await tree_read.all_banks(session)


async def organizations(info, *, first, after, search, materials_verified):
    require_role(_viewer(info), Role.CLERK, Role.ADMIN)
    async with info.context.sessions() as session:
        return await tree_read.organizations_page(session, first=first, after=after, search=search,
                                             materials_verified=materials_verified)


async def organization_users(info, org) -> list[Any]:
    require_org_admin_of(_viewer(info), org.id)
    return await info.context.loaders.users_by_organization_id.load(org.id)


async def organization_attachments(info, org) -> list[Any]:
    """要件 (registration materials): the organisation's admins and staff."""
    require_org_admin_of(_viewer(info), org.id)
    return await info.context.loaders.attachments_by_organization_id.load(org.id)


def require_sees(info, organization_id: int | None) -> None:
    require_sees_org(_viewer(info), organization_id)


async def organization_estates(info, org, *, first, after):
    viewer = require_tree_reader(_viewer(info))
    if not viewer.can_see_org(org.id):
        raise NotFound()
    async with info.context.sessions() as session:
        return await tree_read.estates_of_organization_page(session, viewer, org.id, first=first, after=after)


def _filter_id(gid: str | None, type_name: str, field: str) -> int | None:
    if gid is None:
        return None
    pk = decode_id(gid, type_name)
    if pk is None:
        raise NotFound(f"{field} 不存在", field=field)
    return pk


async def estates(info, *, first, after, filter):
    viewer = require_tree_reader(_viewer(info))
    f = filter
    developer_id = _filter_id(f.developer_id, "Organization", "filter.developerId") if f and f.developer_id else None
    async with info.context.sessions() as session:
        return await tree_read.estates_page(
            session, viewer, first=first, after=after,
            search=f.search if f else None, district=f.district if f else None,
            developer_id=developer_id, developer_filter_given=bool(f and f.developer_id),
            status=f.status if f else None,
        )


async def houses(info, *, filter, first, after):
    viewer = require_tree_reader(_viewer(info))
    f = filter
    if not (f.estate_id or f.building_id or (f.search and f.search.strip())):
        raise ValidationFailed("请指定物业区域、楼幢或搜索条件", field="filter")
    estate_id = _filter_id(f.estate_id, "Estate", "filter.estateId")
    building_id = _filter_id(f.building_id, "Building", "filter.buildingId")
    if estate_id is not None and await estate(info, f.estate_id) is None:
        raise NotFound("物业区域不存在", field="filter.estateId")
    if building_id is not None and await building(info, f.building_id) is None:
        raise NotFound("楼幢不存在", field="filter.buildingId")
    async with info.context.sessions() as session:
        return await tree_read.houses_page(
            session, viewer, first=first, after=after, estate_id=estate_id, building_id=building_id,
            search=f.search, status=f.status, sales_status=f.sales_status, unpaid=f.unpaid,
        )


def visible_owners(house, context) -> list[Any] | None:
    """House.owners at once: the owners its loader attached, when the viewer may see them in
    full; else None (the resolver then loads them or masks them for a bank)."""
    viewer = context.viewer
    if house.owner_list is None or viewer is None or not viewer.can_see_org(house.developer_id):
        return None
    return house.owner_list


async def masked_owners(info, house, owners) -> list[Any]:
    """A bank sees the owners of a house on one of its owner-paid notices (its payers), their
    numbers masked; no one else outside the developer and staff sees owners."""
    viewer = _viewer(info)
    if viewer is None or viewer.bank_id is None or not viewer.has(Role.BANK) or \
            viewer.bank_id not in await info.context.loaders.owner_notice_banks_by_house_id.load(house.id):
        raise Forbidden("只能查看本行交存通知单交款业主的信息")
    owners = await owners if inspect.isawaitable(owners) else owners
    return [dataclasses.replace(o, masked=True) for o in owners]


def document_url(document) -> str:
    return documents.signed_url(document.id)


def owner_id_number(owner) -> str:
    """Opened from its seal (services/pii.py); masked on the records a bank is given."""
    value = pii.reveal(owner.id_number, pii.ID_NUMBER)
    return pii.mask_id_number(value) if owner.masked else value


def owner_phone(owner) -> str:
    value = pii.reveal(owner.phone, pii.PHONE)
    return pii.mask_phone(value) if owner.masked else value


def floor_plan(houses: list[Any]):
    return floor_plan_service.floor_plan(houses)
