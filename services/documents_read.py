"""Looking a stored document up by id (for `node` and the download route)."""

from __future__ import annotations

from sqlalchemy import select

from models import Document
from services.records import DocumentRecord, to_record


async def document_by_id(sessions, pk: int):
    async with sessions() as session:
        row = (await session.execute(select(*Document.__table__.c).where(Document.id == pk))).first()
    return None if row is None else to_record(DocumentRecord, row)
