"""Demo data, loaded once: two example banks, a developer with its admin and an operator, a
clerk, a bank account and a system admin, and an example estate. Nothing here is real."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import security
from models import Bank, Organization, User
from models.enums import Role
from services import seed
from services.payments import banks
from services.payments.deposits import recalculate
from services.organizations import AGREEMENT_VERSION
from services.validators import credit_code_check_char

DEMO_PASSWORD = "Demo-2026"
DEMO_CREDIT_BASE = "91440703MA4DEM001"
DEMO_CREDIT_CODE = DEMO_CREDIT_BASE + credit_code_check_char(DEMO_CREDIT_BASE)

DEMO_LOGINS = (
    ("developer admin (开发建设单位 机构管理员)", "demo-developer"),
    ("developer operator (经办人)", "demo-operator"),
    ("clerk (维修资金管理部门)", "demo-clerk"),
    ("bank (专户银行)", "demo-bank"),
    ("system admin", "demo-admin"),
)

BANKS = (
    ("ICBC-JM", "中国工商银行江门分行（示例）", "江门市住宅专项维修资金专户（示例）", "2012000000000000001"),
    ("CCB-JM", "中国建设银行江门分行（示例）", "江门市住宅专项维修资金专户（示例）", "4405000000000000002"),
)


async def load_demo_data(session: AsyncSession) -> bool:
    """Loads the demo data unless it is there already. Returns whether it loaded anything."""
    if await session.scalar(select(Organization.id).where(Organization.credit_code == DEMO_CREDIT_CODE)):
        return False
    existing = set(await session.scalars(select(Bank.code)))
    for code, name, account_name, account_number in BANKS:
        if code not in existing:
            session.add(Bank(code=code, name=name, account_name=account_name, account_number=account_number))
    await session.flush()
    # The demo bank user belongs to the default bank, so a newcomer can confirm the payment of an
    # estate collected without naming a bank (SPEC round 2).
    bank_id = await banks.default_bank_id(session)
    if bank_id is None:
        bank_id = await session.scalar(select(Bank.id).where(Bank.code == BANKS[0][0]))
        await session.execute(update(Bank).where(Bank.id == bank_id).values(is_default=True))
    org = Organization(
        name="江门示例置业有限公司（演示）", credit_code=DEMO_CREDIT_CODE, legal_representative="陈示例",
        contact_name="李联系", contact_phone="0750-1234567", address="江门市蓬江区示例大道 88 号",
        agreement_version=AGREEMENT_VERSION, agreement_accepted_at=datetime.now(timezone.utc),
        materials_verified=True,
    )
    session.add(org)
    await session.flush()
    password_hash = await security.hash_password(DEMO_PASSWORD)
    users = [
        ("demo-developer", "陈管理", [Role.ORG_ADMIN, Role.ESTATE_OPERATOR, Role.PAYMENT_OPERATOR], org.id, None),
        ("demo-operator", "黄经办", [Role.ESTATE_OPERATOR, Role.PAYMENT_OPERATOR], org.id, None),
        ("demo-clerk", "林受理", [Role.CLERK], None, None),
        ("demo-bank", "工行柜员", [Role.BANK], None, bank_id),
        ("demo-admin", "系统管理员", [Role.ADMIN], None, None),
    ]
    taken = {u.lower() for u in await session.scalars(select(func.lower(User.username)))}
    rows = [
        dict(username=u, name=n, password_hash=password_hash, roles=[r.value for r in roles],
             organization_id=o, bank_id=b, phone=None)
        for u, n, roles, o, b in users if u not in taken
    ]
    if rows:
        await session.execute(insert(User), rows)
    await seed.create_example_standards(session)
    estate_id = await seed.create_estate(session, developer_id=org.id, bank_id=bank_id, shape=seed.EstateShape(
        name="江门示例花园（演示）", address="江门市蓬江区示例路 1 号", buildings=3, floors=8, units=2,
        rooms_per_unit=2, basement_floors=1,
    ))
    await recalculate(session, estate_id=estate_id)  # the example estate's dues under the example standards
    await session.commit()
    return True
