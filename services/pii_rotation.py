"""Key rotation of owners' sealed numbers (services/pii.py): every value sealed under an older key
is opened and sealed again under the current one, batch by batch, each batch its own short
transaction with its rows locked, so the service keeps running meanwhile (old keys still read
until the last batch). Run with `python -m server.cli rotate-pii` after putting the new key first
in PII_KEYS; when it reports 0 left, the old key may go. Hashes are unchanged (PII_HASH_KEY)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import pii


def _fresh(token: str, field: str) -> str:
    return token if pii.key_of(token) == pii.current_key() else pii.seal(pii.reveal(token, field), field)


def _snapshot(snap: dict[str, Any] | None) -> dict[str, Any] | None:
    if not snap or not snap.get("owners"):
        return snap
    owners = [{**o, "idNumber": _fresh(o["idNumber"], pii.ID_NUMBER), "phone": _fresh(o["phone"], pii.PHONE)}
              for o in snap["owners"]]
    return {**snap, "owners": owners}


async def _owners_batch(session: AsyncSession, after: int, size: int) -> tuple[int | None, int]:
    prefix = f"{pii.PREFIX}{pii.current_key()}:%"
    rows = (await session.execute(text(
        "SELECT id, id_number, phone FROM owners WHERE id > :after AND (id_number NOT LIKE :p OR phone NOT LIKE :p) "
        "ORDER BY id LIMIT :n FOR UPDATE"), {"after": after, "p": prefix, "n": size})).all()
    if rows:
        await session.execute(text("UPDATE owners SET id_number = :i, phone = :ph WHERE id = :id"), [
            {"id": r.id, "i": _fresh(r.id_number, pii.ID_NUMBER), "ph": _fresh(r.phone, pii.PHONE)} for r in rows])
    await session.commit()
    return (rows[-1].id if len(rows) == size else None), len(rows)


async def _snapshots_batch(session: AsyncSession, after: int, size: int) -> tuple[int | None, int]:
    rows = (await session.execute(text(
        "SELECT id, before, after FROM application_houses WHERE id > :after "
        "AND (before::text LIKE '%pii1:%' OR after::text LIKE '%pii1:%') ORDER BY id LIMIT :n FOR UPDATE"),
        {"after": after, "n": size})).all()
    changed = []
    for r in rows:
        before, after_ = _snapshot(r.before), _snapshot(r.after)
        if before != r.before or after_ != r.after:
            changed.append({"id": r.id, "b": before, "a": after_})
    if changed:
        await session.execute(text("UPDATE application_houses SET before = :b, after = :a WHERE id = :id")
                              .bindparams(bindparam("b", type_=JSONB), bindparam("a", type_=JSONB)), changed)
    await session.commit()
    return (rows[-1].id if len(rows) == size else None), len(changed)


async def reseal(sessions: async_sessionmaker[AsyncSession], *, batch: int = 1000, progress=None) -> int:
    """Reseals everything not under the current key; returns how many rows it rewrote."""
    total = 0
    for step in (_owners_batch, _snapshots_batch):
        after: int | None = 0
        while after is not None:
            async with sessions() as session:
                after, done = await step(session, after, batch)
            total += done
            if progress is not None:
                progress(step.__name__.strip("_").removesuffix("_batch"), total)
    return total
