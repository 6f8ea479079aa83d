"""Resolvers of applications and jobs: decode ids, call the service, return records."""

from __future__ import annotations

import dataclasses
from typing import Any

from core.db import retrying_deadlocks
from core.errors import InvalidState, NotFound
from core.ids import decode_id
from resolvers.ids import given_row_id, row_id
from models.enums import TemplateKind
from services import jobs as job_service
from services.access import require_viewer, require_tree_reader
from services.applications import building_change, deposit_effects, estate_collection, files, house_changes, lifecycle, read, split_merge
from services.applications.building_change import BuildingItem
from services.applications.deposit_effects import Impact
from services.applications.estate_collection import EstateInfo
from services.applications.house_changes import InfoItem, OwnerData, OwnershipItem
from services.templates import house_template_document
from services.records import ApplicationRecord, DocumentRecord, EstateRecord, JobRecord, from_model


async def _run(info, fn, *args, **kwargs):
    """A service call in a session of its own, made again if it lost a deadlock."""

    async def call():
        async with info.context.sessions() as session:
            return await fn(session, info.context.viewer, *args, **kwargs)

    return await retrying_deadlocks(call)


def _app(app) -> Any:
    return from_model(ApplicationRecord, app)


def estate_info(i) -> EstateInfo:
    bank_id = None
    if i.bank_id is not None:
        bank_id = decode_id(i.bank_id, "Bank")
        if bank_id is None:
            raise NotFound("银行不存在", field="input.bankId")
    return EstateInfo(name=i.name, district=i.district, address=i.address, remark=i.remark,
                      deposit_timing=i.deposit_timing, bank_id=bank_id)


async def create_estate_collection(info, input):
    return _app(await _run(info, estate_collection.create_collection, estate_info(input)))


async def update_estate_collection(info, id, input):
    return _app(await _run(info, estate_collection.update_collection, row_id(id, "Application"), estate_info(input)))


async def update_estate(info, id, input):
    estate = await _run(info, estate_collection.update_estate, row_id(id, "Estate"), address=input.address, remark=input.remark)
    return from_model(EstateRecord, estate)


def _building_items(items) -> list[BuildingItem]:
    return [BuildingItem(building_id=row_id(i.building_id, "Building"), estate_id=row_id(i.estate_id, "Estate") if i.estate_id else None,
                         name=i.name, address=i.address, built_year=i.built_year, structure=i.structure) for i in items]


async def save_building_change(info, id, input):
    kwargs = dict(estate_id=row_id(input.estate_id, "Estate"), reason=input.reason, items=_building_items(input.items))
    if id is None:
        return _app(await _run(info, building_change.create, **kwargs))
    return _app(await _run(info, building_change.update, row_id(id, "Application"), **kwargs))


async def save_split_merge(info, id, input):
    return _app(await _run(info, split_merge.save, given_row_id(id, "Application"),
                           estate_id=row_id(input.estate_id, "Estate"), reason=input.reason,
                           house_ids=[row_id(h, "House") for h in input.house_ids]))


async def create_supplement(info, input):
    return _app(await _run(info, estate_collection.create_supplement, row_id(input.estate_id, "Estate"), input.deposit_timing))


async def update_supplement(info, id, input):
    return _app(await _run(info, estate_collection.update_supplement, row_id(id, "Application"),
                           row_id(input.estate_id, "Estate"), input.deposit_timing))


# The house values of an info-change item: the input has InfoItem's fields by the same names.
_INFO_VALUES = tuple(f.name for f in dataclasses.fields(InfoItem) if f.name not in ("house_id", "building_id"))


def _info_items(items) -> list[InfoItem]:
    return [InfoItem(house_id=row_id(i.house_id, "House"),
                     building_id=given_row_id(i.building_id, "Building"),
                     **{name: getattr(i, name) for name in _INFO_VALUES}) for i in items]


async def save_info_change(info, id, input):
    return _app(await _run(info, house_changes.save_info_change, given_row_id(id, "Application"),
                           estate_id=row_id(input.estate_id, "Estate"), reason=input.reason, items=_info_items(input.items)))


def owners(values) -> list[OwnerData]:
    return [OwnerData(name=o.name, id_type=o.id_type, id_number=o.id_number, phone=o.phone, share=o.share) for o in values]


async def save_ownership_change(info, id, input):
    items = [OwnershipItem(house_id=row_id(i.house_id, "House"), owners=owners(i.owners)) for i in input.items]
    return _app(await _run(info, house_changes.save_ownership_change, given_row_id(id, "Application"),
                           estate_id=row_id(input.estate_id, "Estate"), items=items))


async def save_cancellation(info, id, input):
    return _app(await _run(info, house_changes.save_cancellation, given_row_id(id, "Application"),
                           estate_id=row_id(input.estate_id, "Estate"), reason=input.reason,
                           house_ids=[row_id(h, "House") for h in input.house_ids]))


async def import_houses(info, application_id, file):
    return from_model(JobRecord, await _run(info, files.start_import, row_id(application_id, "Application"), file))


async def export_houses(info, house_ids, application_id):
    ids = None
    if house_ids is not None:
        ids = [row_id(h, "House") for h in house_ids]
        if any(i is None for i in ids):
            raise NotFound("房屋不存在", field="houseIds")
    app_id = None
    if application_id is not None:
        app_id = row_id(application_id, "Application")
        if app_id is None:
            raise NotFound("业务单不存在", field="applicationId")
    return from_model(JobRecord, await _run(info, files.start_export, ids, app_id))


async def add_attachment(info, application_id, file):
    return from_model(DocumentRecord, await _run(info, files.add_attachment, row_id(application_id, "Application"), file))


async def remove_attachment(info, application_id, document_id):
    return _app(await _run(info, files.remove_attachment, row_id(application_id, "Application"), row_id(document_id, "Document")))


async def submit(info, id, refund_account: dict | None):
    require_viewer(info.context.viewer)
    return _app(await _run(info, lifecycle.submit, row_id(id, "Application"), refund_account=refund_account))


async def withdraw(info, id):
    require_viewer(info.context.viewer)
    return _app(await _run(info, lifecycle.withdraw, row_id(id, "Application")))


async def accept(info, id):
    require_viewer(info.context.viewer)
    return _app(await _run(info, lifecycle.accept, row_id(id, "Application")))


async def approve(info, id, comment: str | None):
    require_viewer(info.context.viewer)
    return _app(await _run(info, lifecycle.approve, row_id(id, "Application"), comment=comment))


async def reject(info, id, comment: str):
    require_viewer(info.context.viewer)
    return _app(await _run(info, lifecycle.reject, row_id(id, "Application"), comment=comment))


async def changed_houses(info, app, *, first: int | None, offset: int | None) -> list[Any]:
    async with info.context.sessions() as session:
        return await read.house_changes(session, app.id, first=first, offset=offset)


async def deposit_impacts(info, app) -> list[Impact]:
    async with info.context.sessions() as session:
        return await deposit_effects.impacts_if_approved(session, app)


async def needs_refund_account(info, app) -> bool:
    return deposit_effects.needs_refund_account(await deposit_impacts(info, app))


async def house_locker(info, house_id: int):
    """The submitted or accepted application that locks the house, if any."""
    app_id = await info.context.loaders.locker_by_house_id.load(house_id)
    return None if app_id is None else await info.context.loaders.application_by_id.load(app_id)


async def building_locker(info, building_id: int):
    """The submitted or accepted application that locks the building, if any."""
    app_id = await info.context.loaders.locker_by_building_id.load(building_id)
    return None if app_id is None else await info.context.loaders.application_by_id.load(app_id)


async def application(info, gid: str):
    viewer = info.context.viewer
    pk = decode_id(gid, "Application")
    if viewer is None or pk is None:
        return None
    record = await info.context.loaders.application_by_id.load(pk)
    return record if record is not None and viewer.can_see_org(record.organization_id) else None


async def applications(info, *, first, after, filter):
    viewer = require_tree_reader(info.context.viewer)
    f = filter
    kwargs: dict[str, Any] = {}
    if f is not None:
        kwargs = dict(type=f.type, status=f.status, search=f.search)
        if f.estate_id is not None:
            kwargs["estate_id"] = given_row_id(f.estate_id, "Estate")
        if f.organization_id is not None:
            kwargs["organization_id"] = given_row_id(f.organization_id, "Organization")
            kwargs["organization_given"] = True
    async with info.context.sessions() as session:
        return await read.applications_page(session, viewer, first=first, after=after, **kwargs)


async def job(info, gid: str):
    viewer = info.context.viewer
    pk = decode_id(gid, "Job")
    if viewer is None or pk is None:
        return None
    record = await info.context.loaders.job_by_id.load(pk)
    return record if record is not None and job_service.can_see(viewer, record) else None


async def import_template(info, kind: TemplateKind):
    require_viewer(info.context.viewer)
    if kind != TemplateKind.HOUSES:
        raise InvalidState("续筹金额表请通过 exportRenewalAmounts 导出（随交款功能提供）")
    async with info.context.sessions() as session:
        return from_model(DocumentRecord, await house_template_document(session))
