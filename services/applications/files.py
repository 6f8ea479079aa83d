"""The files of an application: house imports and exports (background jobs), attachments, and
the printed 申请表 rendered after submit."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import get_sessionmaker
from core.errors import FileRejected, InvalidState, NotFound, ValidationFailed
from core.storage import get_storage
from documents.application_form import ApplicationForm, ChangeRow, render_application_form
from models import (
    Application, ApplicationBuilding, ApplicationHouse, Building, Document, Estate, House, Job, Organization, User,
)
from models.enums import APPLICATION_LABELS, ApplicationType, DocumentKind, IdType, JobKind, JobStatus
from services import documents, jobs, pii
from services.access import Viewer, require_tree_reader
from services.applications import common
from services.applications.estate_collection import CreatingWriter
from services.applications.registry import HouseWriter, importer_of
from services.houses import fields
from services.houses import import_process, snapshots
from sheets.house_reader import HouseSheetStream
from sheets.house_writer import write_house_sheet

log = logging.getLogger("wxfund.applications")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------- import

async def start_import(session: AsyncSession, viewer: Viewer, app_id: int | None, upload: Any) -> Job:
    viewer = common.require_estate_operator(viewer)
    # Not waiting for a running import: this one only takes its place (`app.import_job_id`).
    app = await common.get_for_update(session, viewer, app_id, hold_imports_first=False)
    common.require_applicant(viewer, app)
    if importer_of(app) is None:
        raise InvalidState("该业务不导入房屋")
    common.require_editable(app)
    doc = await documents.store_workbook_upload(session, upload, organization_id=app.organization_id,
                                                created_by_id=viewer.user_id)
    job = jobs.new_job(session, kind=JobKind.HOUSE_IMPORT, viewer=viewer, organization_id=app.organization_id,
                       application_id=app.id, input_document_id=doc.id)
    await session.flush()
    app.import_job_id = job.id
    await session.commit()
    await jobs.enqueue(job.id, job.kind)
    return job


SUPERSEDED = "已被更新的导入取代，本次导入未写入"
READER_LOST = "读取工作簿的进程意外中止，本次导入未写入，请重新导入"


class _Overtaken(Exception):
    """A newer import was asked for while this one was writing (a submit waits for it)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _refusal(app: Application, job_id: int) -> str | None:
    """Why this import may not write into the application now, or None."""
    if app.import_job_id != job_id:
        return SUPERSEDED
    if app.status not in common.EDITABLE:
        return f"业务单当前为{common.STATUS_LABELS[app.status]}，本次导入未写入"
    return None


def _error(e: Any) -> dict[str, Any]:
    if isinstance(e, dict):
        return e
    return {"row": e.row, "column": e.column, "code": e.code, "message": e.message}


async def run_import(job_id: int) -> None:
    """Reads the workbook off the event loop, checks every row (in the file, then against the
    database), and writes nothing unless all pass; the write and SUCCEEDED commit together.
    The business type's writer (registry.ImportsHouses.import_writer) gets each part of the
    sheet as soon as it is read: collection and supplement write their houses then, in this
    same transaction (PostgreSQL works on one part while Python reads the next, and a row
    error anywhere rolls all of it back); split/merge and info change keep them for `finish`."""
    job = await jobs.start(job_id)
    if job is None:
        return
    loop = asyncio.get_running_loop()
    steps: asyncio.Queue = asyncio.Queue()

    read_rows = [0]  # the data rows read: the unit of every count the job reports, to the last

    def progress(processed: int, total: int) -> None:  # called from the reading thread
        read_rows[0] = processed
        loop.call_soon_threadsafe(steps.put_nowait, (processed, total))

    async def reporter() -> None:
        """Publishes every step, in order (at least one per 1 000 rows)."""
        while (step := await steps.get()) is not None:
            await jobs.report(job_id, processed=step[0], total=step[1], message="正在读取")

    async with get_sessionmaker()() as session:
        # One import of an application at a time; one that a newer import overtook while it
        # waited gives way at once, and a running one stops at its next part.
        await common.hold_imports(session, job.application_id)
        app = await session.get_one(Application, job.application_id)
        if (refusal := _refusal(app, job_id)) is not None:
            await session.rollback()
            await jobs.fail(job_id, message=refusal)
            return

        async def still_current() -> None:
            latest = await session.scalar(select(Application).where(Application.id == app.id)
                                          .execution_options(populate_existing=True))
            if (refusal := _refusal(latest, job_id)) is not None:
                raise _Overtaken(refusal)

        doc = await session.get_one(Document, job.input_document_id)
        handler = importer_of(app)
        if handler is None:  # start_import refuses these; a job of another type is not run
            await session.rollback()
            await jobs.fail(job_id, message="该业务不导入房屋")
            return
        writer = handler.import_writer(session, app)
        data = await get_storage().read(doc.storage_key)
        task = asyncio.create_task(reporter())
        started = time.perf_counter()
        try:
            if isinstance(writer, CreatingWriter) and len(data) >= import_process.MIN_BYTES:
                rows, errors, buildings = await _read_apart_and_write(writer, data, doc.filename, progress,
                                                                      still_current, with_code=handler.with_code)
            else:
                rows, errors, buildings = await _read_and_write(writer, data, doc.filename, progress, still_current,
                                                                with_code=handler.with_code)
        except FileRejected as exc:
            task.cancel()
            await session.rollback()
            await jobs.fail(job_id, message=exc.message, errors=[{"row": None, "column": None, "code": "FILE_REJECTED", "message": exc.message}])
            return
        except _Overtaken as exc:
            task.cancel()
            await session.rollback()
            await jobs.fail(job_id, message=exc.message)
            return
        except import_process.ReaderLost:
            task.cancel()
            await session.rollback()
            log.warning("import.reader_lost", extra={"job_id": job_id})
            await jobs.fail(job_id, message=READER_LOST)
            return
        except BaseException:
            task.cancel()
            raise
        steps.put_nowait(None)
        await task
        errors = [_error(e) for e in errors]
        if not errors and not rows:
            errors = [{"row": None, "column": None, "code": "REQUIRED", "message": "工作簿中没有房屋数据"}]
        total = len(rows)
        read = time.perf_counter()
        app = await session.scalar(select(Application).where(Application.id == job.application_id)
                                   .with_for_update().execution_options(populate_existing=True))
        if (refusal := _refusal(app, job_id)) is not None:
            await session.rollback()
            await jobs.fail(job_id, message=refusal)
            return
        if not errors:
            errors = [_error(e) for e in await handler.validate_import(session, app, rows)]
        if errors:
            await session.rollback()
            errors.sort(key=lambda e: (e["row"] or 0, e["column"] or ""))
            await jobs.fail(job_id, message=f"发现 {len(errors)} 处错误，未导入任何数据", errors=errors)
            return
        checked = time.perf_counter()
        await writer.finish(buildings)
        running = await session.get_one(Job, job_id, with_for_update=True)
        running.total = read_rows[0]
        jobs.succeed(running, message=f"已导入 {total} 套房屋")
        await session.commit()
    await jobs.publish(running)
    log.info("import.done", extra={"job_id": job_id, "rows": total, "read_s": round(read - started, 3),
                                   "check_s": round(checked - read, 3), "write_s": round(time.perf_counter() - checked, 3)})


async def _read_and_write(writer: HouseWriter, data: bytes, filename: str, progress, still_current, *,
                          with_code: bool) -> tuple[list, list, dict]:
    """The sheet read in a thread, part by part; each part's houses go to `writer` as soon as they
    are read, until a row fails (then nothing will be kept, and the rest is only checked), or
    until `still_current` finds the import overtaken. Returns (houses written, every row error,
    each building's columns as the sheet states them)."""
    loop = asyncio.get_running_loop()
    stream = HouseSheetStream(data, filename, with_code=with_code, progress=progress)
    parts: asyncio.Queue = asyncio.Queue()

    def read() -> None:
        try:
            for houses in stream:
                # Prepared here (owners' numbers sealed, values listed) while the loop waits for
                # PostgreSQL to write the part before; a part that will not be written is not.
                prepared = writer.prepare(houses) if houses and not stream.errors else None
                loop.call_soon_threadsafe(parts.put_nowait, (houses, prepared))
        finally:
            loop.call_soon_threadsafe(parts.put_nowait, None)

    reading = asyncio.ensure_future(asyncio.to_thread(read))
    try:
        await writer.start()
        while (part := await parts.get()) is not None:
            houses, prepared = part
            if houses and not stream.errors:
                await still_current()
                await writer.write(houses, prepared)
    except BaseException:
        # The thread cannot be stopped: let it finish on its own, its outcome no longer matters.
        reading.add_done_callback(lambda f: f.cancelled() or f.exception())
        raise
    await reading  # FileRejected, raised while reading, comes out here
    return writer.rows, stream.errors, stream.buildings


async def _read_apart_and_write(writer: CreatingWriter, data: bytes, filename: str, progress, still_current, *,
                                with_code: bool) -> tuple[list, list, dict]:
    """_read_and_write with the sheet read, checked and prepared in the reading process
    (services/houses/import_process.py): the child reads part N+1 while PostgreSQL COPYs part N.
    A dead child raises import_process.ReaderLost."""
    sheet = import_process.RemoteSheet(data, filename, with_code=with_code, app_id=writer.app_id, timing=writer.timing)
    try:
        await writer.start()
        while not isinstance(part := await sheet.next(), import_process.End):
            for step in part.steps:
                progress(*step)
            if part.rows:
                await still_current()
                await writer.write_apart(part)
    finally:
        sheet.close()
    for step in part.steps:
        progress(*step)
    if part.rejected is not None:
        raise FileRejected(part.rejected)
    return writer.rows, part.errors, part.buildings


# ---------------------------------------------------------------- export

async def start_export(session: AsyncSession, viewer: Viewer, house_ids: Sequence[int] | None, app_id: int | None) -> Job:
    viewer = require_tree_reader(viewer)
    params: dict[str, Any] = {}
    organization_id = viewer.organization_id
    if app_id is not None:
        app = await common.get_for_update(session, viewer, app_id, hold_imports_first=False)
        params["applicationId"] = app.id
        organization_id = app.organization_id
    elif house_ids:
        if len(house_ids) > 100000:
            raise ValidationFailed("一次最多导出 100000 套房屋", field="houseIds")
        visible = select(House.id).join(Building, Building.id == House.building_id).join(Estate, Estate.id == Building.estate_id) \
            .where(House.id.in_(house_ids))
        if not viewer.is_staff:
            visible = visible.where(Estate.developer_id == viewer.organization_id)
        found = set(await session.scalars(visible))
        if len(found) != len(set(house_ids)):
            raise NotFound("房屋不存在", field="houseIds")
        params["houseIds"] = list(house_ids)
    else:
        raise ValidationFailed("请选择房屋或业务单", field="houseIds")
    job = jobs.new_job(session, kind=JobKind.HOUSE_EXPORT, viewer=viewer, organization_id=organization_id, params=params)
    await session.commit()
    await jobs.enqueue(job.id, job.kind)
    return job


async def _export_snapshots(session: AsyncSession, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The snapshots to export, in order, each with 建成年代, 建筑结构 and 楼幢地址 of its building
    (a house snapshot names only the building; an application's house goes to its target
    building where it moves)."""
    if "applicationId" in params:
        app_id = params["applicationId"]
        rows = await snapshots.with_created_snapshots(session, (await session.execute(
            snapshots.linked_select().where(ApplicationHouse.application_id == app_id)
            .order_by(ApplicationHouse.position))).all())
        pairs = [(r.house_id, r.after or r.before) for r in rows if (r.after or r.before)]
        targets = dict((await session.execute(
            select(ApplicationHouse.house_id, ApplicationHouse.target_building_id)
            .where(ApplicationHouse.application_id == app_id, ApplicationHouse.target_building_id.is_not(None)))).all())
    else:
        snaps = await snapshots.current_snapshots(session, params["houseIds"])
        pairs = [(h, snaps[h]) for h in params["houseIds"] if h in snaps]
        targets = {}
    homes = dict((await session.execute(
        select(House.id, House.building_id).where(House.id.in_([h for h, _ in pairs])))).all())
    building_ids = {targets.get(h, homes.get(h)) for h, _ in pairs}
    buildings = {b.id: b for b in await session.scalars(select(Building).where(Building.id.in_(building_ids)))}
    out = []
    for house_id, snap in pairs:
        b = buildings.get(targets.get(house_id, homes.get(house_id)))
        if b is not None:
            snap = dict(snap, builtYear=b.built_year, buildingAddress=b.address,
                        structure=b.structure.value if b.structure else None)
        out.append(snap)
    return out


async def run_export(job_id: int) -> None:
    job = await jobs.start(job_id)
    if job is None:
        return
    async with get_sessionmaker()() as session:
        snaps = await _export_snapshots(session, job.params)
    data = await asyncio.to_thread(write_house_sheet, [fields.snapshot_row(s, i + 2) for i, s in enumerate(snaps)])
    await jobs.succeed_with_file(job_id, kind=DocumentKind.HOUSE_EXPORT, filename=f"房屋导出-{job_id}.xlsx",
                                 content_type=XLSX_TYPE, data=data, total=len(snaps), message=f"已导出 {len(snaps)} 套房屋")


# ---------------------------------------------------------------- attachments

async def add_attachment(session: AsyncSession, viewer: Viewer, app_id: int | None, upload: Any) -> Document:
    viewer = common.require_estate_operator(viewer)
    app = await common.get_for_update(session, viewer, app_id, hold_imports_first=False)
    common.require_applicant(viewer, app)
    common.require_editable(app)
    incoming = await documents.read_upload(upload, field="file")
    content_type, suffix = documents.attachment_type(incoming, field="file")
    doc = await documents.store(session, kind=DocumentKind.ATTACHMENT, filename=incoming.filename, content_type=content_type,
                                data=incoming.data, organization_id=app.organization_id, created_by_id=viewer.user_id,
                                suffix=suffix)
    doc.application_id = app.id
    await session.commit()
    return doc


async def remove_attachment(session: AsyncSession, viewer: Viewer, app_id: int | None, document_id: int | None) -> Application:
    viewer = common.require_estate_operator(viewer)
    app = await common.get_for_update(session, viewer, app_id, hold_imports_first=False)
    common.require_applicant(viewer, app)
    common.require_editable(app)
    doc = None if document_id is None else await session.get(Document, document_id)
    if doc is None or doc.application_id != app.id:
        raise NotFound("附件不存在", field="documentId")
    doc.application_id = None  # the file stays for the audit trail; it is no longer attached
    await session.commit()
    return app


# ---------------------------------------------------------------- the 申请表

BUILDING_COLUMNS = {"name": "楼幢名称", "address": "楼幢地址", "builtYear": "建成年代", "structure": "建筑结构"}


# The 房屋权属批量变更 form: where the house is, and each owner on a line of their own with
# 证件类型, 证件号码 and 手机号码 (the window checks them against the papers).
OWNERSHIP_COLUMNS = {"buildingName": "楼幢", "unit": "单元", "floor": "楼层", "roomNumber": "房号", "address": "坐落"}
OWNER_COLUMNS = {"name": "业主", "idType": "证件类型", "idNumber": "证件号码", "phone": "手机号码"}


def _owner_cells(owners: list[dict[str, Any]] | None) -> dict[str, str]:
    sealed = {"idNumber": pii.ID_NUMBER, "phone": pii.PHONE}  # the form at the window shows them in full

    def text(key: str, owner: dict[str, Any]) -> str:
        value = owner.get(key)
        if key == "idType" and value:
            return fields.ID_TYPE_NAMES[IdType(value)]
        if key in sealed and value:
            return pii.reveal(value, sealed[key])
        return value or "—"

    return {label: "\n".join(text(key, o) for o in owners or []) for key, label in OWNER_COLUMNS.items()}


def _cell(key: str, value: Any) -> str:
    if key == "owners":
        return "、".join(o["name"] for o in value or [])
    if value is None:
        return ""
    if key in fields.FORM_AS_TYPED:
        return str(value)
    return fields.VALUE_NAMES.get(value, str(value)) if not isinstance(value, int) or isinstance(value, bool) else str(value)


async def form_data(session: AsyncSession, app: Application):
    org = await session.get_one(Organization, app.organization_id)
    estate = await session.get(Estate, app.estate_id) if app.estate_id else None
    applicant = await session.get_one(User, app.created_by_id)
    extra = []
    if "depositTiming" in app.payload:
        extra.append(("交存时点", fields.VALUE_NAMES[app.payload["depositTiming"]]))
    if app.type == ApplicationType.BUILDING_CHANGE:
        rows = await session.scalars(select(ApplicationBuilding).where(ApplicationBuilding.application_id == app.id)
                                     .order_by(ApplicationBuilding.position))
        columns = list(BUILDING_COLUMNS.values())
        changes = [ChangeRow(label=r.before["name"],
                             before={BUILDING_COLUMNS[k]: _cell(k, r.before.get(k)) for k in BUILDING_COLUMNS},
                             after={BUILDING_COLUMNS[k]: _cell(k, r.after.get(k)) for k in BUILDING_COLUMNS}) for r in rows]
    else:
        rows = await snapshots.with_created_snapshots(session, (await session.execute(
            snapshots.linked_select().where(ApplicationHouse.application_id == app.id).order_by(ApplicationHouse.position))).all())
        ownership = app.type == ApplicationType.OWNERSHIP_CHANGE
        shown = OWNERSHIP_COLUMNS if ownership else fields.FORM_COLUMNS
        columns = list(shown.values()) + (list(OWNER_COLUMNS.values()) if ownership else [])

        def side(snap):
            if snap is None:
                return None
            values = {shown[k]: _cell(k, snap.get(k)) for k in shown}
            return {**values, **_owner_cells(snap.get("owners"))} if ownership else values

        changes = [ChangeRow(label=(r.after or r.before).get("code") or "新房屋", before=side(r.before), after=side(r.after))
                   for r in rows]
    return ApplicationForm(
        number=app.number, type_label=APPLICATION_LABELS[app.type], organization=org.name, credit_code=org.credit_code,
        estate=estate.name if estate else None, estate_code=estate.code if estate else None, reason=app.reason,
        applicant=applicant.name, submitted_at=app.submitted_at or datetime.now(timezone.utc), columns=columns,
        changes=changes, extra=extra,
    )


async def render_application_pdf(job_id: int, *, read, render, kind: DocumentKind, name: str,
                                 attach: Callable[[AsyncSession, Application, Document], Awaitable[None]]) -> None:
    """The job of one PDF of an application (its 申请表, its 退款申请表): `read(session, app)` the
    content, `render` it off the event loop, store it, `attach` it where it belongs, and end the
    job with it. A job already ended meanwhile (a repeated delivery) stores nothing."""
    job = await jobs.start(job_id)
    if job is None:
        return
    async with get_sessionmaker()() as session:
        content = await read(session, await session.get_one(Application, job.application_id))
    pdf = await asyncio.to_thread(render, content)
    async with get_sessionmaker()() as session:
        # The application first, then the job: approval's order (it locks the application, then
        # its refunds' rows take key-share locks on their form's job); the other order deadlocked.
        app = await session.get_one(Application, job.application_id, with_for_update=True)
        running = await session.get_one(Job, job_id, with_for_update=True)
        if running.status != JobStatus.RUNNING:
            return
        doc = await documents.store(session, kind=kind, filename=f"{name}-{app.number}.pdf",
                                    content_type="application/pdf", data=pdf, organization_id=app.organization_id,
                                    created_by_id=running.created_by_id, suffix=".pdf")
        await session.flush()
        await attach(session, app, doc)
        running.total = 1
        jobs.succeed(running, message=f"{name}已生成", result_document_id=doc.id)
        await session.commit()
    await jobs.publish(running)


async def run_form(job_id: int) -> None:
    async def attach(session: AsyncSession, app: Application, doc: Document) -> None:
        if app.form_job_id == job_id:  # unless a later submit has taken its place
            app.form_document_id = doc.id

    await render_application_pdf(job_id, read=form_data, render=render_application_form,
                                 kind=DocumentKind.APPLICATION_FORM, name="申请表", attach=attach)
