"""SQLAlchemy tables, nothing else. Import every module here so Alembic sees all tables."""

from models.base import Base
from models.accounts import Bank, Organization, User, UserSession
from models.documents import Document
from models.estate import Building, Estate, House, LedgerEntry, Owner
from models.audit import AuditEvent
from models.payments import DepositStandard, NoticeLine, Payment, PaymentNotice, Refund
from models.applications import (
    Application, ApplicationBuilding, ApplicationEvent, ApplicationHouse, DailyCounter, Job, Lock,
)

__all__ = [
    "DepositStandard", "NoticeLine", "Payment", "PaymentNotice", "Refund",
    "Application", "ApplicationBuilding", "ApplicationEvent", "ApplicationHouse", "DailyCounter", "Job", "Lock",
    "AuditEvent", "Bank", "Base", "Building", "Document", "Estate", "House", "LedgerEntry",
    "Organization", "Owner", "User", "UserSession",
]
