"""业务单 applications, their history, the houses and buildings they touch, the locks they hold
while SUBMITTED or ACCEPTED, and background jobs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at_column, str_enum
from models.enums import ApplicationStatus, ApplicationType, JobKind, JobStatus


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    type: Mapped[ApplicationType] = mapped_column(str_enum(ApplicationType, "application_type"))
    status: Mapped[ApplicationStatus] = mapped_column(str_enum(ApplicationStatus, "application_status"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    estate_id: Mapped[int | None] = mapped_column(ForeignKey("estates.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str | None] = mapped_column(String(1000))
    # What the create / update mutation set that has no table of its own (estate info, 交存时点).
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    refund_account: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    review_comment: Mapped[str | None] = mapped_column(String(1000))
    import_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", use_alter=True, ondelete="SET NULL"))
    form_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", use_alter=True, ondelete="SET NULL"))
    form_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    # 退款申请表 rendered on submit when approval would refund money, and the refund of each
    # house it printed ({house id: amount as text}), which approval compares with its own.
    refund_form_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", use_alter=True, ondelete="SET NULL"))
    refund_form_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    refund_form_amounts: Mapped[dict[str, str] | None] = mapped_column(JSONB)


class ApplicationEvent(Base):
    """One transition of an application: who, when, from, to, comment."""

    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[ApplicationStatus | None] = mapped_column(str_enum(ApplicationStatus, "from_status"))
    to_status: Mapped[ApplicationStatus] = mapped_column(str_enum(ApplicationStatus, "to_status"))
    at: Mapped[datetime] = created_at_column()
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str | None] = mapped_column(String(1000))


class ApplicationHouse(Base):
    """A house the application creates (before null), changes, or removes (after null).
    Snapshots use HouseSnapshot's field names."""

    __tablename__ = "application_houses"
    # The unique (application_id, house_id) index also serves lookups by application (migration 0005).
    __table_args__ = (UniqueConstraint("application_id", "house_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    house_id: Mapped[int] = mapped_column(ForeignKey("houses.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # for an info change that moves the house: the building it moves to
    target_building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"))


class ApplicationBuilding(Base):
    __tablename__ = "application_buildings"
    __table_args__ = (UniqueConstraint("application_id", "building_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    before: Mapped[dict[str, Any]] = mapped_column(JSONB)
    after: Mapped[dict[str, Any]] = mapped_column(JSONB)
    target_estate_id: Mapped[int | None] = mapped_column(ForeignKey("estates.id"))


class Lock(Base):
    """A house, building or estate held by a SUBMITTED or ACCEPTED application. The primary key
    makes two applications taking the same thing at once impossible."""

    __tablename__ = "locks"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # HOUSE, BUILDING, ESTATE_IMPORT
    target_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)


class DailyCounter(Base):
    __tablename__ = "daily_counters"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class Job(Base):
    """A background job; this row is its truth (arq only carries the id)."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(str_enum(JobKind, "job_kind"))
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus, "job_status"))
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(String(500))
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    input_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    result_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # The worker's last sign of life while RUNNING (when it was queued while QUEUED): a sweeper
    # queues again, or fails, a job whose heartbeat stopped (services/jobs.py `sweep`).
    heartbeat_at: Mapped[datetime | None] = mapped_column(server_default=func.now())

    __table_args__ = (Index("ix_jobs_live_heartbeat", "heartbeat_at",
                            postgresql_where=text("status IN ('QUEUED', 'RUNNING')")),)


Index("ix_application_events_app_at", ApplicationEvent.application_id, ApplicationEvent.id)
