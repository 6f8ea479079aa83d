"""Resolvers of applications and jobs: decode ids, call the service, return records."""

from __future__ import annotations

import dataclasses
from typing import Any

from core.db import retrying_deadlocks
from core.errors import InvalidState, NotFound, ValidationFailed
from core.ids import decode_id
from models.enums import TemplateKind
from services import jobs as job_service
from services.access import require_viewer, require_tree_reader
from services.applications import building_change, estate_collection, files, house_changes, lifecycle, read, split_merge
from services.applications.building_change import BuildingItem
from services.applications.estate_collection import EstateInfo
from services.applications.house_changes import InfoItem, OwnerData, OwnershipItem
from services.records import ApplicationRecord, DocumentRecord, EstateRecord, JobRecord, from_model


def _pk(gid: str | None, type_name: str) -> int | None:
    return None if gid is None else decode_id(gid, type_name)


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
    return _app(await _run(info, estate_collection.update_collection, _pk(id, "Application"), estate_info(input)))


async def update_estate(info, id, input):
    estate = await _run(info, estate_collection.update_estate, _pk(id, "Estate"), address=input.address, remark=input.remark)
    return from_model(EstateRecord, estate)


def _building_items(items) -> list[BuildingItem]:
    return [BuildingItem(building_id=_pk(i.building_id, "Building"), estate_id=_pk(i.estate_id, "Estate") if i.estate_id else None,
                         name=i.name, address=i.address, built_year=i.built_year, structure=i.structure) for i in items]


async def save_building_change(info, id, input):
    kwargs = dict(estate_id=_pk(input.estate_id, "Estate"), reason=input.reason, items=_building_items(input.items))
    if id is None:
        return _app(await _run(info, building_change.create, **kwargs))
    return _app(await _run(info, building_change.update, _pk(id, "Application"), **kwargs))


async def save_split_merge(info, id, input):
    return _app(await _run(info, split_merge.save, None if id is None else _pk(id, "Application") or 0,
                           estate_id=_pk(input.estate_id, "Estate"), reason=input.reason,
                           house_ids=[_pk(h, "House") for h in input.house_ids]))


async def create_supplement(info, input):
    return _app(await _run(info, estate_collection.create_supplement, _pk(input.estate_id, "Estate"), input.deposit_timing))


async def update_supplement(info, id, input):
    return _app(await _run(info, estate_collection.update_supplement, _pk(id, "Application"),
                           _pk(input.estate_id, "Estate"), input.deposit_timing))


# The house values of an info-change item: the input has InfoItem's fields by the same names.
_INFO_VALUES = tuple(f.name for f in dataclasses.fields(InfoItem) if f.name not in ("house_id", "building_id"))


def _info_items(items) -> list[InfoItem]:
    return [InfoItem(house_id=_pk(i.house_id, "House"),
                     building_id=(_pk(i.building_id, "Building") or 0) if i.building_id is not None else None,
                     **{name: getattr(i, name) for name in _INFO_VALUES}) for i in items]


async def save_info_change(info, id, input):
    return _app(await _run(info, house_changes.save_info_change, None if id is None else _pk(id, "Application") or 0,
                           estate_id=_pk(input.estate_id, "Estate"), reason=input.reason, items=_info_items(input.items)))


def owners(values) -> list[OwnerData]:
    return [OwnerData(name=o.name, id_type=o.id_type, id_number=o.id_number, phone=o.phone, share=o.share) for o in values]


async def save_ownership_change(info, id, input):
    items = [OwnershipItem(house_id=_pk(i.house_id, "House"), owners=owners(i.owners)) for i in input.items]
    return _app(await _run(info, house_changes.save_ownership_change, None if id is None else _pk(id, "Application") or 0,
                           estate_id=_pk(input.estate_id, "Estate"), items=items))


async def save_cancellation(info, id, input):
    return _app(await _run(info, house_changes.save_cancellation, None if id is None else _pk(id, "Application") or 0,
                           estate_id=_pk(input.estate_id, "Estate"), reason=input.reason,
                           house_ids=[_pk(h, "House") for h in input.house_ids]))


async def import_houses(info, application_id, file):
    return from_model(JobRecord, await _run(info, files.start_import, _pk(application_id, "Application"), file))


async def export_houses(info, house_ids, application_id):
    ids = None
    if house_ids is not None:
        ids = [_pk(h, "House") for h in house_ids]
        if any(i is None for i in ids):
            raise NotFound("房屋不存在", field="houseIds")
    app_id = None
    if application_id is not None:
        app_id = _pk(application_id, "Application")
        if app_id is None:
            raise NotFound("业务单不存在", field="applicationId")
    return from_model(JobRecord, await _run(info, files.start_export, ids, app_id))


async def add_attachment(info, application_id, file):
    return from_model(DocumentRecord, await _run(info, files.add_attachment, _pk(application_id, "Application"), file))


async def remove_attachment(info, application_id, document_id):
    return _app(await _run(info, files.remove_attachment, _pk(application_id, "Application"), _pk(document_id, "Document")))


async def transition(info, name: str, id, **kwargs):
    require_viewer(info.context.viewer)
    return _app(await _run(info, getattr(lifecycle, name), _pk(id, "Application"), **kwargs))


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
            kwargs["estate_id"] = _pk(f.estate_id, "Estate") or 0
        if f.organization_id is not None:
            kwargs["organization_id"] = _pk(f.organization_id, "Organization") or 0
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
    from services.templates import house_template_document

    async with info.context.sessions() as session:
        return from_model(DocumentRecord, await house_template_document(session))
