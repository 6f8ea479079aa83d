"""Downloadable import templates, stored once as documents (public to logged-in users)."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.storage import sha256_hex
from models import Document
from models.enums import DocumentKind
from services import documents
from sheets.house_writer import house_template

HOUSE_TEMPLATE_NAME = "房屋信息导入模板.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@lru_cache(maxsize=1)
def house_template_bytes() -> bytes:
    return house_template()


async def house_template_document(session: AsyncSession) -> Document:
    """The stored template, made again only when the template itself changed."""
    data = house_template_bytes()
    digest = sha256_hex(data)
    found = await session.scalar(select(Document).where(Document.kind == DocumentKind.TEMPLATE, Document.sha256 == digest))
    if found is not None:
        return found
    doc = await documents.store(session, kind=DocumentKind.TEMPLATE, filename=HOUSE_TEMPLATE_NAME, content_type=XLSX,
                                data=data, organization_id=None, created_by_id=None, suffix=".xlsx")
    await session.commit()
    return doc
