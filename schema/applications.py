"""Types of applications (业务单), their changes and history, and jobs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from core.ids import encode_id
from resolvers import applications as application_resolvers
from schema.payments import DepositImpact
from schema.enums import (
    ApplicationStatus, ApplicationType, BuildingStructure, HouseUsage, IdType, JobKind, JobStatus, SalesStatus,
)
from schema.types import Building, Document, Estate, House, Node, Organization, Owner, User, of_record, relay_connection
from services import records
from services.houses import fields


@strawberry.type
class JobError:
    row: int | None = strawberry.field(description="1-based sheet row, when the error is about a row")
    column: str | None = strawberry.field(description="column header, when the error is about a cell")
    code: str
    message: str


@strawberry.type
class Job(Node):
    is_type_of = of_record(records.JobRecord)
    kind: JobKind
    status: JobStatus
    progress: float = strawberry.field(description="0.0 to 1.0")
    processed: int
    total: int | None
    message: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Job", self.id))

    @strawberry.field
    def errors(self) -> list[JobError]:
        return [JobError(row=e.get("row"), column=e.get("column"), code=e["code"], message=e["message"]) for e in self.errors or []]

    @strawberry.field
    async def result(self, info: Info) -> Document | None:
        return None if self.result_document_id is None else await info.context.loaders.document_by_id.load(self.result_document_id)

    @strawberry.field(description="the notices an amount import issued")
    async def payment_notices(self, info: Info) -> list[Annotated["PaymentNotice", strawberry.lazy("schema.payments")]]:
        return await info.context.loaders.notices_by_job_id.load(self.id)


class SnapshotOwner:
    """An owner inside a snapshot: no row of its own, so its id names the change and position."""

    __slots__ = ("id", "name", "id_type", "id_number", "phone", "share", "masked")

    def __init__(self, gid: str, data: dict[str, Any]):
        self.id = gid
        self.name = data["name"]
        self.id_type = IdType(data["idType"])
        self.id_number = data["idNumber"]
        self.phone = data["phone"]
        self.share = None if data.get("share") is None else Decimal(data["share"])
        self.masked = False  # applications are seen only by their organisation and staff


@strawberry.type
class HouseSnapshot:
    code: str | None
    building_name: str
    unit: str | None
    floor: int
    room_number: str
    address: str
    usage: HouseUsage
    layout: str | None
    has_elevator: bool
    building_area: Decimal
    inner_area: Decimal | None
    price: Decimal | None
    real_estate_unit_number: str | None
    sales_status: SalesStatus
    owners: list[Owner]


def snapshot(data: dict[str, Any] | None, prefix: str) -> HouseSnapshot | None:
    if data is None:
        return None
    return HouseSnapshot(
        code=data.get("code"), building_name=data["buildingName"],
        # a value a snapshot does not hold (taken before its column existed, as 户型) is null
        **{**dict.fromkeys(fields.SNAPSHOT_FIELDS.values()), **fields.snapshot_values(data)},
        owners=[SnapshotOwner(encode_id("SnapshotOwner", 0) + f"-{prefix}-{i}", o) for i, o in enumerate(data.get("owners") or [])],
    )


@strawberry.type(description="One house that the application creates, changes or removes: before is null for a new house, after is null for a removed one.")
class HouseChange:
    house_id: strawberry.Private[int]
    before: HouseSnapshot | None
    after: HouseSnapshot | None

    @strawberry.field
    async def house(self, info: Info) -> House | None:
        return await info.context.loaders.house_by_id.load(self.house_id)


@strawberry.type
class BuildingSnapshot:
    name: str
    address: str | None
    built_year: int | None
    structure: BuildingStructure | None


def building_snapshot(data: dict[str, Any]) -> BuildingSnapshot:
    return BuildingSnapshot(name=data["name"], address=data.get("address"), built_year=data.get("builtYear"),
                            structure=BuildingStructure(data["structure"]) if data.get("structure") else None)


@strawberry.type
class BuildingChange:
    building_id: strawberry.Private[int]
    before: BuildingSnapshot
    after: BuildingSnapshot

    @strawberry.field
    async def building(self, info: Info) -> Building:
        return await info.context.loaders.building_by_id.load(self.building_id)


@strawberry.type
class ApplicationEvent:
    at: datetime
    comment: str | None

    @strawberry.field
    def status(self) -> ApplicationStatus:
        return self.to_status

    @strawberry.field
    async def by(self, info: Info) -> User | None:
        return None if self.by_id is None else await info.context.loaders.user_by_id.load(self.by_id)


@strawberry.type
class Application(Node):
    is_type_of = of_record(records.ApplicationRecord)
    number: str = strawberry.field(description="业务单号")
    type: ApplicationType
    status: ApplicationStatus
    reason: str | None
    created_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    review_comment: str | None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Application", self.id))

    @strawberry.field
    async def organization(self, info: Info) -> Organization:
        return await info.context.loaders.organization_by_id.load(self.organization_id)

    @strawberry.field
    async def estate(self, info: Info) -> Estate | None:
        return None if self.estate_id is None else await info.context.loaders.estate_by_id.load(self.estate_id)

    @strawberry.field
    async def created_by(self, info: Info) -> User:
        return await info.context.loaders.user_by_id.load(self.created_by_id)

    @strawberry.field
    async def house_change_count(self, info: Info) -> int:
        return await info.context.loaders.house_change_count_by_application_id.load(self.id)

    @strawberry.field
    async def house_changes(self, info: Info, first: int | None = None, offset: int | None = None) -> list[HouseChange]:
        rows = await application_resolvers.changed_houses(info, self, first=first, offset=offset)
        return [HouseChange(house_id=r.house_id, before=snapshot(r.before, f"{r.id}b"), after=snapshot(r.after, f"{r.id}a"))
                for r in rows]

    @strawberry.field
    async def building_changes(self, info: Info) -> list[BuildingChange]:
        rows = await info.context.loaders.building_changes_by_application_id.load(self.id)
        return [BuildingChange(building_id=r.building_id, before=building_snapshot(r.before), after=building_snapshot(r.after))
                for r in rows]

    @strawberry.field
    async def attachments(self, info: Info) -> list[Document]:
        return await info.context.loaders.attachments_by_application_id.load(self.id)

    @strawberry.field(description="the latest import into this application")
    async def import_job(self, info: Info) -> Job | None:
        return None if self.import_job_id is None else await info.context.loaders.job_by_id.load(self.import_job_id)

    @strawberry.field(description="申请表 PDF, rendered after submit")
    async def form(self, info: Info) -> Document | None:
        return None if self.form_document_id is None else await info.context.loaders.document_by_id.load(self.form_document_id)

    @strawberry.field(description="退款申请表: rendered on submit when approval would refund money, so it can be printed and taken to the window before the clerk decides")
    async def refund_form(self, info: Info) -> Document | None:
        return None if self.refund_form_document_id is None else await info.context.loaders.document_by_id.load(self.refund_form_document_id)

    @strawberry.field
    async def form_job(self, info: Info) -> Job | None:
        return None if self.form_job_id is None else await info.context.loaders.job_by_id.load(self.form_job_id)

    @strawberry.field
    async def history(self, info: Info) -> list[ApplicationEvent]:
        return await info.context.loaders.events_by_application_id.load(self.id)

    @strawberry.field(description="how each house's deposit changes if approved, computed now")
    async def deposit_impact(self, info: Info) -> list[DepositImpact]:
        return [DepositImpact(house_id=i.house_id, due_before=i.due_before, due_after=i.due_after, paid=i.paid,
                              make_up=i.make_up, refund=i.refund) for i in await application_resolvers.deposit_impacts(info, self)]

    @strawberry.field(description="true when approval would refund money, so submit needs a refund account")
    async def needs_refund_account(self, info: Info) -> bool:
        return await application_resolvers.needs_refund_account(info, self)

    @strawberry.field
    async def refunds(self, info: Info) -> list[Annotated["Refund", strawberry.lazy("schema.payments")]]:
        return await info.context.loaders.refunds_by_application_id.load(self.id)

    @strawberry.field(description="补交 notices issued on approval")
    async def payment_notices(self, info: Info) -> list[Annotated["PaymentNotice", strawberry.lazy("schema.payments")]]:
        return await info.context.loaders.notices_by_application_id.load(self.id)


@strawberry.type
class ApplicationStatusEvent:
    application: Application
    from_: ApplicationStatus | None = strawberry.field(name="from")
    event: ApplicationEvent
    # What every subscriber of the process woken by this change got (schema/shared_events.py).
    shared_by: strawberry.Private[object | None] = None


ApplicationConnection, ApplicationEdge = relay_connection("Application", Application)
