"""Enumerations shared by the tables, the services and the GraphQL schema (values = contract names)."""

import enum


class Role(str, enum.Enum):
    ORG_ADMIN = "ORG_ADMIN"
    ESTATE_OPERATOR = "ESTATE_OPERATOR"
    PAYMENT_OPERATOR = "PAYMENT_OPERATOR"
    CLERK = "CLERK"
    BANK = "BANK"
    ADMIN = "ADMIN"


ORG_ROLES = frozenset({Role.ORG_ADMIN, Role.ESTATE_OPERATOR, Role.PAYMENT_OPERATOR})


class UserStatus(str, enum.Enum):
    ACTIVE = "ACTIVE"
    DEACTIVATED = "DEACTIVATED"


class RecordStatus(str, enum.Enum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    CANCELLED = "CANCELLED"


class DepositTiming(str, enum.Enum):
    BEFORE_CONTRACT_FILING = "BEFORE_CONTRACT_FILING"
    BEFORE_INITIAL_REGISTRATION = "BEFORE_INITIAL_REGISTRATION"
    BEFORE_HANDOVER = "BEFORE_HANDOVER"


class BuildingStructure(str, enum.Enum):
    REINFORCED_CONCRETE = "REINFORCED_CONCRETE"
    MIXED = "MIXED"
    FRAME = "FRAME"
    FRAME_SHEAR_WALL = "FRAME_SHEAR_WALL"
    STEEL = "STEEL"
    BRICK_WOOD = "BRICK_WOOD"
    OTHER = "OTHER"


class HouseUsage(str, enum.Enum):
    RESIDENTIAL = "RESIDENTIAL"
    COMMERCIAL = "COMMERCIAL"
    OFFICE = "OFFICE"
    GARAGE = "GARAGE"
    PARKING_SPACE = "PARKING_SPACE"
    STORAGE = "STORAGE"
    OTHER = "OTHER"


class SalesStatus(str, enum.Enum):
    UNSOLD = "UNSOLD"
    SOLD = "SOLD"


class AccountStatus(str, enum.Enum):
    UNOPENED = "UNOPENED"
    OPENED = "OPENED"
    CLOSED = "CLOSED"


class IdType(str, enum.Enum):
    RESIDENT_ID = "RESIDENT_ID"
    PASSPORT = "PASSPORT"
    HK_MACAO_PERMIT = "HK_MACAO_PERMIT"
    TAIWAN_PERMIT = "TAIWAN_PERMIT"
    FOREIGN_PERMANENT_RESIDENT_ID = "FOREIGN_PERMANENT_RESIDENT_ID"
    CREDIT_CODE = "CREDIT_CODE"
    OTHER = "OTHER"


class LedgerKind(str, enum.Enum):
    DEPOSIT = "DEPOSIT"
    REFUND = "REFUND"
    TRANSFER_IN = "TRANSFER_IN"
    TRANSFER_OUT = "TRANSFER_OUT"
    ADJUSTMENT = "ADJUSTMENT"


class DocumentKind(str, enum.Enum):
    ATTACHMENT = "ATTACHMENT"
    APPLICATION_FORM = "APPLICATION_FORM"
    PAYMENT_NOTICE = "PAYMENT_NOTICE"
    REFUND_FORM = "REFUND_FORM"
    PAYMENT_RECEIPT = "PAYMENT_RECEIPT"
    HOUSE_EXPORT = "HOUSE_EXPORT"
    AMOUNT_EXPORT = "AMOUNT_EXPORT"
    TEMPLATE = "TEMPLATE"


class RegistrationFileKind(str, enum.Enum):
    BUSINESS_LICENCE = "BUSINESS_LICENCE"
    LEGAL_REPRESENTATIVE_ID = "LEGAL_REPRESENTATIVE_ID"
    AUTHORIZATION_LETTER = "AUTHORIZATION_LETTER"
    OTHER = "OTHER"


DISTRICTS = ("蓬江区", "江海区", "新会区", "台山市", "开平市", "鹤山市", "恩平市")
