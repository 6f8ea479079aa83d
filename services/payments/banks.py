"""专户银行 banks: created and changed by a system admin (ADMIN), audited. Exactly one bank is
the default (SPEC round 2): a collection that names no bank pays into it. The first bank ever
created becomes the default; another becomes it only by being made the default, which takes
the mark from the old one in the same transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, NotFound, ValidationFailed
from models import Bank
from services import audit
from services.access import Viewer
from services.validators import as_typed, normalise

BANK_FIELDS = ("code", "name", "account_name", "account_number", "is_default")
CODE = re.compile(r"[A-Z0-9][A-Z0-9_\-]{0,19}")
ACCOUNT_NUMBER = re.compile(r"\d{8,40}")


@dataclass(frozen=True)
class BankData:
    code: str
    name: str
    account_name: str
    account_number: str
    is_default: bool | None = None


def _text(value: str, field: str, limit: int) -> str:
    """Names as typed, trimmed (SPEC round 2: text as typed)."""
    v = as_typed(value)
    if not v:
        raise ValidationFailed("不能为空", field=f"input.{field}")
    if len(v) > limit:
        raise ValidationFailed(f"不能超过 {limit} 个字", field=f"input.{field}")
    return v


def _checked(data: BankData) -> dict:
    code = normalise(data.code).upper()
    if not CODE.fullmatch(code):
        raise ValidationFailed("银行代码应为 1 至 20 位大写字母、数字、下划线或横线，如 ICBC-JM", field="input.code")
    number = re.sub(r"[\s\-]", "", normalise(data.account_number))
    if not ACCOUNT_NUMBER.fullmatch(number):
        raise ValidationFailed("专户账号应为 8 至 40 位数字", field="input.accountNumber")
    return {"code": code, "name": _text(data.name, "name", 100),
            "account_name": _text(data.account_name, "accountName", 100), "account_number": number}


async def _lock_banks(session: AsyncSession) -> list[Bank]:
    """Every bank, locked in id order: two admins moving the default at once queue up."""
    return list(await session.scalars(select(Bank).order_by(Bank.id).with_for_update()))


async def _commit(session: AsyncSession) -> None:
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("银行代码已被使用", field="input.code") from exc


async def create_bank(session: AsyncSession, viewer: Viewer | None, data: BankData) -> Bank:
    values = _checked(data)
    banks = await _lock_banks(session)
    if any(b.code == values["code"] for b in banks):
        raise Conflict("银行代码已被使用", field="input.code")
    bank = Bank(**values, is_default=False)
    session.add(bank)
    if data.is_default or not banks:
        # Clear the old mark first: the unique index on the default allows one at a time.
        await session.execute(update(Bank).where(Bank.is_default).values(is_default=False))
        bank.is_default = True
    await session.flush()
    audit.record(session, actor=viewer, action="bank.create", entity_type="Bank", entity_id=bank.id,
                 after=audit.snapshot(bank, BANK_FIELDS))
    await _commit(session)
    return bank


async def update_bank(session: AsyncSession, viewer: Viewer, bank_id: int | None, data: BankData) -> Bank:
    banks = await _lock_banks(session)
    bank = next((b for b in banks if b.id == bank_id), None)
    if bank is None:
        raise NotFound("银行不存在", field="id")
    values = _checked(data)
    if any(b.code == values["code"] and b is not bank for b in banks):
        raise Conflict("银行代码已被使用", field="input.code")
    if data.is_default is False and bank.is_default:
        raise ValidationFailed("必须有一个默认专户银行：请把另一家银行设为默认", field="input.isDefault")
    before = audit.snapshot(bank, BANK_FIELDS)
    for name, value in values.items():
        setattr(bank, name, value)
    if data.is_default and not bank.is_default:
        await session.execute(update(Bank).where(Bank.is_default).values(is_default=False))
        bank.is_default = True
    after = audit.snapshot(bank, BANK_FIELDS)
    if after != before:
        audit.record(session, actor=viewer, action="bank.update", entity_type="Bank", entity_id=bank.id,
                     before=before, after=after)
    await _commit(session)
    return bank


async def default_bank_id(session: AsyncSession) -> int | None:
    return await session.scalar(select(Bank.id).where(Bank.is_default))
