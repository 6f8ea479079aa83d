"""Read-side records: plain slotted dataclasses made from rows, one per table plus the joined
columns the API needs (the owning organisation for visibility checks). The GraphQL types
read their leaf fields straight off these."""

from __future__ import annotations

from dataclasses import MISSING, make_dataclass
from typing import Any, Callable, Mapping

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


def record_maker(cls: type, converters: Mapping[int, Callable[[Any], Any]]) -> Callable[[Any], Any]:
    """`lambda row: cls(*row)` with `converters[i]` applied to `row[i]`, as one function written
    for the class (as dataclasses writes __init__): a frozen dataclass's __init__ sets each field
    through object.__setattr__, 3 µs for a house's 27; the slots' own descriptors take half that,
    and the conversions come in the same pass. Fields after the row's columns (a loader's
    attachments) get their defaults. The object is the one __init__ would make."""
    fields = cls.__dataclass_fields__
    if hasattr(cls, "__post_init__") or any(f.default is MISSING for f in list(fields.values())[len(cls.columns):]):
        return lambda row: cls(*(converters[i](v) if i in converters else v for i, v in enumerate(row)))
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    lines = ["def make(row):", "    record = new(cls)"]
    for i, name in enumerate(fields):
        namespace[f"set_{i}"] = getattr(cls, name).__set__  # the slot's member descriptor
        if i >= len(cls.columns):
            namespace[f"default_{i}"] = fields[name].default
            lines.append(f"    set_{i}(record, default_{i})")
        elif i in converters:
            namespace[f"convert_{i}"] = converters[i]
            lines.append(f"    set_{i}(record, convert_{i}(row[{i}]))")
        else:
            lines.append(f"    set_{i}(record, row[{i}])")
    lines.append("    return record")
    exec("\n".join(lines), namespace)  # noqa: S102 - the text is made above from the class's own field names
    return namespace["make"]


def with_owners(house: Any, owners: list[Any]) -> Any:
    """Attach owners to a house record the caller has just made and not yet shared (set in
    place: dataclasses.replace copied every field, a tenth of a floor plan's time)."""
    object.__setattr__(house, "owner_list", owners)
    return house


def from_model(cls: type, obj: Any) -> Any:
    return cls(*(getattr(obj, c) for c in cls.columns))
