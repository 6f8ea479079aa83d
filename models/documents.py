"""Stored files (uploaded attachments and generated documents); the bytes live in storage."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at_column, str_enum
from models.enums import DocumentKind, RegistrationFileKind


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind, "document_kind"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    # Who may see it: the organisation it belongs to (null: clerks and admins only, or public templates).
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    registration_kind: Mapped[RegistrationFileKind | None] = mapped_column(
        str_enum(RegistrationFileKind, "registration_file_kind")
    )
    # an attachment of an application (拆分合并 materials)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id", use_alter=True, ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
