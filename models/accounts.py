"""Banks (专户银行), developer organisations (开发建设单位), users and their login sessions."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import ARRAY, Boolean, ForeignKey, Index, LargeBinary, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at_column, str_enum
from models.enums import UserStatus


def _now() -> datetime:
    # Set in Python, so the value is known after commit without a round trip.
    return datetime.now(timezone.utc)


class Bank(Base):
    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    account_name: Mapped[str] = mapped_column(String(100))
    account_number: Mapped[str] = mapped_column(String(40))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        # At most one default bank (SPEC round 2); the service keeps at least one.
        Index("uq_banks_one_default", "is_default", unique=True, postgresql_where=text("is_default")),
    )


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    legal_representative: Mapped[str] = mapped_column(String(50))
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(300))
    agreement_version: Mapped[str] = mapped_column(String(20))
    agreement_accepted_at: Mapped[datetime]
    materials_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    materials_verified_at: Mapped[datetime | None]
    materials_verified_by_id: Mapped[int | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=_now)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (Index("uq_users_username_lower", func.lower(text("username")), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[UserStatus] = mapped_column(str_enum(UserStatus, "user_status"), default=UserStatus.ACTIVE)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=_now)


class UserSession(Base):
    """A login: the SHA-256 of its bearer token, never the token itself."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
