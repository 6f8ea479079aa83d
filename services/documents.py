"""Stored documents: uploaded attachments (要件) and generated files, and their signed links."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import get_settings
from core.errors import FileRejected
from core.security import sign, signature_ok
from core.storage import get_storage, sha256_hex, track_written
from models import Document
from models.enums import DocumentKind, RegistrationFileKind
from services.records import DocumentRecord, to_record
from sheets.guard import MAX_WORKBOOK_BYTES

# Attachments are recognised by their first bytes, never by the name the client sent.
CONTROL_OR_SEPARATOR = re.compile(r"[\x00-\x1f/\\]")
ATTACHMENT_TYPES = {
    b"%PDF-": ("application/pdf", ".pdf"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
}


@dataclass(frozen=True)
class IncomingFile:
    filename: str
    data: bytes


async def read_upload(upload, *, field: str, limit_bytes: int | None = None) -> IncomingFile:
    """Reads an uploaded file, refusing it once it passes the size limit (MAX_UPLOAD_MB)."""
    limit = limit_bytes or get_settings().max_upload_mb * 1024 * 1024
    if upload is None or not hasattr(upload, "read"):
        raise FileRejected("未收到文件", field=field)
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise FileRejected(f"文件超过 {limit // (1024 * 1024)} MB 的上限", field=field)
    if not data:
        raise FileRejected("文件为空", field=field)
    # No path separators or control characters (a file name is shown and sent back in headers).
    name = CONTROL_OR_SEPARATOR.sub("_", getattr(upload, "filename", None) or "file")[-200:]
    return IncomingFile(filename=name, data=data)


def attachment_type(file: IncomingFile, *, field: str) -> tuple[str, str]:
    for magic, kind in ATTACHMENT_TYPES.items():
        if file.data.startswith(magic):
            return kind
    raise FileRejected("要件只接受 PDF、JPG 或 PNG 文件", field=field)


async def store(
    session: AsyncSession,
    *,
    kind: DocumentKind,
    filename: str,
    content_type: str,
    data: bytes,
    organization_id: int | None,
    created_by_id: int | None,
    registration_kind: RegistrationFileKind | None = None,
    suffix: str = "",
) -> Document:
    """Writes the object, then adds its row: if the session's transaction does not commit, the
    object is deleted again (core/storage.py), so a row and its object never disagree."""
    key = await get_storage().put(data, suffix=suffix)
    track_written(session.sync_session, key)
    document = Document(
        kind=kind, filename=filename, content_type=content_type, size_bytes=len(data), sha256=sha256_hex(data),
        storage_key=key, organization_id=organization_id, registration_kind=registration_kind,
        created_by_id=created_by_id,
    )
    session.add(document)
    return document


WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # zip (.xlsx, .ods), OLE2 (.xls)


async def store_workbook_upload(session: AsyncSession, upload, *, organization_id: int | None,
                                created_by_id: int | None) -> Document:
    """An uploaded workbook kept for its import job: refused at once when it is too large or
    plainly not a workbook (the job's reader checks the rest: format, bombs, template)."""
    incoming = await read_upload(upload, field="file", limit_bytes=MAX_WORKBOOK_BYTES)
    if not incoming.data.startswith(WORKBOOK_MAGIC):
        raise FileRejected("请上传 Excel（.xlsx、.xls）或 .ods 工作簿", field="file")
    document = await store(session, kind=DocumentKind.ATTACHMENT, filename=incoming.filename,
                           content_type="application/octet-stream", data=incoming.data, organization_id=organization_id,
                           created_by_id=created_by_id)
    await session.flush()
    return document


def signed_url(document_id: int, *, now: float | None = None) -> str:
    """A link that downloads the file without credentials until it expires (DOCUMENT_URL_TTL_SECONDS)."""
    expires = int((now or time.time()) + get_settings().document_url_ttl_seconds)
    return f"/files/{document_id}?expires={expires}&sig={sign(f'document:{document_id}:{expires}')}"


def url_is_valid(document_id: int, expires: str, sig: str) -> bool:
    if not expires.isdigit() or int(expires) < time.time():
        return False
    return signature_ok(f"document:{document_id}:{expires}", sig)


async def document_by_id(sessions, pk: int):
    """A stored document's record by id, in a session of its own (the download route)."""
    async with sessions() as session:
        row = (await session.execute(select(*Document.__table__.c).where(Document.id == pk))).first()
    return None if row is None else to_record(DocumentRecord, row)
