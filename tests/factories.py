"""Factories: banks, organisations with their admin, staff users, estates, and log-ins."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import security
from models import Bank, Organization, User
from models.enums import Role
from services import seed
from services.organizations import AGREEMENT_VERSION
from services.payments.deposits import recalculate
from services.validators import credit_code_check_char
from tests.api import gql

PASSWORD = "Passw0rd-test"
_counter = itertools.count(1)


def credit_code(n: int | None = None) -> str:
    n = next(_counter) if n is None else n
    first17 = f"914407{n:011d}"
    return first17 + credit_code_check_char(first17)


@dataclass
class OrgFixture:
    org_id: int
    admin_id: int
    admin_username: str


async def make_bank(session: AsyncSession, code: str = "BANK1") -> int:
    first = await session.scalar(select(Bank.id).where(Bank.is_default)) is None
    bank = Bank(code=code, name=f"{code} 银行", account_name="维修资金专户", account_number=f"{code}-0001",
                is_default=first)
    session.add(bank)
    await session.commit()
    return bank.id


async def make_user(session: AsyncSession, username: str, roles: list[Role], *, organization_id: int | None = None,
                    bank_id: int | None = None, name: str = "测试用户") -> int:
    user = User(username=username, name=name, password_hash=await security.hash_password(PASSWORD),
                roles=[r.value for r in roles], organization_id=organization_id, bank_id=bank_id)
    session.add(user)
    await session.commit()
    return user.id


async def make_org(session: AsyncSession, name: str = "测试置业有限公司", *, admin: str | None = None) -> OrgFixture:
    from datetime import datetime, timezone

    n = next(_counter)
    org = Organization(name=f"{name}{n}", credit_code=credit_code(n), legal_representative="张法人",
                       contact_name="李联系", contact_phone="13800138000", address="江门市蓬江区测试路 1 号",
                       agreement_version=AGREEMENT_VERSION, agreement_accepted_at=datetime.now(timezone.utc))
    session.add(org)
    await session.commit()
    username = admin or f"orgadmin{n}"
    admin_id = await make_user(session, username, [Role.ORG_ADMIN, Role.ESTATE_OPERATOR, Role.PAYMENT_OPERATOR],
                               organization_id=org.id)
    return OrgFixture(org.id, admin_id, username)


async def make_estate(session: AsyncSession, *, developer_id: int, bank_id: int, **shape) -> int:
    shape.setdefault("name", f"测试花园{next(_counter)}")
    estate_id = await seed.create_estate(session, developer_id=developer_id, bank_id=bank_id,
                                         shape=seed.EstateShape(**shape))
    await session.commit()
    return estate_id


async def make_paying_estate(session: AsyncSession, **shape) -> tuple[int, OrgFixture, int]:
    """A bank, a developer, a clerk (clerk1) and a bank user (bank1), the example standards and an
    estate of the developer's with every house's due computed: (bank id, developer, estate id)."""
    bank = await make_bank(session)
    org = await make_org(session)
    await make_user(session, "clerk1", [Role.CLERK])
    await make_user(session, "bank1", [Role.BANK], bank_id=bank)
    await seed.create_example_standards(session)
    await session.commit()
    estate = await make_estate(session, developer_id=org.org_id, bank_id=bank, **shape)
    await recalculate(session, estate_id=estate)
    await session.commit()
    return bank, org, estate


async def login(client, username: str, password: str = PASSWORD) -> str:
    result = await gql(client, "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }",
                       {"u": username, "p": password})
    return result.ok()["login"]["token"]
