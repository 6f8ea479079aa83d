"""Read-side records: plain slotted dataclasses made from rows, one per table plus the joined
columns the API needs (the owning organisation for visibility checks). The GraphQL types
read their leaf fields straight off these."""

from __future__ import annotations

from dataclasses import make_dataclass
from typing import Any

from sqlalchemy import Table, select

from models import (
    DepositStandard, NoticeLine, Payment, PaymentNotice, Refund,
    Application, ApplicationEvent, Bank, Building, Document, Estate, House, Job, LedgerEntry, Organization, Owner, User,
)


def _record(name: str, table: Table, *extra: str, skip: tuple[str, ...] = (), attached: tuple[str, ...] = ()) -> type:
    """`attached` fields come after the columns, default None: related rows a loader fetched with it."""
    fields = [c.key for c in table.columns if c.key not in skip] + list(extra)
    cls = make_dataclass(name, fields + [(a, Any, None) for a in attached], slots=True, frozen=True)
    cls.columns = tuple(fields)  # type: ignore[attr-defined]
    return cls


BankRecord = _record("BankRecord", Bank.__table__)
OrganizationRecord = _record("OrganizationRecord", Organization.__table__)
UserRecord = _record("UserRecord", User.__table__, skip=("password_hash",))
DocumentRecord = _record("DocumentRecord", Document.__table__)
EstateRecord = _record("EstateRecord", Estate.__table__)
BuildingRecord = _record("BuildingRecord", Building.__table__, "developer_id")
HouseRecord = _record("HouseRecord", House.__table__, "estate_id", "developer_id", "unpaid", attached=("owner_list",))
OwnerRecord = _record("OwnerRecord", Owner.__table__, attached=("masked",))
LedgerRecord = _record("LedgerRecord", LedgerEntry.__table__)
ApplicationRecord = _record("ApplicationRecord", Application.__table__)
ApplicationEventRecord = _record("ApplicationEventRecord", ApplicationEvent.__table__)
JobRecord = _record("JobRecord", Job.__table__)
DepositStandardRecord = _record("DepositStandardRecord", DepositStandard.__table__)
NoticeRecord = _record("NoticeRecord", PaymentNotice.__table__)
NoticeLineRecord = _record("NoticeLineRecord", NoticeLine.__table__)
PaymentRecord = _record("PaymentRecord", Payment.__table__)
RefundRecord = _record("RefundRecord", Refund.__table__)


def select_record(model: Any):
    """A select of a table's columns in the order of its record (for to_record)."""
    return select(*model.__table__.c)


def to_record(cls: type, row: Any) -> Any:
    """Positional: every select of a record lists its columns in the record's order."""
    return cls(*row)


def with_owners(house: Any, owners: list[Any]) -> Any:
    """Attach owners to a house record the caller has just made and not yet shared (set in
    place: dataclasses.replace copied every field, a tenth of a floor plan's time)."""
    object.__setattr__(house, "owner_list", owners)
    return house


def from_model(cls: type, obj: Any) -> Any:
    return cls(*(getattr(obj, c) for c in cls.columns))
