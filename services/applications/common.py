"""What every business type of services/applications shares, below the life cycle and the
registry so that neither is imported by a type: finding and locking an application, who may
change it, creating and committing one (its history recorded and published), the locks
another application holds, the free-text rule, and the deposit impact each type reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Awaitable, Callable, Iterable, Sequence

from sqlalchemy import func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, Forbidden, HouseLocked, InvalidState, NotFound, ValidationFailed
from models import Application, ApplicationEvent, Estate, Lock
from models.enums import ApplicationStatus, ApplicationType, RecordStatus, Role
from services import audit, codes, events
from services.access import Viewer, require_role
from services.houses.fields import BuildingFields
from services.validators import as_typed, normalise

EDITABLE = (ApplicationStatus.DRAFT, ApplicationStatus.REJECTED)

STATUS_LABELS = {ApplicationStatus.DRAFT: "保存", ApplicationStatus.SUBMITTED: "已提交",
                 ApplicationStatus.ACCEPTED: "已受理", ApplicationStatus.APPROVED: "审核通过",
                 ApplicationStatus.REJECTED: "退回", ApplicationStatus.WITHDRAWN: "已撤回"}

ZERO = Decimal("0.00")


@dataclass
class Impact:
    """What approving an application does to one house's deposit (deposit_effects applies it)."""

    house_id: int
    code: str
    due_before: Decimal
    due_after: Decimal
    paid: Decimal
    make_up: Decimal = ZERO
    refund: Decimal = ZERO
    set_due: bool = False
    cancel_notices: bool = False
    missing: bool = False
    # The balance the approval moves through the ledger (拆分合并): a source house's balance,
    # negated, carried out; a result house's share carried in. Planned once, posted as planned.
    carried: Decimal = ZERO


class AppliedAtEnd:
    """The import writer (registry.HouseWriter) of a type that applies its sheet only once the
    whole of it is read and has passed validate_import: `write` keeps the houses, `finish` gives
    them all to `apply` (split/merge and info change compare each row with the application)."""

    def __init__(self, apply: Callable[[AsyncSession, Application, Sequence[Any]], Awaitable[None]],
                 session: AsyncSession, app: Application):
        self.apply, self.session, self.app = apply, session, app
        self.rows: list[Any] = []

    def prepare(self, rows: Sequence[Any]) -> None:
        return None

    async def start(self) -> None:
        return None

    async def write(self, rows: Sequence[Any], prepared: None) -> None:
        self.rows.extend(rows)

    async def finish(self, buildings: dict[str, BuildingFields]) -> None:
        await self.apply(self.session, self.app, self.rows)


# ---------------------------------------------------------------- who and which

def require_estate_operator(viewer: Viewer | None) -> Viewer:
    v = require_role(viewer, Role.ESTATE_OPERATOR)
    if v.organization_id is None:
        raise Forbidden("只有开发建设单位的物业区域经办人可以办理此业务")
    return v


IMPORT_LOCK = 0x1A0  # the first key of the advisory lock that holds an application's imports


async def hold_imports(session: AsyncSession, app_id: int) -> None:
    """Until this transaction ends, no import writes into the application and no other holder
    runs. Locks are taken in one order, this one, then the application row, then its houses:
    an import holds its houses for the whole sheet and wants the row only to finish, so whoever
    changes the houses (submit, withdraw, another import) must wait here, never on the row."""
    await session.execute(select(func.pg_advisory_xact_lock(IMPORT_LOCK, app_id & 0x7FFFFFFF)))


async def get_for_update(session: AsyncSession, viewer: Viewer, app_id: int | None, *,
                         hold_imports_first: bool = True) -> Application:
    """The application, row-locked, if the viewer may see it; NOT_FOUND otherwise. A running
    import is waited for first (`hold_imports`), unless the caller leaves the houses alone."""
    if app_id is None:
        raise NotFound("业务单不存在")
    if hold_imports_first:
        await hold_imports(session, app_id)
    app = await session.scalar(select(Application).where(Application.id == app_id).with_for_update())
    if app is None or not viewer.can_see_org(app.organization_id):
        raise NotFound("业务单不存在")
    return app


def require_applicant(viewer: Viewer, app: Application) -> None:
    if viewer.organization_id != app.organization_id or not viewer.has(Role.ESTATE_OPERATOR):
        raise Forbidden("只有申请单位的物业区域经办人可以办理")


def require_editable(app: Application) -> None:
    if app.status not in EDITABLE:
        raise InvalidState(f"业务单当前为{STATUS_LABELS[app.status]}，只有保存或退回的业务单可以修改")


async def editable(session: AsyncSession, viewer: Viewer, app_id: int | None, kind: ApplicationType) -> Application:
    """The applicant's own application of this type, row-locked, still DRAFT or REJECTED."""
    viewer = require_estate_operator(viewer)
    app = await get_for_update(session, viewer, app_id)
    if app.type != kind:
        raise NotFound("业务单不存在")
    require_applicant(viewer, app)
    require_editable(app)
    return app


async def active_estate_of_viewer(session: AsyncSession, viewer: Viewer, estate_id: int | None,
                                  field: str = "input.estateId") -> Estate:
    estate = None if estate_id is None else await session.get(Estate, estate_id)
    if estate is None or estate.developer_id != viewer.organization_id:
        raise NotFound("物业区域不存在", field=field)
    if estate.status != RecordStatus.ACTIVE:
        raise InvalidState("物业区域尚未审核通过", field=field)
    return estate


def clean_text(value: str | None, field: str, limit: int, *, required: bool = True, fold: bool = False) -> str | None:
    """Free text as typed (trimmed); `fold` for codes and numbers (单元, 房号), NFKC-folded."""
    if value is None:
        if required:
            raise ValidationFailed("不能为空", field=field)
        return None
    text = normalise(value) if fold else as_typed(value)
    if required and not text:
        raise ValidationFailed("不能为空", field=field)
    if len(text) > limit:
        raise ValidationFailed(f"不能超过 {limit} 个字", field=field)
    return text or None


async def check_unlocked(session: AsyncSession, targets: Iterable[tuple[str, int]], *, exclude: int | None = None) -> None:
    """HOUSE_LOCKED naming the application that holds one of the targets (other than `exclude`)."""
    targets = list(targets)
    if not targets:
        return
    row = (await session.execute(
        select(Lock.kind, Lock.target_id, Application.number)
        .join(Application, Application.id == Lock.application_id)
        .where(tuple_(Lock.kind, Lock.target_id).in_(targets), Lock.application_id != (exclude or 0))
        .limit(1)
    )).first()
    if row is not None:
        what = {"HOUSE": "房屋", "BUILDING": "楼幢", "ESTATE": "物业区域"}.get(row.kind, "对象")
        raise HouseLocked(f"{what}正在业务单 {row.number} 中办理，请待其办结后再申请", applicationNumber=row.number)


# ---------------------------------------------------------------- creating, recording, committing

async def new_application(session: AsyncSession, viewer: Viewer, kind: ApplicationType, *, estate_id: int | None,
                          reason: str | None, payload: dict[str, Any] | None = None) -> Application:
    app = Application(number=await codes.next_number(session), type=kind, status=ApplicationStatus.DRAFT,
                      organization_id=viewer.organization_id, estate_id=estate_id, reason=reason,
                      payload=payload or {}, created_by_id=viewer.user_id)
    session.add(app)
    await session.flush()
    record(session, app, viewer, None, ApplicationStatus.DRAFT, None)
    return app


def record(session: AsyncSession, app: Application, viewer: Viewer | None, before: ApplicationStatus | None,
           after: ApplicationStatus, comment: str | None) -> None:
    """The transition in the application's history and the audit log; published after commit."""
    session.add(ApplicationEvent(application_id=app.id, from_status=before, to_status=after,
                                 by_id=viewer.user_id if viewer else None, comment=comment))
    audit.record(session, actor=viewer, action=f"application.{after.value.lower()}", entity_type="Application",
                 entity_id=app.id, organization_id=app.organization_id,
                 before={"status": before.value if before else None}, after={"status": after.value, "comment": comment})
    pending = session.info.setdefault("application_events", [])
    pending.append({"applicationId": app.id, "organizationId": app.organization_id,
                    "from": before.value if before else None, "to": after.value,
                    "byId": viewer.user_id if viewer else None, "comment": comment,
                    "at": datetime.now(timezone.utc).isoformat()})


async def publish_recorded(session: AsyncSession) -> None:
    """After commit: publish each transition recorded in this session, in order."""
    for payload in session.info.pop("application_events", []):
        await events.publish(events.APPLICATIONS, payload)


async def commit(session: AsyncSession) -> None:
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        session.info.pop("application_events", None)
        raise Conflict("数据冲突：单元、楼层、房号或编号已被占用，或记录已被修改，请刷新后重试") from exc
    await publish_recorded(session)
