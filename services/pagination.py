"""Relay pagination shared by every list of the API: a page is a keyset (`id > after`, ordered by
id) read in SQL, with opaque cursors and the filtered total. Also the LIKE pattern of list searches."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ValidationFailed
from services.records import to_record

MAX_PAGE = 100


@dataclass(frozen=True)
class Page:
    items: list[Any]
    cursors: list[str]
    has_next: bool
    has_previous: bool
    total_count: int


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"after:{pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, pk = raw.partition(":")
        if prefix == "after" and pk.isdigit():
            return int(pk)
    except (ValueError, UnicodeDecodeError):
        pass
    raise ValidationFailed("分页游标无效", field="after")


def page_size(first: int | None) -> int:
    if first is None:
        return 20
    if not 0 <= first <= MAX_PAGE:
        raise ValidationFailed(f"每页条数应在 0 到 {MAX_PAGE} 之间", field="first")
    return first


async def keyset_page(session: AsyncSession, query: Select, id_column, cls: type, *, first: int | None,
                      after: str | None) -> Page:
    """A Relay page in SQL: `id > after` ordered by id, one row more than asked to know
    whether there is a next page, and the total of the filtered query."""
    size = page_size(first)
    after_id = decode_cursor(after)
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    paged = query.order_by(id_column).limit(size + 1)
    if after_id is not None:
        paged = paged.where(id_column > after_id)
    rows = (await session.execute(paged)).all()
    items = [to_record(cls, r) for r in rows[:size]]
    return Page(items, [encode_cursor(i.id) for i in items], len(rows) > size, after_id is not None, total or 0)


def like_pattern(text: str) -> str:
    return "%" + re.sub(r"([\\%_])", r"\\\1", text.strip()) + "%"
