"""Creating whole estates at once, for the demo data, the test factories and the benchmarks
(the business mutations that create estates through applications come with the applications).
Rows go in with set-based INSERTs, so 10 000 houses take well under a second."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Building, DepositStandard, Estate, House, Owner
from models.enums import (
    AccountStatus, BuildingStructure, DepositBasis, DepositTiming, HouseUsage, IdType, RecordStatus, SalesStatus,
)
from services import codes, pii
from services.validators import resident_id_check_char

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文辉建国志红"


def fake_resident_id(rng: random.Random) -> str:
    first17 = f"4407{rng.randint(0, 99):02d}{rng.randint(1950, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return first17 + resident_id_check_char(first17)


def fake_owner(rng: random.Random) -> dict:
    return {
        "name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))),
        "id_type": IdType.RESIDENT_ID,
        "id_number": fake_resident_id(rng),
        "phone": f"1{rng.choice('3456789')}{rng.randint(0, 999999999):09d}",
    }


def _sealed(owner: dict) -> dict:
    return {**owner, **pii.sealed_columns(owner["id_number"], owner["phone"])}


@dataclass(frozen=True)
class EstateShape:
    name: str
    district: str = "蓬江区"
    address: str = "江门市蓬江区示例路 1 号"
    buildings: int = 2
    floors: int = 6
    units: int = 2
    rooms_per_unit: int = 2
    basement_floors: int = 0
    owners_per_house: int = 1
    sold_ratio: float = 0.8
    status: RecordStatus = RecordStatus.ACTIVE
    seed: int = 1


async def create_estate(session: AsyncSession, *, developer_id: int, bank_id: int, shape: EstateShape) -> int:
    """An estate with its buildings, houses (ACTIVE ones with opened accounts) and owners.
    Returns the estate id; the caller commits."""
    rng = random.Random(shape.seed)
    estate_id = await session.scalar(
        insert(Estate).values(
            code=await codes.estate_code(session), name=shape.name, district=shape.district,
            address=shape.address, remark=None, deposit_timing=DepositTiming.BEFORE_CONTRACT_FILING,
            developer_id=developer_id, bank_id=bank_id, status=shape.status,
        ).returning(Estate.id)
    )
    building_rows = [
        dict(estate_id=estate_id, name=f"{b + 1}栋", address=f"{shape.address}{b + 1}栋", built_year=2024,
             structure=BuildingStructure.REINFORCED_CONCRETE, floors_above_ground=shape.floors,
             floors_below_ground=shape.basement_floors, status=shape.status)
        for b in range(shape.buildings)
    ]
    building_ids = list(await session.scalars(insert(Building).returning(Building.id, sort_by_parameter_order=True), building_rows))

    layout = [
        (b_index, b_id, unit, floor, room)
        for b_index, b_id in enumerate(building_ids)
        for floor in [f for f in range(-shape.basement_floors, shape.floors + 1) if f != 0]
        for unit in range(1, shape.units + 1)
        for room in range(1, shape.rooms_per_unit + 1)
    ]
    house_codes = await codes.house_codes(session, len(layout))
    active = shape.status == RecordStatus.ACTIVE
    accounts = await codes.account_numbers(session, len(layout)) if active else [None] * len(layout)
    house_rows = []
    for (b_index, b_id, unit, floor, room), code, account in zip(layout, house_codes, accounts):
        underground = floor < 0
        room_number = f"{'B' if underground else ''}{abs(floor)}{room:02d}"
        house_rows.append(dict(
            code=code, building_id=b_id, unit=f"{unit}单元", floor=floor, room_number=room_number,
            address=f"{shape.address}{b_index + 1}栋{unit}单元{room_number}房",
            usage=HouseUsage.GARAGE if underground else HouseUsage.RESIDENTIAL,
            has_elevator=shape.floors > 6, building_area=Decimal(rng.randint(6000, 14000)) / 100,
            inner_area=None, price=None, real_estate_unit_number=None,
            sales_status=SalesStatus.SOLD if rng.random() < shape.sold_ratio else SalesStatus.UNSOLD,
            deposit_timing=DepositTiming.BEFORE_CONTRACT_FILING, status=shape.status,
            account_status=AccountStatus.OPENED if active else AccountStatus.UNOPENED, account_number=account,
        ))
    for row in house_rows:
        row["inner_area"] = (row["building_area"] * Decimal("0.8")).quantize(Decimal("0.01"))
    house_ids = list(await session.scalars(insert(House).returning(House.id, sort_by_parameter_order=True), house_rows))
    owner_rows = [
        dict(house_id=h_id, position=i, share=None, **_sealed(fake_owner(rng)))
        for h_id, row in zip(house_ids, house_rows) if row["sales_status"] == SalesStatus.SOLD
        for i in range(shape.owners_per_house)
    ]
    if owner_rows:
        await session.execute(insert(Owner), owner_rows)
    return estate_id


async def estate_ids_named(session: AsyncSession, name: str) -> list[int]:
    return list(await session.scalars(select(Estate.id).where(Estate.name == name)))


EXAMPLE_STANDARDS = (  # (name, usage, elevator, rate per m², round to yuan) — examples, not official rates
    ("示例：住宅（有电梯）", HouseUsage.RESIDENTIAL, True, "60.00", False),
    ("示例：住宅（无电梯）", HouseUsage.RESIDENTIAL, False, "40.00", False),
    ("示例：商业", HouseUsage.COMMERCIAL, None, "80.00", False),
    ("示例：办公", HouseUsage.OFFICE, None, "70.00", False),
    ("示例：车库", HouseUsage.GARAGE, None, "20.00", True),
    ("示例：车位", HouseUsage.PARKING_SPACE, None, "20.00", True),
    ("示例：储藏", HouseUsage.STORAGE, None, "30.00", False),
    ("示例：其他", HouseUsage.OTHER, None, "30.00", False),
)


async def create_example_standards(session: AsyncSession) -> None:
    """Example 交存标准 (per m² of building area, effective 2020-01-01). No official Jiangmen
    rates are known to this project: these are examples and are named so."""
    await session.execute(insert(DepositStandard), [
        {"name": name, "usage": usage, "has_elevator": elevator, "min_floors": None, "max_floors": None,
         "basis": DepositBasis.PER_SQUARE_METRE, "rate": Decimal(rate), "round_to_yuan": to_yuan,
         "effective_from": date(2020, 1, 1)}
        for name, usage, elevator, rate, to_yuan in EXAMPLE_STANDARDS])
