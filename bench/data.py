"""The benchmark data: a developer organisation with its admin, a bank, the big estate
(100 buildings × 100 houses, one owner each) and a one-building estate of 200 houses for the
floor plan. Everything goes through services/seed.create_estate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

USERNAME = "bench-developer"
PASSWORD = "Bench-passw0rd"


@dataclass(frozen=True)
class Fixture:
    org_id: int
    estate_id: int
    estate_gid: str
    plan_estate_id: int
    plan_building_id: int
    plan_building_gid: str
    buildings: int
    houses: int
    owners: int
    plan_houses: int


def tree_shape(buildings: int):
    from services.seed import EstateShape

    # 25 floors × 2 units × 2 rooms = 100 houses a building, all sold, one owner each.
    return EstateShape(name="基准花园", buildings=buildings, floors=25, units=2, rooms_per_unit=2,
                       owners_per_house=1, sold_ratio=1.0, seed=1)


def plan_shape():
    from services.seed import EstateShape

    # 25 floors × 4 units × 2 rooms = 200 houses in one building.
    return EstateShape(name="楼盘表花园", buildings=1, floors=25, units=4, rooms_per_unit=2,
                       owners_per_house=1, sold_ratio=1.0, seed=2)


async def seed(buildings: int) -> Fixture:
    from sqlalchemy import func, select, text

    from core import security
    from core.db import get_engine, get_sessionmaker
    from core.ids import encode_id
    from models import Bank, Building, House, Organization, Owner, User
    from models.enums import Role
    from services.organizations import AGREEMENT_VERSION
    from services.seed import create_estate
    from services.validators import credit_code_check_char

    first17 = f"914407{1:011d}"
    async with get_sessionmaker()() as session:
        bank = Bank(code="BENCH", name="基准银行", account_name="维修资金专户", account_number="BENCH-0001")
        org = Organization(name="基准置业有限公司", credit_code=first17 + credit_code_check_char(first17),
                           legal_representative="张法人", contact_name="李联系", contact_phone="13800138000",
                           address="江门市蓬江区基准路 1 号", agreement_version=AGREEMENT_VERSION,
                           agreement_accepted_at=datetime.now(timezone.utc))
        session.add_all([bank, org])
        await session.flush()
        session.add(User(username=USERNAME, name="基准管理员", password_hash=await security.hash_password(PASSWORD),
                         roles=[Role.ORG_ADMIN.value, Role.ESTATE_OPERATOR.value, Role.PAYMENT_OPERATOR.value],
                         organization_id=org.id))
        estate_id = await create_estate(session, developer_id=org.id, bank_id=bank.id, shape=tree_shape(buildings))
        plan_estate = await create_estate(session, developer_id=org.id, bank_id=bank.id, shape=plan_shape())
        await session.commit()
        org_id = org.id
        plan_building = await session.scalar(select(Building.id).where(Building.estate_id == plan_estate))

        async def count(q) -> int:
            return int(await session.scalar(q))

        houses = await count(select(func.count()).select_from(House).join(Building).where(Building.estate_id == estate_id))
        owners = await count(select(func.count()).select_from(Owner).join(House).join(Building)
                             .where(Building.estate_id == estate_id))
        plan_houses = await count(select(func.count()).select_from(House).where(House.building_id == plan_building))

    # Planner statistics and the visibility map, as a database in service would have them.
    async with get_engine().connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))

    return Fixture(org_id, estate_id, encode_id("Estate", estate_id), plan_estate, plan_building, encode_id("Building", plan_building),
                   buildings, houses, owners, plan_houses)
