"""交存标准 deposit standards and a house's 应交 deposit due.

`compute_due` is the rule, in one place:
- a standard matches a house when its usage equals the house's, its elevator (if named) equals
  the house's, and the building's floors above ground lie within its min/max floors (if named),
  and it is effective on or before the day;
- the most specific matching standard wins (specificity = how many of usage, elevator, floors it
  names), then the latest effective date, then the latest set (highest id);
- PER_SQUARE_METRE: due = building area × rate; FRACTION_OF_PRICE: due = price × rate (no price:
  no due);
- rounded half up to the fen, or to the whole yuan where the standard says so
  (services.payments.money.round_fen / round_yuan).
The recalculation job applies the same rule set-based in SQL (`RECALCULATE_SQL`); a test checks
that both agree on random data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterable, Sequence

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Forbidden, InvalidState, ValidationFailed
from models import Building, DepositStandard, House
from models.enums import DepositBasis, HouseUsage, Role
from services import audit
from services.access import Viewer
from services.houses import fields
from services.payments.money import round_fen, round_yuan
from services.validators import as_typed

CHINA = timezone(timedelta(hours=8))


def today() -> date:
    return datetime.now(CHINA).date()


@dataclass(frozen=True)
class Standard:
    id: int
    name: str
    usage: HouseUsage
    has_elevator: bool | None
    min_floors: int | None
    max_floors: int | None
    basis: DepositBasis
    rate: Decimal
    round_to_yuan: bool
    effective_from: date

    @property
    def specificity(self) -> int:
        return 1 + (self.has_elevator is not None) + (self.min_floors is not None or self.max_floors is not None)

    def matches(self, usage: HouseUsage, has_elevator: bool, floors: int | None, day: date) -> bool:
        if self.usage != usage or self.effective_from > day:
            return False
        if self.has_elevator is not None and self.has_elevator != has_elevator:
            return False
        floors = floors or 0
        if self.min_floors is not None and floors < self.min_floors:
            return False
        return self.max_floors is None or floors <= self.max_floors


@dataclass(frozen=True)
class Due:
    amount: Decimal
    standard: Standard


def choose(standards: Iterable[Standard], usage: HouseUsage, has_elevator: bool, floors: int | None, day: date) -> Standard | None:
    candidates = [s for s in standards if s.matches(usage, has_elevator, floors, day)]
    return max(candidates, key=lambda s: (s.specificity, s.effective_from, s.id), default=None)


def compute_due(*, usage: HouseUsage, has_elevator: bool, building_area: Decimal, price: Decimal | None,
                floors: int | None, standards: Sequence[Standard], day: date) -> Due | None:
    """The house's due under the standards in force on `day`, or None when no standard matches
    or a fraction-of-price standard meets a house without a price."""
    standard = choose(standards, usage, has_elevator, floors, day)
    if standard is None:
        return None
    if standard.basis == DepositBasis.PER_SQUARE_METRE:
        raw = Decimal(building_area) * standard.rate
    elif price is None:
        return None
    else:
        raw = Decimal(price) * standard.rate
    return Due(round_yuan(raw) if standard.round_to_yuan else round_fen(raw), standard)


def _standard(row: DepositStandard) -> Standard:
    return Standard(row.id, row.name, row.usage, row.has_elevator, row.min_floors, row.max_floors, row.basis,
                    row.rate, row.round_to_yuan, row.effective_from)


async def load_standards(session: AsyncSession) -> list[Standard]:
    return [_standard(r) for r in await session.scalars(select(DepositStandard).order_by(DepositStandard.id))]


async def dues_for_houses(session: AsyncSession, house_ids: Sequence[int], *, day: date | None = None,
                          values: dict[int, dict[str, Any]] | None = None) -> dict[int, Due | None]:
    """The due of each house now (or with proposed `values`: usage, hasElevator, buildingArea,
    price, floors), under the standards effective today."""
    if not house_ids:
        return {}
    standards = await load_standards(session)
    rows = (await session.execute(
        select(House.id, House.usage, House.has_elevator, House.building_area, House.price, Building.floors_above_ground)
        .join(Building, Building.id == House.building_id).where(House.id.in_(house_ids))
    )).all()
    day = day or today()
    result = {}
    for r in rows:
        v = (values or {}).get(r.id, {})
        proposed = fields.snapshot_values(v)  # the snapshot values given, read as the house's own
        result[r.id] = compute_due(
            usage=HouseUsage(proposed.get("usage", r.usage)), has_elevator=proposed.get("has_elevator", r.has_elevator),
            building_area=proposed.get("building_area", r.building_area), price=proposed.get("price", r.price),
            floors=v.get("floors", r.floors_above_ground), standards=standards, day=day,
        )
    return result


def missing_standard(codes: Sequence[str]) -> InvalidState:
    shown = "、".join(codes[:20]) + (f" 等 {len(codes)} 套" if len(codes) > 20 else "")
    return InvalidState(f"以下房屋没有适用的交存标准（或按房款计算但未填房款）：{shown}", houses=list(codes[:100]))


async def set_standard(session: AsyncSession, viewer: Viewer, *, name: str, usage: HouseUsage, has_elevator: bool | None,
                       min_floors: int | None, max_floors: int | None, basis: DepositBasis, rate: Decimal,
                       round_to_yuan: bool | None, effective_from: date) -> DepositStandard:
    """A new standard (standards are never edited: a change is a new one with a later date)."""
    if not viewer.has(Role.CLERK):
        raise Forbidden("只有维修资金管理部门可以设置交存标准")
    name = as_typed(name)
    if not name or len(name) > 100:
        raise ValidationFailed("名称不能为空且不超过 100 个字", field="input.name")
    if rate <= 0 or rate > Decimal("100000") or rate != rate.quantize(Decimal("0.000001")):
        raise ValidationFailed("标准应大于 0，最多六位小数", field="input.rate")
    if basis == DepositBasis.FRACTION_OF_PRICE and rate > 1:
        raise ValidationFailed("按房款比例计算时，比例应不超过 1", field="input.rate")
    for field_name, value in (("minFloors", min_floors), ("maxFloors", max_floors)):
        if value is not None and not 0 <= value <= 200:
            raise ValidationFailed("层数应在 0 至 200 之间", field=f"input.{field_name}")
    if min_floors is not None and max_floors is not None and min_floors > max_floors:
        raise ValidationFailed("最低层数不能大于最高层数", field="input.minFloors")
    row = DepositStandard(name=name, usage=usage, has_elevator=has_elevator, min_floors=min_floors, max_floors=max_floors,
                          basis=basis, rate=rate, round_to_yuan=bool(round_to_yuan), effective_from=effective_from,
                          created_by_id=viewer.user_id)
    session.add(row)
    await session.flush()
    audit.record(session, actor=viewer, action="deposit_standard.set", entity_type="DepositStandard", entity_id=row.id,
                 after=audit.snapshot(row, ("name", "usage", "has_elevator", "min_floors", "max_floors", "basis", "rate",
                                            "round_to_yuan", "effective_from")))
    await session.commit()
    return row


# The rule of compute_due, set-based: each ACTIVE house with nothing paid gets the due of its best
# standard (same ordering), rounded the same way (PostgreSQL round() on numeric is half away from
# zero, which is half up for these positive amounts).
RECALCULATE_SQL = text("""
WITH targets AS (
    SELECT h.id, h.deposit_due AS old_due, h.usage, h.has_elevator, coalesce(b.floors_above_ground, 0) AS floors,
           h.building_area, h.price
    FROM houses h JOIN buildings b ON b.id = h.building_id
    WHERE h.status = 'ACTIVE' AND h.deposit_paid = 0
      AND (CAST(:estate_id AS BIGINT) IS NULL OR b.estate_id = CAST(:estate_id AS BIGINT))
), best AS (  -- the standard of each kind of house (few kinds, however many houses)
    SELECT k.usage, k.has_elevator, k.floors, s.basis, s.rate, s.round_to_yuan
    FROM (SELECT DISTINCT usage, has_elevator, floors FROM targets) k
    JOIN LATERAL (
        SELECT ds.basis, ds.rate, ds.round_to_yuan FROM deposit_standards ds
        WHERE ds.usage = k.usage
          AND ds.effective_from <= CAST(:day AS DATE)
          AND (ds.has_elevator IS NULL OR ds.has_elevator = k.has_elevator)
          AND (ds.min_floors IS NULL OR k.floors >= ds.min_floors)
          AND (ds.max_floors IS NULL OR k.floors <= ds.max_floors)
        ORDER BY 1 + (ds.has_elevator IS NOT NULL)::int + (ds.min_floors IS NOT NULL OR ds.max_floors IS NOT NULL)::int DESC,
                 ds.effective_from DESC, ds.id DESC
        LIMIT 1
    ) s ON true
), computed AS (
    SELECT t.id, t.old_due,
           CASE WHEN raw IS NULL THEN NULL WHEN b.round_to_yuan THEN round(raw, 0) ELSE round(raw, 2) END AS new_due
    FROM targets t
    JOIN best b ON b.usage = t.usage AND b.has_elevator = t.has_elevator AND b.floors = t.floors
    CROSS JOIN LATERAL (SELECT CASE WHEN b.basis = 'PER_SQUARE_METRE' THEN t.building_area * b.rate
                                    ELSE t.price * b.rate END AS raw) r
)
UPDATE houses h SET deposit_due = c.new_due
FROM computed c
WHERE h.id = c.id AND c.new_due IS NOT NULL AND c.new_due <> c.old_due
RETURNING h.code, c.old_due, c.new_due
""")


async def recalculate(session: AsyncSession, *, estate_id: int | None, day: date | None = None) -> list[Any]:
    """重新计算: one UPDATE; returns (code, old due, new due) of each house that changed.
    Running it twice changes nothing the second time."""
    # Memory for the join of every target house with its standard: at the default 4 MB the sort
    # spilled to disk for a 100 000-house recalculation. For this transaction only.
    await session.execute(text("SET LOCAL work_mem = '64MB'"))
    rows = (await session.execute(RECALCULATE_SQL, {"day": day or today(), "estate_id": estate_id})).all()
    return rows
