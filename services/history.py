"""The visible history of immediate changes (SPEC round 2): 机构信息变更 (Organization.history)
and 物业区域变更 (Estate.history), newest first, read from the audit log, each changed field
with its Chinese label and its value before and after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import select

from models import AuditEvent
from services.batches import in_keys

# The audit actions that are immediate changes, and the labels of the fields they change (the
# labels of the 信息变更 and 物业区域变更 forms).
LABELS: dict[str, dict[str, str]] = {
    "organization.update": {
        "name": "机构名称", "legal_representative": "法定代表人", "contact_name": "联系人",
        "contact_phone": "联系电话", "address": "地址",
    },
    "estate.update": {"address": "物业区域地址", "remark": "备注"},
}
ENTITY_ACTIONS = {"Organization": ("organization.update",), "Estate": ("estate.update",)}


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of a change: `field` as the API's input names it (camelCase), its label."""
    field: str
    label: str
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    at: datetime
    actor_id: int | None
    changes: list[FieldChange]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _changes(action: str, before: dict | None, after: dict | None) -> list[FieldChange]:
    before, after = before or {}, after or {}
    return [
        FieldChange(field=_camel(name), label=label, before=_text(before.get(name)), after=_text(after.get(name)))
        for name, label in LABELS[action].items()
        if before.get(name) != after.get(name)
    ]


async def history_by_entity(connection, entity_type: str, ids: Sequence[int]) -> list[list[ChangeRecord]]:
    """Per entity id, its immediate changes, newest first (a DataLoader batch)."""
    rows = (await connection.execute(
        select(AuditEvent.entity_id, AuditEvent.at, AuditEvent.actor_id, AuditEvent.action, AuditEvent.before,
               AuditEvent.after)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.action.in_(ENTITY_ACTIONS[entity_type]),
               in_keys(AuditEvent.entity_id, ids))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )).all()
    groups: dict[int, list[ChangeRecord]] = {i: [] for i in ids}
    for entity_id, at, actor_id, action, before, after in rows:
        changes = _changes(action, before, after)
        if changes:
            groups[entity_id].append(ChangeRecord(at=at, actor_id=actor_id, changes=changes))
    return [groups[i] for i in ids]


async def organization_history(connection, ids: Sequence[int]) -> list[list[ChangeRecord]]:
    return await history_by_entity(connection, "Organization", ids)


async def estate_history(connection, ids: Sequence[int]) -> list[list[ChangeRecord]]:
    return await history_by_entity(connection, "Estate", ids)
